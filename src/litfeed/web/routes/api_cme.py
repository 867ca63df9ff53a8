"""JSON API: the caller's CME learning cycles, drafts, transcript; the admin's credit rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from litfeed.cme.cycle import MAX_QUERY, MAX_QUESTION, MAX_SOURCES, MAX_TEXT
from litfeed.models import CmeApplication
from litfeed.service import cme, cme_capture, cme_transcript
from litfeed.web.deps import AdminUser, CurrentUser, RowId, SettingsDep, StoreDep

router = APIRouter(prefix="/api", tags=["CME"])
YearQuery = Query(None, ge=cme_transcript.FIRST_YEAR, le=cme_transcript.LAST_YEAR,
                  description="a credit year (calendar year in the reader's time zone)")


class CycleBody(BaseModel):
    """Every field is optional here so that a missing one is answered with what is missing
    (422 `incomplete`) rather than a generic validation error."""

    question: str | None = Field(default=None, max_length=MAX_QUESTION)
    query: str | None = Field(default=None, max_length=MAX_QUERY)
    sources: list[str] | None = Field(default=None, max_length=MAX_SOURCES,
                                      description="PMIDs of the papers consulted")
    application: CmeApplication | None = None
    application_text: str | None = Field(default=None, max_length=MAX_TEXT)

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude_none=True)


class DraftBody(CycleBody):
    prefill: bool = Field(default=True, description="with a query and no sources, take the "
                          "papers opened from that search as the sources")

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude_none=True, exclude={"prefill"})


class RulesBody(BaseModel):
    credit_per_cycle: float | str | None = None
    credit_type: str | None = Field(default=None, max_length=200)
    yearly_cap: float | str | None = Field(default=None, description='a number, or "none"')
    provider_name: str | None = Field(default=None, max_length=200)
    accreditation_statement: str | None = Field(default=None, max_length=4000)
    draft_days: int | None = None
    edit_hours: int | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def _listing(items: list[Any]) -> list[dict[str, Any]]:
    at = utc_now()
    return [a.to_json(at) for a in items]


@router.post("/cme/activities", status_code=201)
def create_activity(body: CycleBody, auth: CurrentUser, store: StoreDep,
                    settings: SettingsDep) -> dict[str, Any]:
    """Record a completed learning cycle; 201 with its `credits` (the per-cycle credit, cut by
    the yearly cap). An incomplete cycle (no question, no sources or no application) is 422
    `incomplete`: drafts are a separate state (`POST /api/cme/drafts`)."""
    done = cme.complete(store, settings, auth.user.id, body.given())
    return done.to_json(utc_now())


@router.get("/cme/activities")
def list_activities(auth: CurrentUser, store: StoreDep,
                    year: int | None = YearQuery) -> dict[str, Any]:
    """The caller's completed cycles in completion order, with totals per year and type."""
    items = cme.list_activities(store, auth.user.id, statuses=["completed"], year=year)
    return {"activities": _listing(items),
            "totals": [t.to_json() for t in cme.totals_of(store, auth.user.id)
                       if year is None or t.year == year]}


@router.get("/cme/activities/{activity_id}")
def get_activity(activity_id: RowId, auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """One of the caller's cycles (any status); 404 for another reader's."""
    return cme.get_activity(store, auth.user.id, activity_id).to_json(utc_now())


@router.patch("/cme/activities/{activity_id}")
def edit_activity(activity_id: RowId, body: CycleBody, auth: CurrentUser, store: StoreDep,
                  settings: SettingsDep) -> dict[str, Any]:
    """Edit a completed cycle within its edit window (409 once locked); it must stay complete
    (422). Credits, credit type and year never change. Every change is audited."""
    return cme.edit(store, settings, auth.user.id, activity_id,
                    body.given()).to_json(utc_now())


@router.get("/cme/activities/{activity_id}/audit")
def activity_audit(activity_id: RowId, auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """Every change to the cycle, oldest first: `{at, action, before, after}`."""
    return {"audit": [r.to_json() for r in cme.audit_trail(store, auth.user.id, activity_id)]}


@router.get("/cme/drafts")
def list_drafts(auth: CurrentUser, store: StoreDep,
                expired: bool = Query(False, description="include expired drafts")
                ) -> dict[str, Any]:
    statuses = ["draft", "expired"] if expired else ["draft"]
    return {"drafts": _listing(cme.list_activities(store, auth.user.id, statuses=statuses))}


@router.post("/cme/drafts", status_code=201)
def create_draft(body: DraftBody, auth: CurrentUser, store: StoreDep,
                 settings: SettingsDep) -> dict[str, Any]:
    """Start a draft (nothing is required). With a `query` and no `sources` (and `prefill`),
    the papers the caller opened from that search become its sources; an open draft for the
    same search is updated instead of doubled."""
    given = body.given()
    if body.prefill and "sources" not in given and set(given) <= {"query"}:
        draft = cme_capture.start_from_reading(store, settings, auth.user.id, body.query)
    else:
        draft = cme.save_draft(store, settings, auth.user.id, given)
    return draft.to_json(utc_now())


@router.patch("/cme/drafts/{draft_id}")
def update_draft(draft_id: RowId, body: CycleBody, auth: CurrentUser, store: StoreDep,
                 settings: SettingsDep) -> dict[str, Any]:
    return cme.save_draft(store, settings, auth.user.id, body.given(),
                          draft_id=draft_id).to_json(utc_now())


@router.post("/cme/drafts/{draft_id}/complete")
def complete_draft(draft_id: RowId, auth: CurrentUser, store: StoreDep, settings: SettingsDep,
                   body: CycleBody | None = None) -> dict[str, Any]:
    """Complete a draft (with any last changes in the body); 422 while incomplete, 409 when
    it expired."""
    given = body.given() if body else {}
    return cme.complete(store, settings, auth.user.id, given,
                        draft_id=draft_id).to_json(utc_now())


@router.delete("/cme/drafts/{draft_id}", status_code=204)
def discard_draft(draft_id: RowId, auth: CurrentUser, store: StoreDep) -> Response:
    """Discard a draft (its audit rows stay); a completed cycle is 409."""
    cme.discard_draft(store, auth.user.id, draft_id)
    return Response(status_code=204)


@router.get("/cme/recent")
def recent_reading(auth: CurrentUser, store: StoreDep, settings: SettingsDep,
                   q: str | None = Query(None, max_length=MAX_QUERY)) -> dict[str, Any]:
    """Searches (and feed reading, `query: null`) in the draft window that no cycle documents
    yet, each with the papers opened from it; with `q`, the prefill for that one search."""
    if q is not None:
        found = cme_capture.prefill(store, settings, auth.user.id, q)
        return {"query": found.query, "sources": [s.to_json() for s in found.sources],
                "draft_id": found.draft.id if found.draft else None}
    return {"sessions": [s.to_json() for s in
                         cme_capture.recent_sessions(store, settings, auth.user.id)]}


@router.get("/cme/transcript", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}})
def transcript(auth: CurrentUser, store: StoreDep, settings: SettingsDep,
               format: Literal["csv", "pdf"] = "pdf", year: int | None = YearQuery) -> Response:
    """The transcript of the caller's completed cycles: CSV (one row per activity) or a PDF
    with each activity's date, question, cited sources, application and credits, totals, and
    the statement of who awards the credit."""
    content, media_type, filename = cme_transcript.transcript_file(
        store, settings, auth.user, format, year=year)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/admin/cme/settings", tags=["admin"])
def get_rules(auth: AdminUser, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """The credit rules in force (administrators only)."""
    return cme.current_rules(store, settings).to_json()


@router.put("/admin/cme/settings", tags=["admin"])
def put_rules(body: RulesBody, auth: AdminUser, store: StoreDep,
              settings: SettingsDep) -> dict[str, Any]:
    """Change the credit rules (only the fields sent; `null` clears an optional one)."""
    changes = body.model_dump(exclude_unset=True)
    return cme.update_rules(store, settings, changes, by=auth.user.id).to_json()
