"""The ``litfeed`` command line: each command parses options, calls one service, prints.

Results go to stdout (``--json`` for machines), progress and logs to stderr. Library errors are
translated once, in :func:`main`: a one-line message and the error's exit code (2 for bad input).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from litfeed.config import Settings
from litfeed.errors import LitfeedError, storage_error_from_os
from litfeed.store import Store

F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True, soft_wrap=True)


class Context:
    """What every command receives: settings (with ``--db`` applied) and a lazily opened store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.settings)
        return self._store


def command_options(func: F) -> F:
    """``--db`` and ``--json`` on every command, as the contract promises."""

    @click.option("--db", "db_url", default=None, metavar="URL",
                  help="Database URL for this command (default: LITFEED_DATABASE_URL or SQLite "
                       "in LITFEED_DATA_DIR).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
    @click.pass_context
    @functools.wraps(func)
    def wrapper(click_ctx: click.Context, db_url: str | None, as_json: bool,
                *args: Any, **kwargs: Any) -> Any:
        settings: Settings = click_ctx.obj or Settings.from_env()
        ctx = Context(settings.with_database(db_url))
        try:
            return func(ctx, as_json, *args, **kwargs)
        finally:
            if ctx._store is not None:
                ctx._store.close()

    return wrapper  # type: ignore[return-value]


def emit(data: Any, as_json: bool, human: Callable[[Any], str] | None = None) -> None:
    if as_json or human is None:
        click.echo(json.dumps(data, ensure_ascii=False, indent=None if as_json else 2))
    else:
        click.echo(human(data))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="litfeed")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """litfeed: a self-hosted reader for the medical literature."""
    ctx.obj = Settings.from_env()


@cli.command()
@command_options
def init(ctx: Context, as_json: bool) -> None:
    """Create or upgrade the database schema (and nothing else)."""
    store = ctx.store
    emit({"database": store.url, "schema": store.schema_version}, as_json,
         lambda d: f"database {d['database']} at schema {d['schema']}")


@cli.command()
@command_options
def stats(ctx: Context, as_json: bool) -> None:
    """Counts of papers, embeddings and users, and the newest publication date."""
    from litfeed.service.papers import stats as stats_

    emit(stats_(ctx.store), as_json,
         lambda d: "\n".join(f"{k:>9}: {v}" for k, v in d.items()))


@cli.command()
@click.argument("pmid")
@command_options
def show(ctx: Context, as_json: bool, pmid: str) -> None:
    """Print one paper as JSON."""
    from litfeed.service.papers import get_paper

    emit(get_paper(ctx.store, pmid).to_json(), True)


def _register_more() -> None:
    """Import every module of ``litfeed.cli_commands``: each registers its commands on ``cli``
    (kept apart so this file stays small and a new command needs no edit here)."""
    import importlib
    import pkgutil

    from litfeed import cli_commands

    for module in pkgutil.iter_modules(cli_commands.__path__):
        importlib.import_module(f"litfeed.cli_commands.{module.name}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command, turning library errors into a message and an exit code."""
    _register_more()
    try:
        code = cli.main(args=argv, prog_name="litfeed", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except LitfeedError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a full disk or a read-only directory the library did not name
        translated = storage_error_from_os(exc)
        if translated is None:
            raise
        err_console.print(f"[red]error:[/red] {translated.message}", highlight=False)
        sys.exit(translated.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
