"""institutions for full-text links; index cache_entries.expires_at for purging

Revision ID: 0004_institutions
Revises: 0003_cme (relinked after merging main; was 0002)
Create Date: 2026-11-26 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_institutions'
down_revision = '0003_cme'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('institutions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('ezproxy_prefix', sa.Text(), nullable=True),
    sa.Column('openurl_base', sa.Text(), nullable=True),
    sa.Column('ill_url', sa.Text(), nullable=True),
    sa.Column('email_domains', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institutions')),
    sa.UniqueConstraint('name', name=op.f('uq_institutions_name'))
    )
    op.create_index('ix_cache_entries_expires_at', 'cache_entries', ['expires_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_cache_entries_expires_at', table_name='cache_entries')
    op.drop_table('institutions')
