"""``litfeed digest`` (email digests of saved searches, for cron) and ``litfeed searches``."""

from __future__ import annotations

from typing import Any, Literal

import click

from litfeed.cli import Context, cli, command_options, emit
from litfeed.service import accounts, alerts, digest
from litfeed.service import search as search_service


def _human_digest(data: dict[str, Any]) -> str:
    verb = "would send" if data["dry_run"] else "sent"
    line = (f"{verb} {data['emails']} email(s): {data['papers']} new paper(s) in "
            f"{data['searches']} saved search(es)")
    if data["failed"]:
        line += f"; refused for {', '.join(data['failed'])} (retried next run)"
    return line


@cli.command("digest")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), default=None,
              help="Only searches with this digest setting (default: every search that is due).")
@click.option("--dry-run", is_flag=True, help="Count what would be sent; send and record nothing.")
@command_options
def digest_command(ctx: Context, as_json: bool, frequency: Literal["daily", "weekly"] | None,
                   dry_run: bool) -> None:
    """Email each reader the new matches of their saved searches (run daily from cron)."""
    with search_service.open_index(ctx.settings) as index:
        report = digest.send_digests(ctx.store, index, ctx.settings, frequency=frequency,
                                     dry_run=dry_run)
    emit(report.to_json(), as_json, _human_digest)
    if report.failed:
        raise click.exceptions.Exit(1)


@cli.group()
def searches() -> None:
    """A reader's saved searches."""


def _human_list(data: dict[str, Any]) -> str:
    if not data["searches"]:
        return "no saved searches"
    return "\n".join(f"{s['id']:>5}  {s['new']:>5} new  [{s['digest']}]  {s['name']}: {s['query']}"
                     for s in data["searches"])


@searches.command("list")
@click.argument("email")
@command_options
def list_command(ctx: Context, as_json: bool, email: str) -> None:
    """The reader's saved searches with their new-match counts."""
    user = accounts.get_user_by_email(ctx.store, email)
    mine = alerts.list_searches(ctx.store, user.id)
    with search_service.open_index(ctx.settings) as index:
        counts = alerts.new_counts(ctx.store, index, mine)
    emit({"user": user.email, "searches": [
        {**s.to_json(ctx.settings.base_url), "new": counts[s.id]} for s in mine]},
        as_json, _human_list)


@searches.command("add")
@click.argument("email")
@click.argument("query")
@click.option("--name", default=None, help="Default: the query.")
@click.option("--digest", "digest_", type=click.Choice(list(alerts.DIGESTS)), default="none",
              show_default=True)
@command_options
def add_command(ctx: Context, as_json: bool, email: str, query: str, name: str | None,
                digest_: str) -> None:
    """Save QUERY for the reader (PubMed syntax, as `litfeed search`)."""
    user = accounts.get_user_by_email(ctx.store, email)
    saved = alerts.save_search(ctx.store, user.id, query=query, name=name, digest=digest_)
    emit(saved.to_json(ctx.settings.base_url), as_json,
         lambda d: f"saved search {d['id']} “{d['name']}”; feed: {d['feed_url']}")


@searches.command("delete")
@click.argument("email")
@click.argument("search_id", type=click.IntRange(1, 2_147_483_647))
@command_options
def delete_command(ctx: Context, as_json: bool, email: str, search_id: int) -> None:
    """Delete one of the reader's saved searches."""
    user = accounts.get_user_by_email(ctx.store, email)
    alerts.delete_search(ctx.store, user.id, search_id)
    emit({"deleted": search_id}, as_json, lambda d: f"deleted saved search {d['deleted']}")
