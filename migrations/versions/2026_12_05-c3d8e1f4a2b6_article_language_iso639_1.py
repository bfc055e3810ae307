"""Articles' language as an ISO 639-1 code, indexed (the `lang=` filter and language facet)

Stored tags become their ISO 639-1 code (`en-gb` -> `en`, `deu` -> `de`, `und` -> NULL), as new
imports store them (app.ingest.language). Rows without a language keep NULL here: detecting it
reads every article's text, which `newsarchive languages --detect` does, with progress, after
the migration (it also re-indexes what it changes).

Revision ID: c3d8e1f4a2b6
Revises: b5a997eac358
Create Date: 2026-12-05 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ingest.language import normalise

revision = "c3d8e1f4a2b6"
down_revision = "b5a997eac358"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    # One UPDATE per distinct stored tag (a handful), not one per row.
    tags = conn.execute(
        sa.text("SELECT DISTINCT language FROM articles WHERE language IS NOT NULL")
    )
    for (tag,) in tags.all():
        code = normalise(tag)
        if code != tag:
            conn.execute(
                sa.text("UPDATE articles SET language = :code WHERE language = :tag"),
                {"code": code, "tag": tag},
            )
    op.create_index("ix_articles_language", "articles", ["language"])


def downgrade() -> None:
    # The tags' regions (`en-gb`) are not restored: the code alone is a valid tag.
    op.drop_index("ix_articles_language", table_name="articles")
