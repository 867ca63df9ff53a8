"""index papers.published for newest-first lists

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:00:00
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_papers_published', 'papers', ['published'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_papers_published', table_name='papers')
