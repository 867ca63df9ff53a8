"""``litfeed ingest``: PubMed XML files and folders into the store, with progress on stderr."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from litfeed.cli import Context, cli, command_options, emit, err_console
from litfeed.service import embeddings as embed_service
from litfeed.service import search as search_service
from litfeed.service.ingest import IngestSummary, expand_paths, ingest_paths


def _human(summary: dict[str, object]) -> str:
    errors = summary["errors"]
    assert isinstance(errors, list)
    lines = [f"{summary['files']} file(s): {summary['added']} added, {summary['updated']} "
             f"updated, {summary['deleted']} deleted, {summary['unchanged']} unchanged, "
             f"{len(errors)} error(s)"]
    lines += [f"  {e['file']}: PMID {e['pmid']} line {e['line']}: {e['message']}"
              for e in errors[:20]]
    if len(errors) > 20:
        lines.append(f"  … and {len(errors) - 20} more (use --json for all)")
    return "\n".join(lines)


def report(ctx: Context, summary: IngestSummary, as_json: bool) -> None:
    """Bring the search index up to date, print the summary; exit 2 when a file could not be
    read to its end."""
    if summary.counts.added or summary.counts.updated or summary.counts.deleted:
        if err_console.is_terminal:  # a progress note for people, not for logs
            err_console.print("updating the search index…", highlight=False)
        search_service.refresh(ctx.store, ctx.settings)
        if ctx.settings.embed_after_ingest:
            embed_service.start_background_embed(ctx.settings)
    emit(summary.to_json(), as_json, _human)
    for name in summary.failed_files:
        message = next((e.message for e in summary.errors if e.file == name and e.pmid is None),
                       "unreadable")
        err_console.print(f"[red]error:[/red] {message}", highlight=False)
    if summary.failed_files:
        raise click.exceptions.Exit(2)


def run_with_progress(ctx: Context, paths: list[Path], workers: int = 1) -> IngestSummary:
    files = expand_paths(paths)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(),
        TextColumn("{task.completed}/{task.total} files"),
        TextColumn("{task.fields[records]} records · {task.fields[rate]} rec/s"),
        TimeElapsedColumn(), console=err_console, disable=not err_console.is_terminal,
        transient=False,
    ) as progress:
        task = progress.add_task("ingest", total=len(files), records=0, rate="-")
        state = {"records": 0, "files": 0}

        def on_records(_name: str, n: int) -> None:
            state["records"] += n
            elapsed = progress.tasks[task].elapsed or 1e-9
            rate = f"{state['records'] / elapsed:,.0f}"
            progress.update(task, records=state["records"], rate=rate)

        def on_file(path: Path) -> None:
            progress.update(task, description=path.name, completed=state["files"])
            state["files"] += 1

        summary = ingest_paths(ctx.store, files, batch_size=ctx.settings.ingest_batch_size,
                               progress=on_records, on_file=on_file, workers=workers)
        progress.update(task, completed=len(files), description="ingest")
    return summary


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(0, 1), default=1, show_default=True,
              help="Parser processes beside the writer: 1 pipelines parsing and writing on "
                   "two cores, 0 parses in the writing process.")
@command_options
def ingest(ctx: Context, as_json: bool, paths: tuple[Path, ...], workers: int) -> None:
    """Load PubMed XML files (.xml, .xml.gz) or folders of them."""
    report(ctx, run_with_progress(ctx, list(paths), workers), as_json)
