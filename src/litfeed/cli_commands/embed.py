"""``litfeed embed``: sentence embeddings for the papers that lack them."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from litfeed.cli import Context, cli, command_options, emit, err_console
from litfeed.service import embeddings as embed_service


@cli.command()
@click.option("--limit", type=click.IntRange(1), default=None, help="Embed at most N papers.")
@click.option("--quiet", is_flag=True, help="No progress bar (for background runs).")
@command_options
def embed(ctx: Context, as_json: bool, limit: int | None, quiet: bool) -> None:
    """Embed papers without a current vector (incremental and resumable)."""
    embedder = embed_service.default_embedder(ctx.settings)
    total = embed_service.count_pending(ctx.store, embedder.name, embedder.version)
    if limit is not None:
        total = min(total, limit)
    with Progress(TextColumn("embedding"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]} papers/s"), TimeElapsedColumn(),
                  console=err_console, disable=quiet or not err_console.is_terminal) as bar:
        task = bar.add_task("embed", total=total, rate="-")

        def advance(n: int) -> None:
            bar.advance(task, n)
            t = bar.tasks[task]
            bar.update(task, rate=f"{t.completed / max(t.elapsed or 1e-9, 1e-9):,.0f}")

        result = embed_service.embed_pending(ctx.store, ctx.settings, embedder=embedder,
                                             limit=limit, progress=advance)
    emit(result, as_json,
         lambda d: f"{d['embedded']} paper(s) embedded with {d['model']} ({d['dim']} dims)")
