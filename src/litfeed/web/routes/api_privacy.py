"""JSON API: the caller's privacy choices: delete my account, clear my history.

(``GET /api/me/export`` lives with the account import in ``api_library_io``; the
personalization switch is ``PUT /api/me/settings``.)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from litfeed.service import privacy
from litfeed.web.deps import CurrentUser, SettingsDep, StoreDep
from litfeed.web.routes.api_auth import client_ip
from litfeed.web.security import clear_session_cookie

router = APIRouter(prefix="/api", tags=["privacy"])


class DeleteConfirmation(BaseModel):
    password: str = Field(max_length=1024, description="the account's current password")
    confirm: str = Field(max_length=320, description="the account's email address, typed out")


@router.delete("/me")
async def delete_me(body: DeleteConfirmation, request: Request, response: Response,
                    auth: CurrentUser, store: StoreDep, settings: SettingsDep
                    ) -> dict[str, Any]:
    """Delete the caller's account and every row that refers to it in any table (reactions,
    collections, history, saved searches, CME log, sessions, API tokens, failed logins…).
    Needs the password and the email address typed as `confirm`, with a session or a token
    alike: 400 when `confirm` is not the email, 403 when the password is wrong (throttled like
    logins: 429). Answers the rows removed per table; the session cookie is cleared."""
    counts = await run_in_threadpool(privacy.delete_account, store, settings, auth.user,
                                     password=body.password, confirm=body.confirm,
                                     ip=client_ip(request))
    clear_session_cookie(response, settings, request)
    return {"status": "deleted", "email": auth.user.email, "deleted": counts}


@router.delete("/me/history")
def clear_my_history(auth: CurrentUser, store: StoreDep,
                     reactions: bool = Query(False, description="also my likes and dislikes"),
                     saves: bool = Query(False, description="also every collection and saved "
                                                            "paper")) -> dict[str, int]:
    """Delete the caller's reading history (every paper view) and the feed model learned from
    them; likes/dislikes and saved papers only when asked. Answers how many of each went:
    `{"views", "reactions", "saved"}`."""
    return privacy.clear_history(store, auth.user.id, reactions=reactions, saves=saves).to_json()
