"""JSON API: health, papers, and the caller's reaction to a paper."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from litfeed.errors import Unauthorized
from litfeed.service import library, papers
from litfeed.web.deps import CurrentUser, OptionalUser, SettingsDep, StoreDep

router = APIRouter(prefix="/api", tags=["papers"])


class ReactionBody(BaseModel):
    value: Literal["like", "dislike", "none"]
    reason: Literal["off_topic", "already_read", "weak_study"] | None = None


def paper_summary(paper: Any) -> dict[str, Any]:
    return {"pmid": paper.pmid, "title": paper.title,
            "journal": paper.journal.iso_abbrev or paper.journal.title,
            "year": paper.year, "published": paper.published,
            "publication_types": list(paper.publication_types), "retracted": paper.retracted}


@router.get("/health", tags=["meta"])
def health(store: StoreDep) -> dict[str, Any]:
    """`{"status": "ok", "papers": n}` once the app can serve."""
    return {"status": "ok", "papers": papers.stats(store)["papers"]}


@router.get("/papers")
def newest(store: StoreDep, settings: SettingsDep, auth: OptionalUser,
           limit: int = Query(20, ge=1, le=100),
           offset: int = Query(0, ge=0, le=100_000)) -> dict[str, Any]:
    """The newest papers by publication date (what the home page lists)."""
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")
    found = papers.list_newest(store, limit=limit, offset=offset)
    return {"results": [paper_summary(p) for p in found]}


@router.get("/papers/{pmid}")
def get_paper(pmid: str, store: StoreDep, settings: SettingsDep,
              auth: OptionalUser) -> dict[str, Any]:
    """The paper JSON; signed in, also the caller's `reaction` (with `reaction_reason`),
    `saved_in` (collection names) and `note`."""
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")
    paper, state = library.read_paper(store, pmid, auth.user.id if auth else None)
    out = paper.to_json()
    if state is not None:
        out["reaction"] = state.reaction.value if state.reaction else None
        out["reaction_reason"] = state.reaction.reason if state.reaction else None
        out["saved_in"] = state.saved_names
        out["note"] = state.note
    return out


@router.put("/papers/{pmid}/reaction")
def set_reaction(pmid: str, body: ReactionBody, auth: CurrentUser,
                 store: StoreDep) -> dict[str, Any]:
    """Like or dislike (they replace each other); a dislike may carry a `reason`.
    `"none"` clears, like DELETE."""
    reaction = library.react(store, auth.user.id, pmid, body.value, body.reason)
    return {"pmid": pmid.strip(), "reaction": reaction.value if reaction else None,
            "reason": reaction.reason if reaction else None}


@router.delete("/papers/{pmid}/reaction")
def clear_reaction(pmid: str, auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """Clear the caller's reaction (a no-op when there is none)."""
    papers.get_paper(store, pmid)
    library.clear_reaction(store, auth.user.id, pmid)
    return {"pmid": pmid.strip(), "reaction": None, "reason": None}
