"""The JSON twin of the story page: every copy of one story (app.services.stories)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from app.api.common import READ_ERRORS, errors, json_response
from app.api.schemas import StoryOut
from app.http import present
from app.http.deps import ArchiveDep, ReadAuth
from app.http.errors import ApiError
from app.http.urls import base_url
from app.services.story_view import Story, StoryNotFound, get_story

router = APIRouter(prefix="/api/v1", tags=["read"], dependencies=[ReadAuth])
StoryId = Annotated[int, Path(description="The story id (its first copy's id)", examples=[1])]


def story_json(story: Story, base: str) -> dict[str, Any]:
    return {
        "id": story.id,
        "size": len(story.copies),
        "copies": [
            {
                **present.summary(c.article, base),
                "opening_diff": [{"op": p.op, "text": p.text} for p in c.diff],
                "same_opening": c.same_opening,
            }
            for c in story.copies
        ],
        "links": {
            "self": f"{base}/api/v1/stories/{story.id}",
            "html": f"{base}/stories/{story.id}",
        },
    }


def find_story(archive: ArchiveDep, story_id: int) -> Story:
    try:
        return get_story(archive, story_id=story_id)
    except StoryNotFound:
        raise ApiError(404, f"no story with id {story_id}") from None


@router.get("/stories/{story_id}", response_model=StoryOut, responses=errors(*READ_ERRORS, 404))
def get_story_json(request: Request, archive: ArchiveDep, story_id: StoryId) -> Any:
    """Every copy of one story (near-duplicates found at import), first copy first, each with
    how its opening paragraph differs from the first copy's."""
    return json_response(story_json(find_story(archive, story_id), base_url(request)))
