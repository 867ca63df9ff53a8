"""JSON API: the caller's library as files (export, import), citations, and the account export
that lets a reader take everything to another server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from litfeed.errors import InvalidInput, Unauthorized
from litfeed.service import account_io, library_io, papers
from litfeed.web.deps import CurrentUser, OptionalUser, SettingsDep, StoreDep

router = APIRouter(prefix="/api", tags=["library files"])

FORMAT_HELP = "bibtex, ris, csljson, nbib or csv"
STYLE_HELP = "ama, vancouver or apa"
IMPORT_BODY = {"requestBody": {"content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"},
        "format": {"type": "string", "enum": ["auto", *library_io.IMPORT_FORMATS]},
        "collection": {"type": "string"}, "fetch": {"type": "boolean"}}}},
    "application/json": {"schema": {"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string"},
        "format": {"type": "string", "enum": ["auto", *library_io.IMPORT_FORMATS]},
        "collection": {"type": "string"}, "fetch": {"type": "boolean"}}}},
    "text/plain": {"schema": {"type": "string"}},
}}}


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def split_pmids(value: str | None) -> list[str] | None:
    """``1,2 3`` → ``["1", "2", "3"]``; None when not given."""
    if value is None:
        return None
    return [p for p in value.replace(",", " ").split() if p]


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true", "on",
                                                                          "yes"))


async def read_upload(request: Request, max_bytes: int) -> tuple[bytes, dict[str, Any]]:
    """The uploaded file and its options, from a multipart form (``file`` or ``text``), a JSON
    body (``text``) or a raw body (options in the query string).

    :raise InvalidInput: nothing uploaded, or more than ``max_bytes``.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + 65_536:
        raise InvalidInput(f"the upload is too large: at most {max_bytes >> 20} MiB")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    options: dict[str, Any] = dict(request.query_params)
    if kind == "multipart/form-data":
        form = await request.form(max_part_size=max_bytes)
        try:
            upload = form.get("file")
            options.update({k: v for k, v in form.items() if isinstance(v, str) and k != "text"})
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(max_bytes + 1)
            else:
                text = form.get("text")
                data = text.encode("utf-8") if isinstance(text, str) else b""
        finally:
            await form.close()  # the spooled upload's temporary file
    elif kind == "application/json":
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise InvalidInput("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object")
        options.update({k: v for k, v in body.items() if k != "text"})
        text = body.get("text")
        data = text.encode("utf-8") if isinstance(text, str) else b""
        options["_json"] = body
    else:
        data = await request.body()
    if len(data) > max_bytes:
        raise InvalidInput(f"the upload is too large: at most {max_bytes >> 20} MiB")
    return data, options


@router.get("/export", response_class=Response, responses={200: {"content": {
    "application/x-bibtex": {}, "application/x-research-info-systems": {},
    "application/vnd.citationstyles.csl+json": {}, "application/nbib": {}, "text/csv": {}}}})
def export(auth: CurrentUser, store: StoreDep,
           format: str = Query(..., max_length=20, description=FORMAT_HELP),
           collection: str | None = Query(None, max_length=200,
                                          description="one collection (default: all)"),
           pmids: str | None = Query(None, max_length=100_000,
                                     description="only these PMIDs, comma-separated")
           ) -> Response:
    """The caller's collection, whole library or a selection as a file (an attachment)."""
    exported = library_io.export_library(store, auth.user.id, format, collection,
                                         split_pmids(pmids))
    return Response(exported.content, media_type=exported.media_type,
                    headers=attachment(exported.filename))


@router.post("/import", openapi_extra=IMPORT_BODY)
async def import_file(request: Request, auth: CurrentUser, store: StoreDep,
                      settings: SettingsDep) -> dict[str, Any]:
    """Import a RIS, BibTeX, MEDLINE/nbib file or a list of PMIDs/DOIs into a collection
    (`collection`, default "Saved"; `format` auto-detected unless given; `fetch=true` fetches
    unmatched entries from PubMed). Answers what matched, what did not, and the problems, each
    with its line."""
    data, options = await read_upload(request, library_io.MAX_IMPORT_BYTES)
    if not data.strip():
        raise InvalidInput("nothing to import: send a file (multipart 'file'), a JSON body "
                           "{\"text\": …} or the file as the request body")
    report = await run_in_threadpool(
        library_io.import_library, store, auth.user.id, data,
        str(options.get("format") or "auto"), str(options.get("collection") or "Saved"),
        fetch_missing=_flag(options.get("fetch")), settings=settings)
    return report.to_json()


@router.get("/me/export", tags=["privacy"])
def export_account(auth: CurrentUser, store: StoreDep) -> JSONResponse:
    """Everything stored about the caller (profile, settings, reactions with reasons and dates,
    collections with items and notes, history, and every other table of theirs), as an
    attachment that `POST /api/me/import` or `litfeed import-account` reads on any server."""
    day = datetime.now(UTC).date().isoformat()
    return JSONResponse(library_io.export_account(store, auth.user.id),
                        headers=attachment(f"litfeed-account-{day}.json"))


@router.post("/me/import", tags=["privacy"], openapi_extra={"requestBody": {"content": {
    "application/json": {"schema": {"type": "object"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}})
async def import_account(request: Request, auth: CurrentUser, store: StoreDep,
                         settings: SettingsDep) -> dict[str, Any]:
    """Add an account export to the caller's account (adds, never overwrites; all or
    nothing). `?fetch=true` fetches papers this server lacks from PubMed."""
    data, options = await read_upload(request, account_io.MAX_ACCOUNT_BYTES)
    export = options.get("_json")
    return await run_in_threadpool(
        library_io.import_account, store, auth.user.id,
        export if isinstance(export, dict) else data,
        fetch_missing=_flag(options.get("fetch")), settings=settings)


def _public(settings: Any, auth: Any) -> None:
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")


@router.get("/papers/{pmid}/cite", tags=["papers"])
def cite_paper(pmid: str, store: StoreDep, settings: SettingsDep, auth: OptionalUser,
               style: str | None = Query(None, max_length=20,
                                         description=f"{STYLE_HELP} (default: all three)")
               ) -> dict[str, Any]:
    """The paper as a formatted reference: `{"pmid", "citations": [{"style", "label", "text",
    "html"}]}`."""
    _public(settings, auth)
    paper = papers.get_paper(store, pmid)
    found = ([library_io.citation(paper, library_io.check_style(style))] if style
             else library_io.citations_for(paper))
    return {"pmid": paper.pmid, "citations": [c.to_json() for c in found]}


@router.get("/cite", tags=["papers"])
def cite(store: StoreDep, settings: SettingsDep, auth: OptionalUser,
         pmids: str = Query(..., max_length=100_000, description="comma-separated PMIDs"),
         style: str = Query("ama", max_length=20, description=STYLE_HELP)) -> dict[str, Any]:
    """Several papers in one style, in the order given: `{"style", "citations": [{"pmid",
    "style", "label", "text", "html"}]}`."""
    _public(settings, auth)
    found = library_io.cite(store, split_pmids(pmids) or [], style)
    return {"style": style, "citations": [c.to_json() for c in found]}
