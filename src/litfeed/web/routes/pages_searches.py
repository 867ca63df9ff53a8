"""Pages: /searches (saved searches with "N new since …") and one search's new matches.

Opening ``/searches/{id}`` shows the matches that arrived since the reader last opened it, then
marks them seen, like an inbox. Every change is a form POST that works without JavaScript.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import QueryParams

from litfeed.errors import InvalidInput
from litfeed.service import alerts, library
from litfeed.web import paper_view
from litfeed.web.alert_view import describe_filters, since_label
from litfeed.web.deps import CheckedForm, CurrentUser, RowId, SearchIndexDep, StoreDep
from litfeed.web.render import render
from litfeed.web.routes.forms import done, field
from litfeed.web.routes.pages_search import page_filters

router = APIRouter(include_in_schema=False)
NEW_SHOWN = 50


@router.get("/searches")
def searches_page(request: Request, auth: CurrentUser, store: StoreDep,
                  index: SearchIndexDep) -> Response:
    mine = alerts.list_searches(store, auth.user.id)
    return render(request, "pages/searches.html", {
        "saved": mine, "counts": alerts.new_counts(store, index, mine),
        "since_label": since_label, "base_url": str(request.base_url).rstrip("/"),
        "digests": alerts.DIGESTS, "describe_filters": describe_filters,
    }, auth=auth)


@router.post("/searches")
def save_search(request: Request, auth: CurrentUser, form: CheckedForm,
                store: StoreDep) -> Response:
    """The "Save this search" button: q and the filters as the search page had them."""
    params = QueryParams([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    saved = alerts.save_search(store, auth.user.id, query=field(form, "q"),
                               filters=page_filters(params), name=field(form, "name") or None,
                               digest=field(form, "digest") or "none")
    return done(request, form, "/searches", saved.to_json())


@router.get("/searches/{search_id}")
def saved_search_page(search_id: RowId, request: Request, auth: CurrentUser, store: StoreDep,
                      index: SearchIndexDep) -> Response:
    saved = alerts.get_search(store, auth.user.id, search_id)
    found = alerts.new_matches(store, index, saved, size=NEW_SHOWN)
    states = library.card_states(store, auth.user.id, [f.paper.pmid for f in found.found])
    response = render(request, "pages/saved_search.html", {
        "saved": saved, "new": found, "states": states, "view": paper_view,
        "since_label": since_label, "here": f"/searches/{saved.id}",
    }, auth=auth)
    if found.total:
        alerts.mark_seen(store, auth.user.id, saved.id)
    return response


@router.post("/searches/{search_id}/rename")
def rename(search_id: RowId, request: Request, auth: CurrentUser, form: CheckedForm,
           store: StoreDep) -> Response:
    name = field(form, "name")
    if not name.strip():
        raise InvalidInput("a saved search needs a name")
    saved = alerts.update_search(store, auth.user.id, search_id, name=name)
    return done(request, form, "/searches", saved.to_json())


@router.post("/searches/{search_id}/digest")
def set_digest(search_id: RowId, request: Request, auth: CurrentUser, form: CheckedForm,
               store: StoreDep) -> Response:
    saved = alerts.update_search(store, auth.user.id, search_id,
                                 digest=field(form, "digest") or "none")
    return done(request, form, "/searches", saved.to_json())


@router.post("/searches/{search_id}/seen")
def mark_seen(search_id: RowId, request: Request, auth: CurrentUser, form: CheckedForm,
              store: StoreDep) -> Response:
    saved = alerts.mark_seen(store, auth.user.id, search_id)
    return done(request, form, "/searches", saved.to_json())


@router.post("/searches/{search_id}/delete")
def delete(search_id: RowId, request: Request, auth: CurrentUser, form: CheckedForm,
           store: StoreDep) -> Response:
    alerts.delete_search(store, auth.user.id, search_id)
    if field(form, "next").startswith(f"/searches/{search_id}"):
        return RedirectResponse("/searches", status_code=303)
    return done(request, form, "/searches", {"deleted": search_id})
