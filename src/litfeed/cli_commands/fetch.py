"""``litfeed fetch``: papers from NCBI (E-utilities, or NLM's update and baseline files)."""

from __future__ import annotations

from typing import Literal

import click

from litfeed.cli import Context, cli, command_options, err_console
from litfeed.cli_commands.ingest import report
from litfeed.service import fetch as fetch_service


@cli.command()
@click.option("--pmid", "pmids", metavar="ID[,ID…]", help="PubMed ids to fetch.")
@click.option("--query", metavar="TEXT", help="A PubMed query; its newest matches are fetched.")
@click.option("--max", "max_results", type=int, default=200, show_default=True,
              help="At most this many papers for --query.")
@click.option("--updates", is_flag=True, help="Apply NLM's daily update files not applied yet.")
@click.option("--baseline", is_flag=True, help="Apply NLM's annual baseline files not applied yet.")
@click.option("--keep-files", is_flag=True, help="Keep downloaded update/baseline files.")
@command_options
def fetch(ctx: Context, as_json: bool, pmids: str | None, query: str | None, max_results: int,
          updates: bool, baseline: bool, keep_files: bool) -> None:
    """Fetch papers from NCBI (online only) and ingest them."""
    chosen = [name for name, on in (("--pmid", pmids), ("--query", query),
                                    ("--updates", updates), ("--baseline", baseline)) if on]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --pmid, --query, --updates, --baseline")
    settings = ctx.settings
    if pmids:
        summary = fetch_service.fetch_pmids(ctx.store, settings,
                                            fetch_service.parse_pmids(pmids))
    elif query:
        summary = fetch_service.fetch_query(ctx.store, settings, query, max_results=max_results)
    else:
        kind: Literal["updatefiles", "baseline"] = "updatefiles" if updates else "baseline"
        summary = fetch_service.fetch_distribution(
            ctx.store, settings, kind, keep_files=keep_files,
            on_file=lambda name: err_console.print(f"applying {name}", highlight=False))
    report(summary, as_json)
