"""``litfeed export``, ``import``, ``cite``, ``export-account`` and ``import-account``: the
reader's library and account out of and into files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from litfeed.cli import Context, cli, command_options, emit, err_console
from litfeed.errors import InvalidInput
from litfeed.service import accounts, library_io
from litfeed.service.library import DEFAULT_COLLECTION


def _read(path: str) -> bytes:
    """The file's bytes; ``-`` reads stdin.

    :raise InvalidInput: it cannot be read (exit code 2).
    """
    if path == "-":
        return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else \
            sys.stdin.read().encode("utf-8")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror or exc})") from None


@cli.command()
@click.argument("email")
@click.option("--format", "fmt", required=True, type=click.Choice(library_io.EXPORT_FORMATS),
              help="File format.")
@click.option("--collection", default=None, help="One collection (default: the whole library).")
@click.option("--pmid", "pmids", multiple=True, help="Only these papers (repeatable).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of stdout.")
@command_options
def export(ctx: Context, as_json: bool, email: str, fmt: str, collection: str | None,
           pmids: tuple[str, ...], output: str | None) -> None:
    """Write EMAIL's collection (or whole library) as BibTeX, RIS, CSL-JSON, MEDLINE/nbib or
    CSV. The file itself goes to stdout (--json changes nothing)."""
    reader = accounts.get_user_by_email(ctx.store, email)
    exported = library_io.export_library(ctx.store, reader.id, fmt, collection,
                                         list(pmids) if pmids else None)
    if output:
        Path(output).write_text(exported.content, encoding="utf-8", newline="")
        err_console.print(f"wrote {output}")
    else:
        click.echo(exported.content, nl=False)


def _import_summary(d: dict[str, Any]) -> str:
    lines = [f"{d['matched']} of {d['entries']} entries matched stored papers; "
             f"{d['imported']} added to “{d['collection']}” "
             f"({d['already_saved']} already there)"]
    if d["fetched"]:
        lines.append(f"{d['fetched']} fetched from PubMed")
    if d.get("fetch_error"):
        lines.append(d["fetch_error"])
    if d["unmatched"]:
        lines.append(f"not found ({len(d['unmatched'])}):")
        lines += [f"  {e['description']}" for e in d["unmatched"]]
    if d["problems"]:
        lines.append(f"not imported ({len(d['problems'])}):")
        lines += [f"  line {p['line']}: {p['entry']}: {p['message']}" for p in d["problems"]]
    return "\n".join(lines)


@cli.command("import")
@click.argument("email")
@click.argument("file", metavar="FILE")
@click.option("--collection", default=DEFAULT_COLLECTION, show_default=True,
              help="Put the matched papers in this collection (created when missing).")
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(("auto", *library_io.IMPORT_FORMATS)),
              help="File format (auto: detected from the content).")
@click.option("--fetch", "fetch_missing", is_flag=True,
              help="Fetch entries not in the store from PubMed by PMID or DOI (online).")
@command_options
def import_(ctx: Context, as_json: bool, email: str, file: str, collection: str, fmt: str,
            fetch_missing: bool) -> None:
    """Import a RIS, BibTeX, MEDLINE/nbib file or a list of PMIDs/DOIs (FILE, or - for stdin)
    into one of EMAIL's collections, matching entries by PMID, DOI, then title + year."""
    reader = accounts.get_user_by_email(ctx.store, email)
    report = library_io.import_library(ctx.store, reader.id, _read(file), fmt, collection,
                                       fetch_missing=fetch_missing, settings=ctx.settings)
    emit(report.to_json(), as_json, _import_summary)


@cli.command()
@click.argument("pmids", nargs=-1, required=True, metavar="PMID...")
@click.option("--style", default="ama", show_default=True,
              type=click.Choice(("ama", "vancouver", "apa")), help="Citation style.")
@click.option("--html", "as_html", is_flag=True, help="HTML (<i> for italics) instead of text.")
@command_options
def cite(ctx: Context, as_json: bool, pmids: tuple[str, ...], style: str, as_html: bool) -> None:
    """Formatted references for stored papers in AMA, Vancouver (NLM) or APA style."""
    found = library_io.cite(ctx.store, list(pmids), style)
    data = {"style": style, "citations": [{"pmid": c.pmid, "text": c.text, "html": c.html}
                                          for c in found]}
    key = "html" if as_html else "text"
    emit(data, as_json, lambda d: "\n".join(c[key] for c in d["citations"]))


@cli.command("export-account")
@click.argument("email")
@command_options
def export_account(ctx: Context, as_json: bool, email: str) -> None:
    """Everything stored about EMAIL as JSON (what GET /api/me/export answers)."""
    reader = accounts.get_user_by_email(ctx.store, email)
    click.echo(json.dumps(library_io.export_account(ctx.store, reader.id), ensure_ascii=False,
                          indent=None if as_json else 2))


@cli.command("import-account")
@click.argument("email")
@click.argument("file", metavar="FILE")
@click.option("--fetch", "fetch_missing", is_flag=True,
              help="Fetch papers this server lacks from PubMed (online).")
@command_options
def import_account(ctx: Context, as_json: bool, email: str, file: str,
                   fetch_missing: bool) -> None:
    """Add an account export (GET /api/me/export, or export-account) to EMAIL's account.
    Adds, never overwrites; importing twice changes nothing."""
    reader = accounts.get_user_by_email(ctx.store, email)
    counts = library_io.import_account(ctx.store, reader.id, _read(file),
                                       fetch_missing=fetch_missing, settings=ctx.settings)
    emit(counts, as_json)
