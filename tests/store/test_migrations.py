"""The Alembic migrations build exactly the schema that schema.py declares, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from litfeed.store import Store, migrate
from litfeed.store.schema import metadata


# SQLite cannot reflect an expression index (ix_papers_doi_lower, on lower(doi)); SQLAlchemy
# says so and Alembic leaves it out of the comparison, which PostgreSQL still makes
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrations_match_the_declared_schema(store: Store) -> None:
    with store.read() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, metadata)
        assert context.get_current_revision() == migrate.head_revision()
    assert diff == []
