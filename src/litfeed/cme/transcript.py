"""The transcript a provider or licensing board asks for: its content, and the CSV file.

Built from the reader's completed cycles only (drafts and expired drafts never appear), in
completion order, with dates in the reader's time zone, each source as a formatted citation
(the service formats them; this module does not read papers), totals per year and credit type,
and the statement of who awards the credit (:func:`litfeed.cme.rules.statement`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from litfeed.cme.credits import ZERO, Total, format_credits, totals
from litfeed.cme.cycle import APPLICATIONS
from litfeed.cme.rules import CreditRules, statement
from litfeed.models import CmeActivity

BOM = "\ufeff"
#: a spreadsheet would run a cell starting with one of these as a formula
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Entry:
    id: int
    date: str  # YYYY-MM-DD of completion, in the reader's time zone
    question: str
    query: str | None
    sources: tuple[str, ...]  # PMIDs
    citations: tuple[str, ...]  # one per source, same order
    application: str  # the label, e.g. "Changed practice"
    application_text: str | None
    credits: Decimal
    credit_type: str
    credit_year: int


@dataclass(frozen=True)
class Transcript:
    reader_name: str
    reader_email: str
    year: int | None  # None: every year
    timezone: str
    generated_on: str  # YYYY-MM-DD in the reader's time zone
    entries: tuple[Entry, ...]
    totals: tuple[Total, ...]
    provider_name: str | None
    statement: str
    accredited: bool

    @property
    def total_credits(self) -> Decimal:
        return sum((t.credits for t in self.totals), ZERO)

    def filename(self, extension: str) -> str:
        return f"litfeed-cme-transcript-{self.year or 'all'}.{extension}"


def build(activities: Iterable[CmeActivity], *, citations: Mapping[str, str],
          rules: CreditRules, reader_name: str, reader_email: str, tz: ZoneInfo,
          year: int | None, now: datetime) -> Transcript:
    """The transcript of the completed cycles among ``activities`` (of ``year`` when given).

    ``citations`` maps a PMID to its formatted reference; a PMID without one is printed as
    "PMID n".
    """
    done = sorted((a for a in activities if a.status == "completed"
                   and a.completed_at is not None and (year is None or a.credit_year == year)),
                  key=lambda a: (a.completed_at, a.id))
    entries = tuple(Entry(
        id=a.id,
        date=a.completed_at.astimezone(tz).date().isoformat() if a.completed_at else "",
        question=a.question or "", query=a.query, sources=a.sources,
        citations=tuple(citations.get(p) or f"PMID {p}" for p in a.sources),
        application=APPLICATIONS[a.application] if a.application else "",
        application_text=a.application_text, credits=a.credits or ZERO,
        credit_type=a.credit_type or "", credit_year=a.credit_year or 0,
    ) for a in done)
    return Transcript(
        reader_name=reader_name, reader_email=reader_email, year=year, timezone=str(tz.key),
        generated_on=now.astimezone(tz).date().isoformat(), entries=entries,
        totals=tuple(totals(done)), provider_name=rules.provider_name,
        statement=statement(rules), accredited=rules.accredited)


def _cell(text: str | None) -> str:
    value = text or ""
    return "'" + value if value.startswith(_FORMULA) else value


CSV_COLUMNS = ("activity_id", "date", "credit_year", "question", "search_query", "pmids",
               "sources", "application", "application_text", "credits", "credit_type")


def to_csv(transcript: Transcript) -> str:
    """One row per completed cycle (header first), CRLF line ends, a UTF-8 byte-order mark for
    Excel; lists joined with " | " (a citation contains ";" and ",")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in transcript.entries:
        writer.writerow([e.id, e.date, e.credit_year, _cell(e.question), _cell(e.query),
                         " ".join(e.sources), _cell(" | ".join(e.citations)), e.application,
                         _cell(e.application_text), format_credits(e.credits),
                         _cell(e.credit_type)])
    return BOM + buffer.getvalue()
