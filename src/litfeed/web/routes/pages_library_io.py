"""Pages: export, cite and import on /saved, the paper page's Cite block and its downloads.

Everything works without JavaScript: export and cite are GET forms (the ticked papers are
checkboxes tied to the form with ``form=``), import is a multipart POST answered with a page
listing what matched, what did not, and each problem with its line.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from litfeed.errors import InvalidInput, Unauthorized
from litfeed.formats import EXPORTERS, IMPORTERS
from litfeed.formats.cite import STYLE_LABELS
from litfeed.models import Paper
from litfeed.service import library, library_io
from litfeed.service.accounts import SignedIn
from litfeed.web.blocks import PaperBlock, add_block
from litfeed.web.deps import CheckedForm, CurrentUser, OptionalUser, SettingsDep, StoreDep
from litfeed.web.render import render
from litfeed.web.routes.api_library_io import attachment
from litfeed.web.routes.forms import field

router = APIRouter(include_in_schema=False)
log = logging.getLogger("litfeed.web")

#: what the export, cite and import forms offer
EXPORT_CHOICES = [(e.name, e.label) for e in EXPORTERS.values()]
IMPORT_CHOICES = [("auto", "Detect"), *((i.name, i.label) for i in IMPORTERS.values())]
STYLE_CHOICES = list(STYLE_LABELS.items())
CollectionId = Query(None, ge=1, le=2_147_483_647)
Pmids = Query([], max_length=library_io.MAX_SELECTION)


def _scope(store: Any, user_id: int, collection: int | None, pmids: list[str]
           ) -> tuple[str | None, list[str] | None, str]:
    """(collection name, selection, what to call it) from the /saved forms' fields: ticked
    papers win over the collection shown."""
    name = library.get_collection(store, user_id, collection).name if collection else None
    chosen = [p for p in pmids if p.strip()] or None
    if chosen:
        title = f"{len(chosen)} selected paper{'' if len(chosen) == 1 else 's'}"
    else:
        title = f"“{name}”" if name else "all saved papers"
    return name, chosen, title


@router.get("/saved/export")
def export(auth: CurrentUser, store: StoreDep, format: str = Query("bibtex", max_length=20),
           collection: int | None = CollectionId, pmid: list[str] = Pmids) -> Response:
    """The collection shown (or the ticked papers) as a file."""
    name, chosen, _ = _scope(store, auth.user.id, collection, pmid)
    exported = library_io.export_library(store, auth.user.id, format, name, chosen)
    return Response(exported.content, media_type=exported.media_type,
                    headers=attachment(exported.filename))


@router.get("/saved/cite")
def cite(request: Request, auth: CurrentUser, store: StoreDep,
         style: str = Query("ama", max_length=20), collection: int | None = CollectionId,
         pmid: list[str] = Pmids) -> Response:
    """The collection (or the ticked papers) as a reference list in one style."""
    name, chosen, title = _scope(store, auth.user.id, collection, pmid)
    citations = library_io.cite_library(store, auth.user.id, style, collection=name,
                                        pmids=chosen)
    keep = [("collection", str(collection))] if collection else []
    keep += [("pmid", p) for p in chosen or []]
    return render(request, "pages/cite.html", {
        "citations": citations, "style": style, "styles": STYLE_CHOICES, "title": title,
        "keep": keep, "back": f"/saved?collection={collection}" if collection else "/saved",
        "plain": "\n\n".join(c.text for c in citations),
    }, auth=auth)


def _import_page(request: Request, auth: SignedIn, store: Any, *, status: int = 200,
                 **context: Any) -> Response:
    collections = library.list_collections(store, auth.user.id)
    return render(request, "pages/import.html", {
        "collections": collections,
        "import_collection": context.pop("collection", library.DEFAULT_COLLECTION), **context,
    }, auth=auth, status=status)


@router.get("/saved/import")
def import_form(request: Request, auth: CurrentUser, store: StoreDep,
                collection: str = Query(library.DEFAULT_COLLECTION, max_length=200)
                ) -> Response:
    return _import_page(request, auth, store, collection=collection)


@router.post("/saved/import")
def import_file(request: Request, auth: CurrentUser, form: CheckedForm, store: StoreDep,
                settings: SettingsDep) -> Response:
    """Upload a reference file (or paste identifiers); answers with the import report."""
    upload = form.get("file")
    data = b""
    if isinstance(upload, UploadFile):
        with upload.file:  # the spooled upload's temporary file goes at once
            data = upload.file.read(library_io.MAX_IMPORT_BYTES + 1) if upload.filename else b""
    if not data.strip():
        data = field(form, "text").encode("utf-8")
    collection = field(form, "collection") or library.DEFAULT_COLLECTION
    try:
        if not data.strip():
            raise InvalidInput("choose a file to import, or paste PMIDs or DOIs")
        report = library_io.import_library(
            store, auth.user.id, data, field(form, "format") or "auto", collection,
            fetch_missing=field(form, "fetch") == "on", settings=settings)
    except InvalidInput as exc:
        return _import_page(request, auth, store, status=400, error=exc.message,
                            collection=collection)
    target = next((c for c in library.list_collections(store, auth.user.id)
                   if c.name == report.collection), None)
    return _import_page(request, auth, store, report=report, target=target,
                        collection=report.collection)


@router.get("/papers/{pmid}/export")
def export_paper(pmid: str, store: StoreDep, settings: SettingsDep, auth: OptionalUser,
                 format: str = Query("bibtex", max_length=20)) -> Response:
    """One paper as a file (the Cite block's downloads; public like the paper page)."""
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")
    exported = library_io.export_papers(store, [pmid], format)
    return Response(exported.content, media_type=exported.media_type,
                    headers=attachment(exported.filename))


def cite_block(request: Request, paper: Paper, auth: SignedIn | None) -> dict[str, Any] | None:
    try:
        citations = library_io.citations_for(paper)
    except Exception:  # a record citeproc cannot format must not take the paper page down
        log.exception("no citation for PMID %s", paper.pmid)
        return None
    return {"citations": citations, "formats": EXPORT_CHOICES}


CITE_BLOCK = PaperBlock(name="cite", template="partials/_block_cite.html", context=cite_block,
                        order=60)


def install(app: FastAPI) -> None:
    """Routes, the paper page's Cite block, and the choices the /saved forms offer."""
    app.include_router(router)
    add_block(app, CITE_BLOCK)
    app.state.templates.env.globals.update(
        export_formats=EXPORT_CHOICES, import_formats=IMPORT_CHOICES, cite_styles=STYLE_CHOICES)
