"""CME cycles through the service on both backends: drafts and their expiry, completion with
credit under a cap and across a New Year in another time zone, the edit window, the audit
trail, prefill from reading history, one reader's log invisible to another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.errors import Conflict, Incomplete, InvalidInput, NotFound
from litfeed.models import User
from litfeed.service import accounts, cme, cme_capture, reading
from litfeed.store import Store, user_settings
from litfeed.store import schema as s

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
CYCLE = {"question": "Does adding CBT to an SSRI raise remission?", "query": "cbt ssri",
         "sources": ["100", "102"], "application": "confirmed"}


@pytest.fixture
def cme_settings(settings: Settings) -> Settings:
    return fast(settings)


@pytest.fixture
def people(store: Store, cme_settings: Settings) -> tuple[User, User]:
    add_papers(store, [make_paper("100"), make_paper("101", title="Exercise for depression"),
                       make_paper("102", title="A review of reviews", published="2019")])
    a = accounts.register(store, cme_settings, email="ana@example.org", password="x1" * 6,
                          name="Ana Müller")
    b = accounts.register(store, cme_settings, email="bo@example.org", password="x1" * 6)
    return a, b


def actions(store: Store, user: User, activity_id: int) -> list[str]:
    return [r.action for r in cme.audit_trail(store, user.id, activity_id)]


def test_a_draft_expires_after_seven_days(store: Store, cme_settings: Settings,
                                          people: tuple[User, User]) -> None:
    ana, _ = people
    draft = cme.save_draft(store, cme_settings, ana.id, {"query": "cbt ssri"}, now=T0)
    assert (draft.status, draft.expires_at) == ("draft", T0 + timedelta(days=7))
    almost = T0 + timedelta(days=6, hours=23, minutes=59)
    assert [a.status for a in cme.list_activities(store, ana.id, now=almost)] == ["draft"]
    later = T0 + timedelta(days=7)
    assert [a.status for a in cme.list_activities(store, ana.id, now=later)] == ["expired"]
    assert actions(store, ana, draft.id) == ["draft", "expire"]
    with pytest.raises(Conflict, match="expired"):
        cme.complete(store, cme_settings, ana.id, CYCLE, draft_id=draft.id, now=later)
    cme.discard_draft(store, ana.id, draft.id, now=later)
    assert cme.list_activities(store, ana.id, now=later) == []
    assert actions(store, ana, draft.id) == ["draft", "expire", "discard"]  # the trail stays


def test_the_draft_window_is_the_admins_setting(store: Store, cme_settings: Settings,
                                               people: tuple[User, User]) -> None:
    ana, _ = people
    cme.update_rules(store, cme_settings, {"draft_days": "2"})
    draft = cme.save_draft(store, cme_settings, ana.id, {"question": "Q?"}, now=T0)
    assert draft.expires_at == T0 + timedelta(days=2)


def test_credits_stop_at_the_yearly_cap(store: Store, cme_settings: Settings,
                                        people: tuple[User, User]) -> None:
    ana, bo = people
    cme.update_rules(store, cme_settings, {"credit_per_cycle": "0.5", "yearly_cap": "1.0"})
    got = [cme.complete(store, cme_settings, ana.id, CYCLE, now=T0 + timedelta(hours=i)).credits
           for i in range(3)]
    assert got == [Decimal("0.50"), Decimal("0.50"), Decimal("0.00")]
    assert cme.complete(store, cme_settings, bo.id, CYCLE, now=T0).credits == Decimal("0.50")
    [total] = cme.totals_of(store, ana.id)
    assert (total.year, total.activities, total.credits) == (2025, 3, Decimal("1.00"))
    next_year = cme.complete(store, cme_settings, ana.id, CYCLE, now=T0.replace(year=2026))
    assert next_year.credits == Decimal("0.50")


def test_new_years_eve_in_new_york_counts_for_the_old_year(
        store: Store, cme_settings: Settings, people: tuple[User, User]) -> None:
    ana, bo = people
    cme.update_rules(store, cme_settings, {"yearly_cap": "0.5"})
    assert cme.set_reader_zone(store, ana.id, "America/New_York") == "America/New_York"
    ny = cme.reader_zone(store, ana.id)
    eve = datetime(2025, 12, 31, 23, 30, tzinfo=ny).astimezone(UTC)  # 04:30 UTC on 1 Jan 2026
    first = cme.complete(store, cme_settings, ana.id, CYCLE, now=eve)
    assert (first.credit_year, first.credits) == (2025, Decimal("0.50"))
    morning = datetime(2026, 1, 1, 9, 0, tzinfo=ny).astimezone(UTC)
    second = cme.complete(store, cme_settings, ana.id, CYCLE, now=morning)
    assert (second.credit_year, second.credits) == (2026, Decimal("0.50"))
    # the same instants for a reader on UTC both fall in 2026: the cap bites
    assert [cme.complete(store, cme_settings, bo.id, CYCLE, now=t).credits
            for t in (eve, morning)] == [Decimal("0.50"), Decimal("0.00")]
    assert [t.year for t in cme.totals_of(store, ana.id)] == [2026, 2025]
    with pytest.raises(InvalidInput):
        cme.set_reader_zone(store, ana.id, "Atlantis/Capital")


def test_an_incomplete_cycle_is_refused_and_nothing_is_kept(
        store: Store, cme_settings: Settings, people: tuple[User, User]) -> None:
    ana, _ = people
    for lacking in ("question", "sources", "application"):
        with pytest.raises(Incomplete):
            cme.complete(store, cme_settings, ana.id,
                         {k: v for k, v in CYCLE.items() if k != lacking}, now=T0)
    assert cme.list_activities(store, ana.id, now=T0) == []
    with pytest.raises(InvalidInput, match="999"):
        cme.complete(store, cme_settings, ana.id, {**CYCLE, "sources": ["999"]}, now=T0)


def test_a_completed_cycle_locks_after_the_edit_window(
        store: Store, cme_settings: Settings, people: tuple[User, User]) -> None:
    ana, _ = people
    done = cme.complete(store, cme_settings, ana.id, CYCLE, now=T0)
    assert done.edit_until == T0 + timedelta(hours=24) and not done.locked(T0)
    edited = cme.edit(store, cme_settings, ana.id, done.id,
                      {"application": "changed", "application_text": "Offer CBT first."},
                      now=T0 + timedelta(hours=23))
    assert (edited.application, edited.credits, edited.completed_at) == (
        "changed", done.credits, done.completed_at)
    with pytest.raises(Incomplete):
        cme.edit(store, cme_settings, ana.id, done.id, {"question": ""},
                 now=T0 + timedelta(hours=23))
    with pytest.raises(Conflict, match="locked"):
        cme.edit(store, cme_settings, ana.id, done.id, {"question": "Another?"},
                 now=T0 + timedelta(hours=24))
    assert cme.get_activity(store, ana.id, done.id, now=T0).question == CYCLE["question"]
    with pytest.raises(Conflict):
        cme.discard_draft(store, ana.id, done.id)


def test_every_change_is_in_the_audit_trail(store: Store, cme_settings: Settings,
                                            people: tuple[User, User]) -> None:
    ana, _ = people
    draft = cme.save_draft(store, cme_settings, ana.id, {"query": "cbt ssri"}, now=T0)
    cme.save_draft(store, cme_settings, ana.id, {"question": "Q?"}, draft_id=draft.id, now=T0)
    cme.save_draft(store, cme_settings, ana.id, {"question": "Q?"}, draft_id=draft.id,
                   now=T0)  # no change, no row
    cme.complete(store, cme_settings, ana.id, {"sources": ["100"], "application": "no_change"},
                 draft_id=draft.id, now=T0 + timedelta(minutes=5))
    cme.edit(store, cme_settings, ana.id, draft.id, {"sources": ["100", "101"]},
             now=T0 + timedelta(minutes=9))
    trail = cme.audit_trail(store, ana.id, draft.id)
    assert [r.action for r in trail] == ["draft", "update", "complete", "edit"]
    assert trail[0].before is None and trail[0].after["query"] == "cbt ssri"
    assert trail[1].before["question"] is None and trail[1].after["question"] == "Q?"
    assert trail[2].before["status"] == "draft" and trail[2].after["status"] == "completed"
    assert trail[2].after["credits"] == "0.50"
    assert (trail[3].before["sources"], trail[3].after["sources"]) == (["100"], ["100", "101"])


def test_one_reader_never_sees_or_changes_anothers_cycles(
        store: Store, cme_settings: Settings, people: tuple[User, User]) -> None:
    ana, bo = people
    done = cme.complete(store, cme_settings, ana.id, CYCLE, now=T0)
    draft = cme.save_draft(store, cme_settings, ana.id, {"question": "Q?"}, now=T0)
    assert cme.list_activities(store, bo.id, now=T0) == []
    for attempt in (lambda: cme.get_activity(store, bo.id, done.id, now=T0),
                    lambda: cme.edit(store, cme_settings, bo.id, done.id, {"question": "X"},
                                     now=T0),
                    lambda: cme.complete(store, cme_settings, bo.id, CYCLE, draft_id=draft.id,
                                         now=T0),
                    lambda: cme.discard_draft(store, bo.id, draft.id),
                    lambda: cme.audit_trail(store, bo.id, done.id)):
        with pytest.raises(NotFound):
            attempt()
    assert cme.get_activity(store, ana.id, draft.id, now=T0).question == "Q?"


def test_prefill_from_a_search_and_the_papers_opened(store: Store, cme_settings: Settings,
                                                     people: tuple[User, User]) -> None:
    ana, _ = people
    for minutes, pmid, query in ((0, "101", None), (1, "102", "cbt  ssri"),
                                 (2, "100", "cbt ssri"), (3, "102", "cbt ssri")):
        reading.record_view(store, ana.id, pmid, query, now=T0 + timedelta(minutes=minutes))
    found = cme_capture.prefill(store, cme_settings, ana.id, "cbt ssri", "100",
                                now=T0 + timedelta(hours=1))
    assert found.query == "cbt ssri"
    assert [s.pmid for s in found.sources] == ["102", "100"]
    assert found.sources[0].title == "A review of reviews"
    sessions = cme_capture.recent_sessions(store, cme_settings, ana.id,
                                           now=T0 + timedelta(hours=1))
    assert [(x.query, [p.pmid for p in x.sources]) for x in sessions] == [
        ("cbt ssri", ["102", "100"]), (None, ["101"])]
    draft = cme_capture.start_from_reading(store, cme_settings, ana.id, "cbt ssri",
                                           now=T0 + timedelta(hours=1))
    assert (draft.status, draft.query, draft.sources) == ("draft", "cbt ssri", ("102", "100"))
    # documented now: only the feed reading is still offered; a second start reuses the draft
    assert [x.query for x in cme_capture.recent_sessions(
        store, cme_settings, ana.id, now=T0 + timedelta(hours=1))] == [None]
    again = cme_capture.start_from_reading(store, cme_settings, ana.id, "cbt ssri",
                                           now=T0 + timedelta(hours=2))
    assert again.id == draft.id
    # views older than the draft window are not offered
    assert cme_capture.recent_sessions(store, cme_settings, ana.id,
                                       now=T0 + timedelta(days=8)) == []


def test_with_personalization_off_no_reading_history_is_kept(
        store: Store, cme_settings: Settings, people: tuple[User, User]) -> None:
    ana, _ = people
    with store.transaction() as conn:
        user_settings.update_user_settings(conn, ana.id, {"personalization": False})
    assert reading.record_view(store, ana.id, "100", "cbt ssri", now=T0) is False
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(s.paper_views)).scalar() == 0
    found = cme_capture.prefill(store, cme_settings, ana.id, "cbt ssri", "101", now=T0)
    assert [p.pmid for p in found.sources] == ["101"]  # only the paper on screen
    with store.transaction() as conn:
        user_settings.update_user_settings(conn, ana.id, {"personalization": None})
    assert reading.record_view(store, ana.id, "100", "cbt ssri", now=T0) is True
    assert reading.record_view(store, ana.id, "100", "cbt ssri",
                               now=T0 + timedelta(minutes=5)) is False  # a reload


def test_deleting_the_account_deletes_the_log(store: Store, cme_settings: Settings,
                                              people: tuple[User, User]) -> None:
    ana, bo = people
    cme.complete(store, cme_settings, ana.id, CYCLE, now=T0)
    cme.complete(store, cme_settings, bo.id, CYCLE, now=T0)
    with store.transaction() as conn:
        conn.execute(delete(s.users).where(s.users.c.id == ana.id))
    with store.read() as conn:
        owners = {r.user_id for r in conn.execute(select(s.cme_activities.c.user_id))}
        audit_owners = {r.user_id for r in conn.execute(select(s.cme_audit.c.user_id))}
    assert owners == audit_owners == {bo.id}


def test_the_whole_log_exports_as_json(store: Store, cme_settings: Settings,
                                       people: tuple[User, User]) -> None:
    from litfeed.service import cme_transcript

    ana, bo = people
    done = cme.complete(store, cme_settings, ana.id, CYCLE, now=T0)
    cme.save_draft(store, cme_settings, ana.id, {"question": "Later?"}, now=T0)
    cme.complete(store, cme_settings, bo.id, CYCLE, now=T0)
    data = cme_transcript.export_log(store, ana.id, now=T0)
    assert [(a["status"], a["question"]) for a in data["activities"]] == [
        ("completed", CYCLE["question"]), ("draft", "Later?")]
    assert data["activities"][0]["credits"] == 0.5 and data["activities"][0]["id"] == done.id
    assert [r["action"] for r in data["audit"]] == ["complete", "draft"]
