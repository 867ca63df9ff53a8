"""papers.title_key and lower(doi) index for import matching

Revision ID: 0006_library_io
Revises: 0005_saved_searches
Create Date: 2026-11-27 10:00:00

Existing papers get their title key here, in batches, so a store upgraded from 0002 matches
imported references by title as well as a fresh one.
"""
import sqlalchemy as sa
from alembic import op

from litfeed.formats.match import title_key

revision = '0006_library_io'
down_revision = '0005_saved_searches'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.add_column('papers', sa.Column('title_key', sa.String(length=16), nullable=True))
    conn = op.get_bind()
    papers = sa.table('papers', sa.column('pmid', sa.String), sa.column('title', sa.Text),
                      sa.column('title_key', sa.String))
    last = ''
    while True:
        rows = conn.execute(sa.select(papers.c.pmid, papers.c.title)
                            .where(papers.c.pmid > last).order_by(papers.c.pmid)
                            .limit(BATCH)).all()
        if not rows:
            break
        conn.execute(papers.update().where(papers.c.pmid == sa.bindparam('p'))
                     .values(title_key=sa.bindparam('k')),
                     [{'p': r.pmid, 'k': title_key(r.title or '')} for r in rows])
        last = rows[-1].pmid
    op.create_index('ix_papers_title_key', 'papers', ['title_key', 'year'], unique=False)
    op.create_index('ix_papers_doi_lower', 'papers', [sa.text('lower(doi)')], unique=False)


def downgrade() -> None:
    op.drop_index('ix_papers_doi_lower', table_name='papers')
    op.drop_index('ix_papers_title_key', table_name='papers')
    with op.batch_alter_table('papers') as batch:
        batch.drop_column('title_key')
