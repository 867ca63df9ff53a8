"""``litfeed search`` and ``litfeed reindex``."""

from __future__ import annotations

from typing import Any, Literal

import click

from litfeed.cli import Context, cli, command_options, emit, err_console
from litfeed.search.index import SearchFilters
from litfeed.service import search as search_service


def _human(data: dict[str, Any]) -> str:
    lines = [f"{data['total']} result(s) for {data['canonical_query'] or data['query']}"]
    for r in data["results"]:
        lines.append(f"  {r['pmid']:>9}  {r['year'] or '':>4}  {r['title']}  ({r['journal']})")
    return "\n".join(lines)


@cli.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, search_service.MAX_PAGE_SIZE), default=20,
              show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True)
@click.option("--year-from", type=int)
@click.option("--year-to", type=int)
@click.option("--type", "publication_types", multiple=True, metavar="PT",
              help="Publication type, e.g. 'Randomized Controlled Trial' (repeatable).")
@click.option("--has-abstract", is_flag=True)
@click.option("--free-full-text", is_flag=True)
@click.option("--hide-retracted", is_flag=True)
@command_options
def search(ctx: Context, as_json: bool, query: str, limit: int, page: int,
           sort: Literal["relevance", "date"], year_from: int | None, year_to: int | None,
           publication_types: tuple[str, ...], has_abstract: bool, free_full_text: bool,
           hide_retracted: bool) -> None:
    """Search with PubMed syntax: terms, "phrases", AND/OR/NOT, field tags like [ti] [au] [dp]."""
    filters = SearchFilters(year_from=year_from, year_to=year_to,
                            publication_types=publication_types, has_abstract=has_abstract,
                            free_full_text=free_full_text, hide_retracted=hide_retracted)
    request = search_service.SearchRequest(query=query, sort=sort, page=page, size=limit,
                                           filters=filters)
    with search_service.open_index(ctx.settings) as index:
        emit(search_service.search(ctx.store, index, request), as_json, _human)


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of catching up.")
@command_options
def reindex(ctx: Context, as_json: bool, full: bool) -> None:
    """Bring this machine's search index up to date with the database (or rebuild it)."""
    err_console.print("indexing…", highlight=False)
    touched = search_service.refresh(ctx.store, ctx.settings, rebuild=full)
    with search_service.open_index(ctx.settings) as index:
        total = index.count()
    emit({"indexed": touched, "papers": total}, as_json,
         lambda d: f"{d['indexed']} paper(s) (re)indexed; {d['papers']} in the index")
