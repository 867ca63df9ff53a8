"""users.feed_token_version: a reader can replace their private Atom feed URL

Revision ID: 0007_feedui
Revises: 0006_library_io
Create Date: 2026-11-28 10:00:00

NULL is the first generation, so every existing feed URL keeps working.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_feedui'
down_revision = '0006_library_io'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('feed_token_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('feed_token_version')
