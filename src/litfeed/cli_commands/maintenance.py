"""``litfeed backup``, ``restore`` and ``check``: the operator's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from litfeed.cli import Context, cli, command_options, emit
from litfeed.service import maintenance


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@command_options
def backup(ctx: Context, as_json: bool, path: Path) -> None:
    """A consistent online copy of the database (SQLite backup API, or pg_dump)."""
    emit(maintenance.backup(ctx.store, path), as_json,
         lambda d: f"backed up the {d['backend']} database to {d['backup']} ({d['bytes']:,} bytes)")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@command_options
def restore(ctx: Context, as_json: bool, path: Path, yes: bool) -> None:
    """Replace the database with a backup; the search index and vectors are rebuilt."""
    if not yes:
        click.confirm(f"Replace everything in {ctx.store.url} with {path}?", abort=True,
                      err=True)
    emit(maintenance.restore(ctx.store, ctx.settings, path), as_json,
         lambda d: f"restored {d['restored']}; run `litfeed reindex` (or just search) to rebuild")


def _human(d: dict[str, Any]) -> str:
    lines = [f"{d['papers']} papers, {d['indexed']} indexed, {d['embedded']} embedded "
             f"({d['not_embedded']} waiting for `litfeed embed`)"]
    lines += [f"  problem: {f}" for f in d["findings"]]
    lines += [f"  repaired: {r}" for r in d["repaired"]]
    lines.append("all consistent" if d["ok"] and not d["findings"] else
                 "repaired" if d["ok"] else "problems remain (try --repair)")
    return "\n".join(lines)


@cli.command()
@click.option("--repair", is_flag=True, help="Rebuild what disagrees with the database.")
@command_options
def check(ctx: Context, as_json: bool, repair: bool) -> None:
    """Verify the database, the search index and the vectors agree (exit 1 if not)."""
    result = maintenance.check(ctx.store, ctx.settings, repair=repair)
    emit(result, as_json, _human)
    if not result["ok"]:
        raise click.exceptions.Exit(1)
