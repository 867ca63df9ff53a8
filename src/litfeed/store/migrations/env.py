"""Alembic environment: the engine comes from ``config.attributes`` (see store/migrate.py)."""

from alembic import context

from litfeed.store.schema import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line, e.g. for autogenerate
    from litfeed.config import Settings
    from litfeed.store.engine import make_engine

    engine = make_engine(Settings.from_env().database_url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
