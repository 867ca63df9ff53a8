"""rate_events: registration attempts per client address, counted across app processes

Revision ID: 0008_rate_events
Revises: 0007_feedui
Create Date: 2026-11-28 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_rate_events'
down_revision = '0007_feedui'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_events'))
    )
    op.create_index('ix_rate_events_kind_key_at', 'rate_events', ['kind', 'key', 'at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_rate_events_kind_key_at', table_name='rate_events')
    op.drop_table('rate_events')
