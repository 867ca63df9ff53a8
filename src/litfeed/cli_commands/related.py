"""``litfeed related PMID``."""

from __future__ import annotations

from typing import Any

import click

from litfeed.cli import Context, cli, command_options, emit
from litfeed.service import related as related_service


def _human(data: dict[str, Any]) -> str:
    lines = [f"papers related to {data['pmid']}"]
    for r in data["results"]:
        flag = "  [RETRACTED]" if r.get("retracted") else ""
        lines.append(f"  {r['pmid']:>9}  {r['title']}{flag}\n             {r['why']}")
    return "\n".join(lines)


@cli.command()
@click.argument("pmid")
@click.option("--limit", type=click.IntRange(1, related_service.MAX_LIMIT), default=10,
              show_default=True)
@command_options
def related(ctx: Context, as_json: bool, pmid: str, limit: int) -> None:
    """Papers related to PMID: similar content, similar abstract, shared major MeSH topics."""
    emit(related_service.related(ctx.store, ctx.settings, pmid, limit), as_json, _human)
