"""embedding_changes: the log of vector writes that vector indexes follow; mesh_terms index
covering (descriptor, major, pmid)

Revision ID: 0009_scale
Revises: 0008_rate_events
Create Date: 2026-11-28 10:00:00

Existing vectors are not logged: an index saved before this revision has no log position and
is rebuilt once from the embeddings table. The new mesh_terms index replaces the one on
descriptor alone (its prefix), so related papers' MeSH signal reads an index range instead of
the rows of every paper with a topic.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_scale'
down_revision = '0008_rate_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'embedding_changes',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('pmid', sa.String(length=20), nullable=False),
        sa.Column('model', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )
    op.create_index('ix_mesh_terms_descriptor_major_pmid', 'mesh_terms',
                    ['descriptor', 'major', 'pmid'], unique=False)
    op.drop_index('ix_mesh_terms_descriptor', table_name='mesh_terms')


def downgrade() -> None:
    op.create_index('ix_mesh_terms_descriptor', 'mesh_terms', ['descriptor'], unique=False)
    op.drop_index('ix_mesh_terms_descriptor_major_pmid', table_name='mesh_terms')
    op.drop_table('embedding_changes')
