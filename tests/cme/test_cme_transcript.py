"""The transcript files: the PDF's extracted text and the CSV hold the right activities,
citations, totals, the reader's name and the statement of who awards the credit."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.errors import InvalidInput
from litfeed.models import User
from litfeed.service import accounts, cme, cme_transcript
from litfeed.store import Store

T0 = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def reader(store: Store, settings: Settings) -> User:
    add_papers(store, [make_paper("100"),
                       make_paper("102", title="A review of reviews", published="2019")])
    return accounts.register(store, fast(settings), email="ayse@example.org",
                             password="x1" * 6, name="Ayşe Ünal")


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def log_three(store: Store, settings: Settings, reader: User) -> None:
    cme.update_rules(store, settings, {"credit_per_cycle": "0.5", "yearly_cap": "1"})
    for i, (question, sources) in enumerate((
            ("Does CBT add to SSRIs?", ["100"]),
            ("Which review covers relapse?", ["102", "100"]),
            ("Is a third cycle capped?", ["102"]))):
        cme.complete(store, settings, reader.id, {
            "question": question, "query": f"search {i}", "sources": sources,
            "application": ("changed", "confirmed", "no_change")[i],
            "application_text": "Offer CBT first." if i == 0 else None},
            now=T0 + timedelta(days=i))
    cme.complete(store, settings, reader.id, {"question": "Last year's question?",
                                              "sources": ["100"], "application": "confirmed"},
                 now=T0.replace(year=2024))
    cme.save_draft(store, settings, reader.id, {"question": "An unfinished draft?"}, now=T0)


def test_pdf_transcript_lists_activities_totals_name_and_statement(
        store: Store, settings: Settings, reader: User) -> None:
    log_three(store, settings, reader)
    content, media_type, name = cme_transcript.transcript_file(store, settings, reader, "pdf",
                                                               year=2025, now=T0)
    assert media_type == "application/pdf" and name == "litfeed-cme-transcript-2025.pdf"
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Ayşe Ünal" in text
    for question in ("Does CBT add to SSRIs?", "Which review covers relapse?",
                     "Is a third cycle capped?"):
        assert question in text
    assert "Last year's question?" not in text  # another year
    assert "An unfinished draft?" not in text  # drafts are never on a transcript
    assert "2025-06-02" in text and "2025-06-04" in text
    assert "Psychotherapy plus medication for depression. Am J Psychiatry" in text  # AMA
    assert "Changed practice: Offer CBT first." in text
    assert "No change to practice" in text
    assert text.count("0.50 credit") == 2 and text.count("0.00 credit") == 1
    assert "Total 3 1.00" in text
    assert "self-reported" in text and "pending approval" in text
    assert "pending provider approval" in text
    assert "Accredited provider" not in text


def test_an_accredited_providers_statement_replaces_the_self_reported_one(
        store: Store, settings: Settings, reader: User) -> None:
    cme.update_rules(store, settings, {
        "provider_name": "St Elsewhere CME Office", "credit_type": "AMA PRA Category 1 Credit™",
        "accreditation_statement": "St Elsewhere is accredited by the ACCME to provide CME "
                                   "for physicians."})
    cme.complete(store, settings, reader.id, {"question": "Q?", "sources": ["100"],
                                              "application": "confirmed"}, now=T0)
    text = pdf_text(cme_transcript.transcript_file(store, settings, reader, "pdf", now=T0)[0])
    assert "Accredited provider: St Elsewhere CME Office" in text
    assert "accredited by the ACCME" in text
    assert "self-reported" not in text and "pending" not in text
    assert "AMA PRA Category 1 Credit™" in text


def test_csv_transcript_has_one_row_per_completed_activity(
        store: Store, settings: Settings, reader: User) -> None:
    log_three(store, settings, reader)
    content, media_type, name = cme_transcript.transcript_file(store, settings, reader, "csv",
                                                               now=T0)
    assert media_type.startswith("text/csv") and name == "litfeed-cme-transcript-all.csv"
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(r["date"], r["credits"], r["application"]) for r in rows] == [
        ("2024-06-02", "0.50", "Confirmed current practice"),
        ("2025-06-02", "0.50", "Changed practice"),
        ("2025-06-03", "0.50", "Confirmed current practice"),
        ("2025-06-04", "0.00", "No change to practice")]
    assert rows[2]["pmids"] == "102 100"
    assert rows[2]["sources"].startswith("Ünal A, Author0 F, Author1 F. A review of reviews.")
    assert " | " in rows[2]["sources"]


def test_dates_follow_the_readers_time_zone(store: Store, settings: Settings,
                                            reader: User) -> None:
    cme.set_reader_zone(store, reader.id, "America/New_York")
    eve = datetime(2026, 1, 1, 4, 30, tzinfo=UTC)  # 23:30 on 31 Dec 2025 in New York
    cme.complete(store, settings, reader.id, {"question": "Q?", "sources": ["100"],
                                              "application": "changed"}, now=eve)
    content = cme_transcript.transcript_file(store, settings, reader, "csv", year=2025,
                                             now=eve)[0]
    [row] = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert (row["date"], row["credit_year"]) == ("2025-12-31", "2025")


def test_a_spreadsheet_formula_in_free_text_is_defused(store: Store, settings: Settings,
                                                       reader: User) -> None:
    cme.complete(store, settings, reader.id, {"question": "=HYPERLINK(\"x\")",
                                              "sources": ["100"], "application": "changed"},
                 now=T0)
    content = cme_transcript.transcript_file(store, settings, reader, "csv", now=T0)[0]
    [row] = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert row["question"] == "'=HYPERLINK(\"x\")"


def test_unknown_format_and_year_out_of_range(store: Store, settings: Settings,
                                              reader: User) -> None:
    with pytest.raises(InvalidInput):
        cme_transcript.transcript_file(store, settings, reader, "docx")
    with pytest.raises(InvalidInput):
        cme_transcript.transcript_file(store, settings, reader, "csv", year=12)
    empty = pdf_text(cme_transcript.transcript_file(store, settings, reader, "pdf", now=T0)[0])
    assert "No completed learning cycles" in empty and "Total 0 0.00" in empty
