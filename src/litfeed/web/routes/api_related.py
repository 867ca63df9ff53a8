"""Related papers: the JSON route and the paper page's "Related papers" block."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from litfeed.errors import Unauthorized
from litfeed.models import Paper
from litfeed.service import related as related_service
from litfeed.service.accounts import SignedIn
from litfeed.web.blocks import PaperBlock
from litfeed.web.deps import OptionalUser, SettingsDep, StoreDep

router = APIRouter(prefix="/api", tags=["papers"])
PAGE_LIMIT = 10


@router.get("/papers/{pmid}/related")
def related(pmid: str, store: StoreDep, settings: SettingsDep, auth: OptionalUser,
            limit: int = Query(10, ge=1, le=related_service.MAX_LIMIT)) -> dict[str, Any]:
    """As `litfeed related`: `{"pmid", "results": [{"pmid", "title", "score", "why",
    "retracted"}]}`, best first. 404 for an unknown PMID."""
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")
    return related_service.related(store, settings, pmid, limit)


def _block_context(request: Request, paper: Paper, auth: SignedIn | None
                   ) -> dict[str, Any] | None:
    state = request.app.state
    found = related_service.related(state.store, state.settings, paper.pmid, PAGE_LIMIT)
    return {"results": found["results"]} if found["results"] else None


BLOCK = PaperBlock(name="related", template="partials/_block_related.html",
                   context=_block_context, order=50)
