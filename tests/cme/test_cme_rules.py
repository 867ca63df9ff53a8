"""Pure CME rules: credit arithmetic (caps, rounding, year boundaries in the reader's time
zone), completeness, deadlines, and what the transcript may claim."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from litfeed.cme.credits import (
    allocate,
    credit_for_next,
    credit_year,
    format_credits,
    totals,
    year_totals,
    zone,
)
from litfeed.cme.cycle import (
    clean_fields,
    draft_expires_at,
    edit_deadline,
    is_expired,
    missing,
    parse_pmids,
    require_complete,
)
from litfeed.cme.rules import (
    CATEGORY_2_TYPE,
    CreditRules,
    credit_label,
    parse_credit,
    rules_from_settings,
    statement,
    with_overrides,
)
from litfeed.config import Settings
from litfeed.errors import ConfigError, Incomplete, InvalidInput
from litfeed.models import CmeActivity

NY = zone("America/New_York")
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def rules(**changes: object) -> CreditRules:
    return CreditRules(**changes)  # type: ignore[arg-type]


def test_the_cap_cuts_the_third_cycle_to_nothing() -> None:
    capped = rules(credit_per_cycle=Decimal("0.5"), yearly_cap=Decimal("1.0"))
    got = allocate([("a", T0), ("b", T0 + timedelta(hours=1)), ("c", T0 + timedelta(hours=2))],
                   capped, zone("UTC"))
    assert got == {"a": Decimal("0.50"), "b": Decimal("0.50"), "c": Decimal("0.00")}


def test_the_cap_is_applied_in_completion_order_not_input_order() -> None:
    capped = rules(credit_per_cycle=Decimal("0.5"), yearly_cap=Decimal("0.75"))
    got = allocate([("late", T0 + timedelta(days=2)), ("early", T0),
                    ("mid", T0 + timedelta(days=1))], capped, zone("UTC"))
    assert got == {"early": Decimal("0.50"), "mid": Decimal("0.25"), "late": Decimal("0.00")}


def test_the_cap_starts_again_each_calendar_year() -> None:
    capped = rules(credit_per_cycle=Decimal("0.5"), yearly_cap=Decimal("0.5"))
    dec = datetime(2024, 12, 15, tzinfo=UTC)
    got = allocate([(1, dec), (2, dec + timedelta(days=1)), (3, dec + timedelta(days=30))],
                   capped, zone("UTC"))
    assert got == {1: Decimal("0.50"), 2: Decimal("0.00"), 3: Decimal("0.50")}


def test_a_new_years_eve_cycle_in_new_york_counts_for_the_old_year() -> None:
    # 23:30 on 31 Dec 2025 in New York is 04:30 on 1 Jan 2026 in UTC
    late = datetime(2025, 12, 31, 23, 30, tzinfo=NY)
    assert late.astimezone(UTC).year == 2026
    assert credit_year(late.astimezone(UTC), NY) == 2025
    assert credit_year(late.astimezone(UTC), zone(None)) == 2026
    capped = rules(credit_per_cycle=Decimal("0.5"), yearly_cap=Decimal("0.5"))
    new_year = datetime(2026, 1, 1, 10, 0, tzinfo=NY).astimezone(UTC)
    got = allocate([("eve", late.astimezone(UTC)), ("day", new_year)], capped, NY)
    assert got == {"eve": Decimal("0.50"), "day": Decimal("0.50")}  # different years
    assert allocate([("eve", late.astimezone(UTC)), ("day", new_year)], capped,
                    zone("UTC")) == {"eve": Decimal("0.50"), "day": Decimal("0.00")}


def test_credit_is_rounded_to_hundredths_half_up() -> None:
    assert parse_credit("0.125", "x") == Decimal("0.13")
    assert parse_credit("0,5", "x") == Decimal("0.50")
    assert parse_credit(1, "x") == Decimal("1.00")
    third = rules(credit_per_cycle=parse_credit("0.333", "x"))
    assert sum(allocate([(i, T0 + timedelta(minutes=i)) for i in range(3)], third,
                        zone(None)).values()) == Decimal("0.99")
    assert format_credits(Decimal("0.5")) == "0.50"
    assert credit_for_next(rules(yearly_cap=Decimal("20")), Decimal("19.75")) == Decimal("0.25")
    assert credit_for_next(rules(yearly_cap=Decimal("20")), Decimal("25")) == Decimal("0.00")
    for bad in ("abc", "-1", "101", "NaN", "Infinity"):
        with pytest.raises(InvalidInput):
            parse_credit(bad, "credit_per_cycle")


def test_unknown_time_zones_are_refused_and_blank_is_utc() -> None:
    assert zone("").key == "UTC" and zone(None).key == "UTC"
    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime"):
        with pytest.raises(InvalidInput):
            zone(bad)


def _done(i: int, year: int, credits: str, kind: str = "A") -> CmeActivity:
    return CmeActivity(id=i, user_id=1, status="completed", question="q", query=None,
                       sources=("1",), application="changed", application_text=None,
                       created_at=T0, updated_at=T0, credits=Decimal(credits), credit_type=kind,
                       credit_year=year, completed_at=T0)


def test_totals_per_year_and_credit_type() -> None:
    acts = [_done(1, 2025, "0.50"), _done(2, 2025, "0.50"), _done(3, 2025, "1.00", "B"),
            _done(4, 2024, "0.25")]
    got = [(t.year, t.credit_type, t.activities, t.credits) for t in totals(acts)]
    assert got == [(2025, "A", 2, Decimal("1.00")), (2025, "B", 1, Decimal("1.00")),
                   (2024, "A", 1, Decimal("0.25"))]
    assert year_totals(totals(acts)) == {2025: Decimal("2.00"), 2024: Decimal("0.25")}


def test_a_cycle_is_complete_with_question_sources_and_application() -> None:
    assert missing("Q?", ["1"], "changed") == []
    assert missing("  ", [], None) == ["question", "sources", "application"]
    assert missing("Q?", ["1"], "maybe") == ["application"]
    with pytest.raises(Incomplete) as info:
        require_complete("Q?", [], "confirmed")
    assert info.value.status == 422 and "source" in info.value.message


def test_fields_are_cleaned_and_bad_values_refused() -> None:
    got = clean_fields({"question": "  Does it work?\n", "query": " a   b ",
                        "sources": "PMID:123, 456;123", "application": "no_change"})
    assert (got.question, got.query, got.sources, got.application) == (
        "Does it work?", "a b", ("123", "456"), "no_change")
    assert clean_fields({"application": ""}).application is None
    assert parse_pmids(["1", " 2 "]) == ("1", "2")
    for bad in ({"application": "sometimes"}, {"sources": ["12a"]}, {"sources": "0"},
                {"question": "x\x00y"}, {"colour": "red"}, {"question": "x" * 2001}):
        with pytest.raises(InvalidInput):
            clean_fields(bad)


def test_drafts_expire_and_edits_lock_on_time() -> None:
    r = rules(draft_days=7, edit_hours=24)
    assert draft_expires_at(T0, r) == T0 + timedelta(days=7)
    assert edit_deadline(T0, r) == T0 + timedelta(hours=24)
    draft = CmeActivity(id=1, user_id=1, status="draft", question=None, query="q", sources=(),
                        application=None, application_text=None, created_at=T0, updated_at=T0,
                        expires_at=draft_expires_at(T0, r))
    assert not is_expired(draft, T0 + timedelta(days=6, hours=23))
    assert is_expired(draft, T0 + timedelta(days=7))
    done = replace(_done(2, 2025, "0.5"), edit_until=edit_deadline(T0, r))
    assert not done.locked(T0 + timedelta(hours=23, minutes=59))
    assert done.locked(T0 + timedelta(hours=24))


def test_without_an_accreditation_statement_nothing_is_claimed_as_awarded() -> None:
    plain = rules()
    text = statement(plain)
    assert "self-reported" in text and "pending approval" in text
    assert "not an accredited CME provider" in text
    assert plain.claimed_label.endswith("pending provider approval")
    assert credit_label("AMA PRA Category 1 Credit™", accredited=False) == (
        "AMA PRA Category 1 Credit™ — pending provider approval")
    assert credit_label(CATEGORY_2_TYPE, accredited=False) == CATEGORY_2_TYPE
    named = rules(provider_name="St Elsewhere CME Office")
    assert "submitted to St Elsewhere CME Office" in statement(named)
    accredited = rules(provider_name="St Elsewhere CME Office",
                       accreditation_statement="St Elsewhere is accredited by the ACCME.",
                       credit_type="AMA PRA Category 1 Credit™")
    assert accredited.accredited
    assert statement(accredited) == ("St Elsewhere CME Office: St Elsewhere is accredited by "
                                     "the ACCME.")
    assert accredited.claimed_label == "AMA PRA Category 1 Credit™"


def test_settings_give_defaults_and_stored_values_override_them() -> None:
    base = rules_from_settings(Settings.from_env({"LITFEED_CME_YEARLY_CAP": "20",
                                                  "LITFEED_CME_CREDIT_PER_CYCLE": "0.25"}))
    assert (base.credit_per_cycle, base.yearly_cap, base.draft_days, base.edit_hours) == (
        Decimal("0.25"), Decimal("20.00"), 7, 24)
    assert rules_from_settings(Settings()).credit_per_cycle == Decimal("0.50")
    assert rules_from_settings(Settings()).yearly_cap is None
    over = with_overrides(base, {"credit_per_cycle": "1", "yearly_cap": None,
                                 "draft_days": None, "from_the_future": "x"})
    assert (over.credit_per_cycle, over.yearly_cap, over.draft_days) == (
        Decimal("1.00"), None, 7)
    with pytest.raises(ConfigError, match="credit_per_cycle"):
        rules_from_settings(Settings.from_env({"LITFEED_CME_CREDIT_PER_CYCLE": "lots"}))
