"""``/api/me/settings``: the caller's settings (feed, privacy, library access)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from litfeed.service import me
from litfeed.web.deps import CurrentUser, StoreDep

router = APIRouter(prefix="/api", tags=["account"])


@router.get("/me/settings")
def my_settings(auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """`personalization`, `specialties`, `follows` (`journals`, `authors`, `mesh`),
    `muted_topics`, `digest`; `institution` (id, `"none"`, or null = from my email domain),
    `effective_institution` and `institution_source` (`chosen`, `email` or `none`)."""
    return me.get_my_settings(store, auth.user)


@router.put("/me/settings")
def change_my_settings(auth: CurrentUser, store: StoreDep,
                       body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Change the keys sent (the others are kept); answers like GET. 400 for an unknown key or
    a wrong value, 404 for an unknown institution."""
    return me.update_my_settings(store, auth.user, body)
