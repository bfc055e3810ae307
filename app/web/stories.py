"""The story page: every copy of one story, with how each opening differs from the first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.http.deps import ArchiveDep
from app.http.errors import ApiError
from app.http.templating import render
from app.services.articles import MAX_ID
from app.services.story_view import StoryNotFound, get_story

router = APIRouter(include_in_schema=False)


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(request: Request, archive: ArchiveDep, story_id: int) -> Response:
    try:
        if not 0 <= story_id <= MAX_ID:
            raise StoryNotFound(story_id)
        story = get_story(archive, story_id=story_id)
    except StoryNotFound:
        raise ApiError(404, f"no story with id {story_id}") from None
    return render(
        request,
        "story.html",
        alternate=f"/api/v1/stories/{story.id}",
        story=story,
        sources=sorted({c.article.source for c in story.copies if c.article.source}),
    )
