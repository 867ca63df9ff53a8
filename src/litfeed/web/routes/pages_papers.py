"""Pages: the home list and the paper page, with their like / dislike / save forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from litfeed.errors import Unauthorized
from litfeed.service import library, papers, reading
from litfeed.service.accounts import SignedIn
from litfeed.web import paper_view
from litfeed.web.blocks import visible_blocks
from litfeed.web.deps import CheckedForm, CurrentUser, OptionalUser, SettingsDep, StoreDep
from litfeed.web.render import render
from litfeed.web.routes.forms import done, field

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20


def _public_or_signed_in(settings: Any, auth: SignedIn | None) -> None:
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")


def picker_names(collections: list[Any]) -> list[str]:
    """Collection names for the picker: "Saved" first (even before it exists), then the rest."""
    names = [c.name for c in collections]
    return [library.DEFAULT_COLLECTION, *(n for n in names if n != library.DEFAULT_COLLECTION)]


@router.get("/")
def home(request: Request, store: StoreDep, settings: SettingsDep, auth: OptionalUser,
         page: int = Query(1, ge=1, le=5000)) -> Response:
    _public_or_signed_in(settings, auth)
    found = papers.list_newest(store, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    shown = found[:PAGE_SIZE]
    states = (library.card_states(store, auth.user.id, [p.pmid for p in shown])
              if auth else {})
    onboarding = auth is None or not any(
        s.reaction or s.saved_in for s in states.values())
    return render(request, "pages/home.html", {
        "papers": shown, "states": states, "page": page,
        "has_more": len(found) > PAGE_SIZE, "onboarding": onboarding, "view": paper_view,
        "here": str(request.url.path) + (f"?page={page}" if page > 1 else ""),
    }, auth=auth)


@router.get("/papers/{pmid}")
def paper_page(pmid: str, request: Request, store: StoreDep, settings: SettingsDep,
               auth: OptionalUser) -> Response:
    _public_or_signed_in(settings, auth)
    paper, state = library.read_paper(store, pmid, auth.user.id if auth else None)
    from_q = reading.clean_query(request.query_params.get("from_q"))  # the search that led here
    if auth is not None:  # reading history, for CME learning cycles
        reading.record_view(store, auth.user.id, paper.pmid, from_q)
    return render(request, "pages/paper.html", {
        "paper": paper, "state": state, "view": paper_view,
        "badges": paper_view.badges(paper),
        "affiliations": paper_view.affiliations(paper),
        "picker": picker_names(state.collections) if state else [library.DEFAULT_COLLECTION],
        "blocks": visible_blocks(request, paper, auth),
        "here": f"/papers/{paper.pmid}" + (f"?from_q={quote(from_q)}" if from_q else ""),
    }, auth=auth)


@router.post("/papers/{pmid}/reaction")
def react(pmid: str, request: Request, auth: CurrentUser, form: CheckedForm,
          store: StoreDep) -> Response:
    """value=like|dislike|none (the buttons send the toggled value), reason for a dislike."""
    reaction = library.react(store, auth.user.id, pmid, field(form, "value") or "none",
                             field(form, "reason") or None)
    return done(request, form, f"/papers/{pmid}", {
        "pmid": pmid, "reaction": reaction.value if reaction else None,
        "reason": reaction.reason if reaction else None})


@router.post("/papers/{pmid}/collections")
def set_collections(pmid: str, request: Request, auth: CurrentUser, form: CheckedForm,
                    store: StoreDep) -> Response:
    """The picker: the paper ends up in exactly the checked collections (plus a new one)."""
    names = [v for v in form.getlist("collection") if isinstance(v, str)]
    names.append(field(form, "new_collection"))
    now_in = library.set_collections(store, auth.user.id, pmid, names)
    return done(request, form, f"/papers/{pmid}",
                {"pmid": pmid, "collections": [c.name for c in now_in]})


@router.post("/papers/{pmid}/save")
def quick_save(pmid: str, request: Request, auth: CurrentUser, form: CheckedForm,
               store: StoreDep) -> Response:
    """One-tap save to (or, with op=unsave, removal from) one collection, "Saved" by
    default: the button on list cards."""
    collection = field(form, "collection") or library.DEFAULT_COLLECTION
    if field(form, "op") == "unsave":
        names = library.unsave(store, auth.user.id, pmid, collection)
    else:
        names = library.save(store, auth.user.id, pmid, collection)
    return done(request, form, f"/papers/{pmid}", {"pmid": pmid, "collections": names})
