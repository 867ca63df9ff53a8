"""The Alembic migrations build exactly the schema that schema.py declares, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from litfeed.store import Store, migrate
from litfeed.store.schema import metadata


def test_migrations_match_the_declared_schema(store: Store) -> None:
    with store.read() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, metadata)
        assert context.get_current_revision() == migrate.head_revision()
    assert diff == []
