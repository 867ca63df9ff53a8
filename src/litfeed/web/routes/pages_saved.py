"""Pages: /saved — collections (create, rename, delete), notes, sorting, removal."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from litfeed.service import library
from litfeed.web import paper_view
from litfeed.web.deps import CheckedForm, CurrentUser, RowId, StoreDep
from litfeed.web.render import render
from litfeed.web.routes.forms import done, field

router = APIRouter(include_in_schema=False)


@router.get("/saved")
def saved_page(request: Request, auth: CurrentUser, store: StoreDep,
               collection: int | None = Query(None, ge=1, le=2_147_483_647),
               sort: Literal["saved", "published"] = "saved") -> Response:
    uid = auth.user.id
    chosen = library.get_collection(store, uid, collection) if collection else None
    items = library.list_saved(store, uid, collection_id=collection, sort=sort)
    collections = library.list_collections(store, uid)
    states = library.card_states(store, uid, [i.pmid for i in items])
    query = "&".join(p for p in (f"collection={collection}" if collection else "",
                                 "sort=published" if sort == "published" else "") if p)
    return render(request, "pages/saved.html", {
        "items": items, "collections": collections, "chosen": chosen, "sort": sort,
        "states": states, "view": paper_view,
        "total": sum(1 for _ in {i.pmid for i in items}),
        "here": "/saved" + (f"?{query}" if query else ""),
    }, auth=auth)


@router.post("/saved/collections")
def create_collection(request: Request, auth: CurrentUser, form: CheckedForm,
                      store: StoreDep) -> Response:
    created = library.create_collection(store, auth.user.id, field(form, "name"))
    return done(request, form, f"/saved?collection={created.id}", created.to_json())


@router.post("/saved/collections/{collection_id}/rename")
def rename_collection(collection_id: RowId, request: Request, auth: CurrentUser,
                      form: CheckedForm, store: StoreDep) -> Response:
    renamed = library.rename_collection(store, auth.user.id, collection_id, field(form, "name"))
    return done(request, form, f"/saved?collection={collection_id}", renamed.to_json())


@router.post("/saved/collections/{collection_id}/delete")
def delete_collection(collection_id: RowId, request: Request, auth: CurrentUser,
                      form: CheckedForm, store: StoreDep) -> Response:
    library.delete_collection(store, auth.user.id, collection_id)
    if field(form, "next").startswith(f"/saved?collection={collection_id}"):
        return RedirectResponse("/saved", status_code=303)
    return done(request, form, "/saved", {"deleted": collection_id})


@router.post("/saved/{pmid}/note")
def set_note(pmid: str, request: Request, auth: CurrentUser, form: CheckedForm,
             store: StoreDep) -> Response:
    note = library.set_note(store, auth.user.id, pmid, field(form, "note"))
    return done(request, form, "/saved", {"pmid": pmid, "note": note})


@router.post("/saved/{pmid}/remove")
def remove(pmid: str, request: Request, auth: CurrentUser, form: CheckedForm,
           store: StoreDep) -> Response:
    """Remove from one collection (``collection`` = its name) or, without one, from all."""
    names = library.unsave(store, auth.user.id, pmid, field(form, "collection") or None)
    return done(request, form, "/saved", {"pmid": pmid, "collections": names})
