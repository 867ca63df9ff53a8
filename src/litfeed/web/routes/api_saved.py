"""JSON API: the caller's saved papers, collections and notes."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from litfeed.service import library
from litfeed.web.deps import CurrentUser, RowId, StoreDep

router = APIRouter(prefix="/api", tags=["saved papers"])


class SaveBody(BaseModel):
    collection: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=library.MAX_NOTE)


class NoteBody(BaseModel):
    note: str | None = Field(default=None, max_length=library.MAX_NOTE)


class CollectionBody(BaseModel):
    name: str = Field(max_length=200)


@router.get("/saved")
def list_saved(auth: CurrentUser, store: StoreDep,
               collection: str | None = Query(None, max_length=200),
               sort: Literal["saved", "published"] = "saved") -> dict[str, Any]:
    """Saved papers, each once with every collection it is in; narrowed to one `collection`
    (by name) when given; sorted by date saved or date published, newest first."""
    uid = auth.user.id
    chosen = library.get_collection_by_name(store, uid, collection) if collection else None
    items = library.list_saved(store, uid, collection_id=chosen.id if chosen else None,
                               sort=sort)
    return {"collection": chosen.name if chosen else None, "sort": sort,
            "results": [i.to_json() for i in items],
            "collections": [c.to_json() for c in library.list_collections(store, uid)]}


@router.put("/saved/{pmid}")
def save(pmid: str, auth: CurrentUser, store: StoreDep,
         body: SaveBody | None = None) -> dict[str, Any]:
    """Save into `collection` (default "Saved", created on first use); a `note` replaces the
    paper's note. Saving again is harmless."""
    body = body or SaveBody()
    names = library.save(store, auth.user.id, pmid, body.collection, body.note)
    return {"pmid": pmid.strip(), "collections": names}


@router.delete("/saved/{pmid}")
def unsave(pmid: str, auth: CurrentUser, store: StoreDep,
           collection: str | None = Query(None, max_length=200),
           everywhere: bool = Query(False, alias="all",
                                    description="remove from every collection")
           ) -> dict[str, Any]:
    """Remove from `collection` (default "Saved"), or from every collection with `all=true`."""
    names = library.unsave(store, auth.user.id, pmid,
                           None if everywhere else (collection or library.DEFAULT_COLLECTION))
    return {"pmid": pmid.strip(), "collections": names}


@router.put("/saved/{pmid}/note")
def set_note(pmid: str, body: NoteBody, auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """Set the note of a saved paper (an empty note clears it); 404 when it is not saved."""
    return {"pmid": pmid.strip(), "note": library.set_note(store, auth.user.id, pmid, body.note)}


@router.get("/collections")
def list_collections(auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return {"collections": [c.to_json() for c in library.list_collections(store, auth.user.id)]}


@router.post("/collections", status_code=201)
def create_collection(body: CollectionBody, auth: CurrentUser,
                      store: StoreDep) -> dict[str, Any]:
    """409 when the name is taken."""
    return library.create_collection(store, auth.user.id, body.name).to_json()


@router.patch("/collections/{collection_id}")
def rename_collection(collection_id: RowId, body: CollectionBody, auth: CurrentUser,
                      store: StoreDep) -> dict[str, Any]:
    return library.rename_collection(store, auth.user.id, collection_id, body.name).to_json()


@router.delete("/collections/{collection_id}", status_code=204)
def delete_collection(collection_id: RowId, auth: CurrentUser, store: StoreDep) -> Response:
    """Delete the collection; its papers stay in the caller's other collections."""
    library.delete_collection(store, auth.user.id, collection_id)
    return Response(status_code=204)
