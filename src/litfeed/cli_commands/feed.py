"""``litfeed feed``: a reader's personal feed from the shell."""

from __future__ import annotations

from typing import Any

import click

from litfeed.cli import Context, cli, command_options, emit
from litfeed.service import accounts, feed_delivery
from litfeed.service import feed as feed_service


def _show(data: Any) -> str:
    lines = [f"feed for {data['user']}"]
    for item in data["results"]:
        lines.append(f"{item['score']:7.3f}  {item['pmid']}  {item['title']}")
        lines.append(f"         because: {'; '.join(item['because'])}")
    return "\n".join(lines)


@cli.command()
@click.argument("email")
@click.option("--limit", type=click.IntRange(1, feed_service.MAX_LIMIT), default=20,
              show_default=True, help="How many papers.")
@click.option("--since", default=None,
              help="YYYY-MM-DD, or 'all' for every paper (default: the last two years).")
@command_options
def feed(ctx: Context, as_json: bool, email: str, limit: int, since: str | None) -> None:
    """EMAIL's personal feed: papers ranked by what the reader liked, disliked and saved."""
    reader = accounts.get_user_by_email(ctx.store, email)
    result = feed_service.feed_for(ctx.store, ctx.settings, reader, limit=limit, since=since)
    emit(result, as_json, _show)


@cli.command("feed-digest")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), default="daily",
              show_default=True, help="Send to readers whose digest setting is this.")
@click.option("--limit", type=click.IntRange(1, feed_service.MAX_LIMIT), default=10,
              show_default=True, help="Papers per email.")
@command_options
def feed_digest(ctx: Context, as_json: bool, frequency: str, limit: int) -> None:
    """Email each reader with a FREQUENCY digest their top papers (LITFEED_SMTP_HOST)."""
    result = feed_delivery.send_digests(ctx.store, ctx.settings, frequency, limit=limit)
    emit(result, as_json, lambda d: f"sent {d['sent']} {d['frequency']} digest(s)")
