"""``litfeed cme settings`` and ``litfeed cme transcript``: the CME office's shell commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from litfeed.cli import Context, cli, command_options, emit
from litfeed.service import accounts, cme, cme_transcript


@cli.group("cme")
def cme_group() -> None:
    """CME credit rules and transcripts."""


@cme_group.command("settings")
@click.option("--credit-per-cycle", default=None, metavar="N",
              help="Credits per completed learning cycle (e.g. 0.5).")
@click.option("--credit-type", default=None, metavar="LABEL", help="The credit type's label.")
@click.option("--yearly-cap", default=None, metavar="N|none",
              help="Most credits per calendar year, or 'none'.")
@click.option("--provider-name", default=None, metavar="NAME",
              help="The accredited provider's name ('' clears it).")
@click.option("--accreditation-statement", default=None, metavar="TEXT",
              help="The provider's accreditation statement ('' clears it: credits are then "
                   "self-reported and pending approval).")
@click.option("--draft-days", default=None, type=int, help="Days to complete a draft.")
@click.option("--edit-hours", default=None, type=int,
              help="Hours a completed cycle stays editable.")
@command_options
def cme_settings(ctx: Context, as_json: bool, **options: Any) -> None:
    """Show the CME credit rules in force, changing those given first."""
    changes = {key: value for key, value in options.items() if value is not None}
    rules = cme.update_rules(ctx.store, ctx.settings, changes)
    emit(rules.to_json(), as_json,
         lambda d: "\n".join(f"{k:>24}: {v if v is not None else '—'}" for k, v in d.items()))


@cme_group.command("transcript")
@click.argument("email")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), default="pdf",
              show_default=True)
@click.option("--year", type=int, default=None, help="Only this credit year.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: stdout).")
@command_options
def cme_transcript_command(ctx: Context, as_json: bool, email: str, fmt: str,
                           year: int | None, output: Path | None) -> None:
    """Write EMAIL's CME transcript (PDF or CSV), e.g. before deleting the account."""
    owner = accounts.get_user_by_email(ctx.store, email)
    content, _media, filename = cme_transcript.transcript_file(ctx.store, ctx.settings, owner,
                                                               fmt, year=year)
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    output.write_bytes(content)
    emit({"file": str(output), "bytes": len(content), "name": filename}, as_json,
         lambda d: f"wrote {d['file']} ({d['bytes']} bytes)")
