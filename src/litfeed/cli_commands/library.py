"""``litfeed react``, ``save`` and ``unsave``: a reader's library from the shell."""

from __future__ import annotations

import click

from litfeed.cli import Context, cli, command_options, emit
from litfeed.service import accounts, library


@cli.command()
@click.argument("email")
@click.argument("pmid")
@click.argument("value", type=click.Choice(["like", "dislike", "none"]))
@click.option("--reason", type=click.Choice(["off_topic", "already_read", "weak_study"]),
              default=None, help="Why a dislike (optional).")
@command_options
def react(ctx: Context, as_json: bool, email: str, pmid: str, value: str,
          reason: str | None) -> None:
    """Set EMAIL's reaction to PMID: like, dislike, or none to clear it."""
    reader = accounts.get_user_by_email(ctx.store, email)
    reaction = library.react(ctx.store, reader.id, pmid, value, reason)
    emit({"pmid": pmid, "reaction": reaction.value if reaction else None}, as_json,
         lambda d: f"{d['pmid']}: {d['reaction'] or 'no reaction'}")


@cli.command()
@click.argument("email")
@click.argument("pmid")
@click.option("--collection", default=None, help='Collection name (default "Saved").')
@click.option("--note", default=None, help="Set the paper's note.")
@command_options
def save(ctx: Context, as_json: bool, email: str, pmid: str, collection: str | None,
         note: str | None) -> None:
    """Save PMID into one of EMAIL's collections (created on first use)."""
    reader = accounts.get_user_by_email(ctx.store, email)
    names = library.save(ctx.store, reader.id, pmid, collection, note)
    emit({"pmid": pmid, "collections": names}, as_json,
         lambda d: f"{d['pmid']} is in: {', '.join(d['collections'])}")


@cli.command()
@click.argument("email")
@click.argument("pmid")
@click.option("--collection", default=None,
              help='Collection name (default "Saved"); --all for every collection.')
@click.option("--all", "everywhere", is_flag=True, help="Remove from every collection.")
@command_options
def unsave(ctx: Context, as_json: bool, email: str, pmid: str, collection: str | None,
           everywhere: bool) -> None:
    """Remove PMID from one of EMAIL's collections."""
    reader = accounts.get_user_by_email(ctx.store, email)
    names = library.unsave(ctx.store, reader.id, pmid,
                           None if everywhere else (collection or library.DEFAULT_COLLECTION))
    emit({"pmid": pmid, "collections": names}, as_json,
         lambda d: f"{d['pmid']} is in: {', '.join(d['collections']) or 'no collection'}")
