"""Pages: /cme (the reader's CME log, drafts, totals, exports), its forms, /admin/cme, and the
"Claim CME for this search" block on a paper opened from a search (``?from_q=``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from litfeed.cme.credits import format_credits, year_totals, zone_names
from litfeed.cme.cycle import APPLICATIONS, MAX_QUERY, MAX_QUESTION, MAX_TEXT, missing
from litfeed.cme.rules import CREDIT_TYPE_PRESETS, RULE_KEYS
from litfeed.errors import LitfeedError
from litfeed.models import CmeActivity, Paper
from litfeed.service import cme, cme_capture
from litfeed.service.accounts import SignedIn
from litfeed.web.blocks import PaperBlock
from litfeed.web.deps import AdminUser, CheckedForm, CurrentUser, RowId, SettingsDep, StoreDep
from litfeed.web.errors import wants_json
from litfeed.web.render import render
from litfeed.web.routes.forms import done, field

router = APIRouter(include_in_schema=False)
LIMITS = {"question": MAX_QUESTION, "query": MAX_QUERY, "text": MAX_TEXT}


def _cycle_form(form: FormData) -> dict[str, object]:
    """The cycle form's fields as the service takes them: ticked ``source`` boxes plus the
    PMIDs typed in ``more_sources``."""
    ticked = [v for v in form.getlist("source") if isinstance(v, str)]
    raw: dict[str, object] = {
        "question": field(form, "question"),
        "sources": " ".join([*ticked, field(form, "more_sources")]),
        "application": field(form, "application"),
        "application_text": field(form, "application_text"),
    }
    if "query" in form:
        raw["query"] = field(form, "query")
    return raw


def _row_id(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < len(value) < 10 else None


def _answer(request: Request, form: FormData, activity: CmeActivity,
            lacking: list[str]) -> Response:
    data = {"id": activity.id, "status": activity.status, "missing": lacking,
            "credits": float(activity.credits) if activity.credits is not None else None}
    if activity.status == "completed":
        return done(request, form, f"/cme?done={activity.id}#activity-{activity.id}", data)
    if wants_json(request):
        return done(request, form, "/cme", data)
    target = f"/cme?draft={activity.id}"
    if lacking:
        target += "&missing=" + quote(",".join(lacking))
    return RedirectResponse(f"{target}#draft-{activity.id}", status_code=303)


# --- the log ------------------------------------------------------------------------------------

@router.get("/cme")
def cme_page(request: Request, auth: CurrentUser, store: StoreDep,
             settings: SettingsDep) -> Response:
    uid = auth.user.id
    now = datetime.now(UTC)
    activities = cme.list_activities(store, uid, now=now)
    completed = sorted((a for a in activities if a.status == "completed"),
                       key=lambda a: a.completed_at or now, reverse=True)
    drafts = [a for a in activities if a.status == "draft"]
    expired = [a for a in activities if a.status == "expired"]
    pmids = list(dict.fromkeys(p for a in activities for p in a.sources))
    sources = {s.pmid: s for s in cme_capture.sources_of(store, pmids)}
    history: dict[int, list[Any]] = {}
    for row in cme.audit_trail(store, uid):
        history.setdefault(row.activity_id, []).append(row)
    totals = cme.totals_of(store, uid)
    params = request.query_params
    return render(request, "pages/cme.html", {
        "rules": cme.current_rules(store, settings), "timezone": cme.reader_zone(store, uid).key,
        "zones": zone_names(), "completed": completed, "drafts": drafts, "expired": expired,
        "sources": sources, "sources_of": lambda a: [sources[p] for p in a.sources],
        "history": history, "totals": totals,
        "year_totals": year_totals(totals), "years": sorted({t.year for t in totals},
                                                            reverse=True),
        "sessions": cme_capture.recent_sessions(store, settings, uid, now=now),
        "applications": APPLICATIONS, "credits": format_credits, "now": now,
        "limits": LIMITS, "missing_of": lambda a: missing(a.question, a.sources, a.application),
        "just_done": _row_id(params.get("done", "")),
        "just_drafted": _row_id(params.get("draft", "")),
        "lacking": [m for m in params.get("missing", "").split(",") if m],
    }, auth=auth)


@router.post("/cme/activities")
def claim(request: Request, auth: CurrentUser, form: CheckedForm, store: StoreDep,
          settings: SettingsDep) -> Response:
    """The cycle form: ``action=complete`` (the default) completes it when it is complete and
    otherwise keeps it as a draft; ``action=draft`` saves it for later."""
    raw = _cycle_form(form)
    draft_id = _row_id(field(form, "draft_id"))
    if field(form, "action") == "draft":
        activity = cme.save_draft(store, settings, auth.user.id, raw, draft_id=draft_id)
        lacking = missing(activity.question, activity.sources, activity.application)
    else:
        activity, lacking = cme.complete_or_keep_draft(store, settings, auth.user.id, raw,
                                                       draft_id=draft_id)
    return _answer(request, form, activity, lacking)


@router.post("/cme/activities/{activity_id}/edit")
def edit(activity_id: RowId, request: Request, auth: CurrentUser, form: CheckedForm,
         store: StoreDep, settings: SettingsDep) -> Response:
    """Edit a completed cycle within its window (409 once locked)."""
    changed = cme.edit(store, settings, auth.user.id, activity_id, _cycle_form(form))
    return done(request, form, f"/cme#activity-{activity_id}", {"id": changed.id})


@router.post("/cme/drafts")
def start_draft(request: Request, auth: CurrentUser, form: CheckedForm, store: StoreDep,
                settings: SettingsDep) -> Response:
    """Start a draft from a recent search (``query``; empty: the feed reading)."""
    draft = cme_capture.start_from_reading(store, settings, auth.user.id,
                                           field(form, "query") or None)
    return _answer(request, form, draft, [])


@router.post("/cme/drafts/{draft_id}/delete")
def discard(draft_id: RowId, request: Request, auth: CurrentUser, form: CheckedForm,
            store: StoreDep) -> Response:
    cme.discard_draft(store, auth.user.id, draft_id)
    return done(request, form, "/cme", {"deleted": draft_id})


@router.post("/cme/timezone")
def set_timezone(request: Request, auth: CurrentUser, form: CheckedForm,
                 store: StoreDep) -> Response:
    name = cme.set_reader_zone(store, auth.user.id, field(form, "timezone"))
    return done(request, form, "/cme", {"timezone": name})


# --- the admin's rules ----------------------------------------------------------------------------

def _admin_page(request: Request, auth: SignedIn, store: StoreDep, settings: SettingsDep, *,
                status: int = 200, **extra: object) -> Response:
    return render(request, "pages/admin_cme.html", {
        "rules": cme.current_rules(store, settings), "presets": CREDIT_TYPE_PRESETS,
        **extra}, auth=auth, status=status)


@router.get("/admin/cme")
def admin_page(request: Request, auth: AdminUser, store: StoreDep,
               settings: SettingsDep) -> Response:
    return _admin_page(request, auth, store, settings,
                       saved=bool(request.query_params.get("saved")))


@router.post("/admin/cme")
def admin_save(request: Request, auth: AdminUser, form: CheckedForm, store: StoreDep,
               settings: SettingsDep) -> Response:
    changes = {key: field(form, key) for key in RULE_KEYS if key in form}
    try:
        cme.update_rules(store, settings, changes, by=auth.user.id)
    except LitfeedError as exc:
        return _admin_page(request, auth, store, settings, error=exc.message, status=exc.status)
    return done(request, form, "/admin/cme?saved=1", {"saved": True})


# --- the paper page block ---------------------------------------------------------------------

def claim_block(request: Request, paper: Paper, auth: SignedIn | None
                ) -> dict[str, Any] | None:
    """Shown to a signed-in reader who reached the paper from a search (``?from_q=``)."""
    query = request.query_params.get("from_q")
    if auth is None or not query or not query.strip():
        return None
    found = cme_capture.prefill(request.app.state.store, request.app.state.settings,
                                auth.user.id, query, paper.pmid)
    if found.query is None:
        return None
    return {"prefill": found, "applications": APPLICATIONS, "limits": LIMITS,
            "next": f"/papers/{paper.pmid}?from_q={quote(found.query)}"}


CLAIM_BLOCK = PaperBlock(name="cme", template="partials/_block_cme.html", context=claim_block,
                         order=300)
