"""story ids: near-duplicate copies of one story found at import

`articles.story_id` (the id of the story's first article) and `articles.story_signature` (its
MinHash signature), and `story_bands`, the signatures' LSH band keys that find candidate copies.
Existing articles are backfilled here (app.services.stories.rebuild; `newsarchive stories
--rebuild` does the same later). A Whoosh index needs `newsarchive reindex` to fold by story.

Revision ID: c4d2e8f1a7b3
Revises: c3d8e1f4a2b6
Create Date: 2026-12-05 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "c4d2e8f1a7b3"
down_revision = "c3d8e1f4a2b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE on a partitioned PostgreSQL table adds the column to every partition, and an
    # index made on the parent is made on each partition.
    op.add_column("articles", sa.Column("story_id", sa.Integer(), nullable=True))
    op.add_column("articles", sa.Column("story_signature", sa.LargeBinary(), nullable=True))
    op.create_index("ix_articles_story_id", "articles", ["story_id"])
    op.create_table(
        "story_bands",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_story_bands_key", "story_bands", ["key"])
    op.create_index("ix_story_bands_article_id", "story_bands", ["article_id"])
    from app.services.stories import rebuild_in_session

    rebuild_in_session(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index("ix_story_bands_article_id", table_name="story_bands")
    op.drop_index("ix_story_bands_key", table_name="story_bands")
    op.drop_table("story_bands")
    op.drop_index("ix_articles_story_id", table_name="articles")
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_column("story_signature")
        batch_op.drop_column("story_id")
