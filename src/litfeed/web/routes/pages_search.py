"""Pages: /search (box, filters, result cards with like / dislike / save) and /help/search.

The page reads its parameters leniently, as a browser form sends them: an empty year box is
"no year", a ticked box is any value. A query that does not parse re-renders the page with the
message and a caret under the position (status 400) instead of the generic error page.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from litfeed.errors import InvalidInput, QuerySyntaxError, Unauthorized
from litfeed.search.index import SearchFilters
from litfeed.service import alerts, library
from litfeed.service import search as search_service
from litfeed.web import paper_view
from litfeed.web.alert_view import since_label
from litfeed.web.deps import OptionalUser, SearchIndexDep, SettingsDep, StoreDep
from litfeed.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
MAX_PAGE = 500
#: the publication types offered as filters (others still work through the URL or [pt])
PUBLICATION_TYPES = ("Randomized Controlled Trial", "Meta-Analysis", "Systematic Review",
                     "Review", "Clinical Trial", "Practice Guideline", "Observational Study",
                     "Case Reports")
FLAGS = (("has_abstract", "Has an abstract"), ("free_full_text", "Free full text"),
         ("hide_retracted", "Hide retracted"))


def _year(params: QueryParams, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4:
        raise InvalidInput(f"{name}={raw[:20]!r}; expected a year such as 2020")
    return int(raw)


def page_filters(params: QueryParams) -> SearchFilters:
    """Filters from the page's query string. :raise InvalidInput: a year that is not one."""
    return search_service.make_filters(
        year_from=_year(params, "year_from"), year_to=_year(params, "year_to"),
        types=[t[:200] for t in params.getlist("type")[:50]],
        **{name: bool(params.get(name)) for name, _ in FLAGS})


def _page_number(params: QueryParams) -> int:
    raw = params.get("page") or "1"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return 1
    return max(1, min(int(raw), MAX_PAGE))


def _url(q: str, filters: SearchFilters, sort: str, page: int = 1) -> str:
    params = alerts.search_params(q, filters)
    if sort != "relevance":
        params["sort"] = sort
    if page > 1:
        params["page"] = page
    return "/search?" + urlencode(params, doseq=True)


@router.get("/search")
def search_page(request: Request, store: StoreDep, settings: SettingsDep, auth: OptionalUser,
                index: SearchIndexDep) -> Response:
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")
    params = request.query_params
    q = (params.get("q") or "").strip()[:10_000]
    sort: Literal["relevance", "date"] = "date" if params.get("sort") == "date" else "relevance"
    page = _page_number(params)
    ctx: dict[str, Any] = {"q": q, "sort": sort, "page": page, "view": paper_view,
                           "publication_types": PUBLICATION_TYPES, "flags": FLAGS,
                           "data": None, "found": [], "states": {}, "error": None,
                           "saved": [], "counts": {}, "since_label": since_label}
    status = 200
    try:
        filters = page_filters(params)
    except InvalidInput as exc:
        filters, ctx["error"], status = SearchFilters(), {"message": exc.message}, 400
    ctx["filters"] = filters
    ctx["extra_types"] = [t for t in filters.publication_types if t not in PUBLICATION_TYPES]
    if q and ctx["error"] is None:
        try:
            data, found = search_service.search_papers(store, index, search_service.SearchRequest(
                query=q, sort=sort, page=page, size=PAGE_SIZE, filters=filters))
        except QuerySyntaxError as exc:
            ctx["error"], status = {"message": exc.message, "position": exc.position}, 400
        except InvalidInput as exc:
            ctx["error"], status = {"message": exc.message}, 400
        else:
            ctx.update(data=data, found=found)
            if auth is not None:
                ctx["states"] = library.card_states(store, auth.user.id,
                                                    [f.paper.pmid for f in found])
    if auth is not None and not q:
        ctx["saved"] = alerts.list_searches(store, auth.user.id)
        ctx["counts"] = alerts.new_counts(store, index, ctx["saved"])
    here = _url(q, filters, sort, page) if q else "/search"
    ctx.update(here=here, page_url=lambda n: _url(q, filters, sort, n),
               sort_url=lambda s: _url(q, filters, s),
               filtered=search_service.filters_to_json(filters) != {})
    return render(request, "pages/search.html", ctx, auth=auth, status=status)


@router.get("/help/search")
def search_help(request: Request, auth: OptionalUser) -> Response:
    return render(request, "pages/search_help.html", {}, auth=auth)
