"""Email digests: each reader gets one message listing the new matches of their saved searches.

``litfeed digest`` is meant for cron (daily, say at 07:00). A search with ``digest=daily`` is
due when its last digest is about a day old, ``weekly`` about a week, so one daily cron job
serves both, and a job that runs twice sends nothing twice.

Nothing is sent twice and nothing is skipped: each search records the arrival time its last
digest covered up to (``last_digest_at``); the next digest lists matches that arrived after it
and up to the new run's cut-off, and the cut-off is recorded only once the reader's message was
accepted by the mail server. The cut-off is :data:`DIGEST_LAG` before the run starts, and the
index is brought up to date first: a paper whose ingest transaction was still open when the
run started (its ``created_at`` is set before its commit) falls into the next digest instead
of being missed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from itertools import groupby
from typing import Any, Literal

from litfeed.config import Settings
from litfeed.errors import NetworkError
from litfeed.search.index import SearchIndex
from litfeed.service import alerts, mail
from litfeed.service import search as search_service
from litfeed.service.alerts import SavedSearch
from litfeed.service.search import FoundPaper
from litfeed.store import Store
from litfeed.store.clock import now as utc_now

Frequency = Literal["daily", "weekly"]
DIGEST_LAG = timedelta(minutes=2)
PERIODS: dict[str, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
#: a cron job that fires a little early still finds yesterday's digest due
EARLY = timedelta(hours=3)
PER_SEARCH = 10  # papers listed per search; the rest is a link


@dataclass
class DigestReport:
    frequency: str | None
    emails: int = 0
    searches: int = 0  # searches with new matches in the messages sent
    papers: int = 0  # new matches in the messages sent (each counted once per search)
    failed: list[str] = field(default_factory=list)  # recipients whose message was refused
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"frequency": self.frequency or "due", "emails": self.emails,
                "searches": self.searches, "papers": self.papers, "failed": self.failed,
                "dry_run": self.dry_run}


@dataclass(frozen=True)
class Section:
    saved: SavedSearch
    total: int
    found: list[FoundPaper]


def is_due(saved: SavedSearch, now: datetime) -> bool:
    if saved.digest not in PERIODS:
        return False
    last = saved.last_digest_at
    return last is None or now - last >= PERIODS[saved.digest] - EARLY


def _section(store: Store, index: SearchIndex, saved: SavedSearch, until: datetime
             ) -> Section | None:
    since = saved.last_digest_at or saved.created_at
    if since >= until:
        return None
    data, found = search_service.search_papers(
        store, index, alerts.request_for(saved, size=PER_SEARCH, after=since, until=until))
    return Section(saved, int(data["total"]), found) if data["total"] else None


def send_digests(store: Store, index: SearchIndex, settings: Settings, *,
                 frequency: Frequency | None = None, now: datetime | None = None,
                 dry_run: bool = False) -> DigestReport:
    """Send every reader whose digests are due one message; ``frequency`` narrows to daily or
    weekly searches. A refused message is reported in ``failed`` and retried next run.

    :raise ConfigError: no SMTP server configured (unless ``dry_run``).
    :raise StorageError: another process is writing the search index; run again later.
    :raise NetworkError: the mail server cannot be reached at all.
    """
    if not dry_run:
        mail.check_configured(settings)
    now = now or utc_now()
    until = now - DIGEST_LAG
    report = DigestReport(frequency=frequency, dry_run=dry_run)
    search_service.ensure_current(store, index, wait=True)
    wanted = (frequency,) if frequency else tuple(PERIODS)
    due = [(email, s) for email, s in alerts.digest_searches(store, wanted) if is_due(s, now)]
    outgoing: list[tuple[EmailMessage, list[int], list[Section]]] = []
    for email, group in groupby(due, key=lambda pair: pair[0]):
        searches = [s for _, s in group]
        sections = [sec for s in searches if (sec := _section(store, index, s, until))]
        ids = [s.id for s in searches]
        if not sections:  # nothing new: the window is still covered
            if not dry_run:
                alerts.mark_digested(store, ids, until)
            continue
        outgoing.append((compose(settings, email, sections), ids, sections))
    if dry_run or not outgoing:
        _count(report, [sections for _, _, sections in outgoing])
        return report
    with mail.mailer(settings) as mailer:
        for message, ids, sections in outgoing:
            try:
                mailer.send(message)
            except NetworkError:
                report.failed.append(str(message["To"]))
                continue
            alerts.mark_digested(store, ids, until)
            _count(report, [sections])
    return report


def _count(report: DigestReport, sent: list[list[Section]]) -> None:
    for sections in sent:
        report.emails += 1
        report.searches += len(sections)
        report.papers += sum(sec.total for sec in sections)


# --- the message ---------------------------------------------------------------------------------

def _subject(sections: list[Section]) -> str:
    total = sum(s.total for s in sections)
    papers = f"{total} new paper{'' if total == 1 else 's'}"
    if len(sections) == 1:
        return f"litfeed: {papers} for “{sections[0].saved.name}”"
    return f"litfeed: {papers} in {len(sections)} saved searches"


def _cite(item: FoundPaper) -> str:
    r = item.result
    return ", ".join(str(v) for v in (r.get("journal"), r.get("year")) if v)


def compose(settings: Settings, email: str, sections: list[Section]) -> EmailMessage:
    """One reader's digest: plain text, with an HTML alternative (escaped record text)."""
    base = settings.base_url.rstrip("/")
    message = EmailMessage()
    message["Subject"] = _subject(sections)
    message["From"] = settings.smtp_from
    message["To"] = email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    text = ["New papers matching your saved searches.", ""]
    html = ["<p>New papers matching your saved searches.</p>"]
    for sec in sections:
        saved = sec.saved
        link = f"{base}/searches/{saved.id}"
        text += [f"== {saved.name} ({sec.total} new) ==", f"   {saved.query}", ""]
        html.append(f'<h2><a href="{escape(link)}">{escape(saved.name)}</a> '
                    f"({sec.total} new)</h2><ul>")
        for item in sec.found:
            url = f"{base}/papers/{item.paper.pmid}"
            text += [f"- {item.paper.title}", f"  {_cite(item)}", f"  {url}", ""]
            html.append(f'<li><a href="{escape(url)}">{escape(item.paper.title)}</a><br>'
                        f"<small>{escape(_cite(item))}</small></li>")
        html.append("</ul>")
        if sec.total > len(sec.found):
            more = sec.total - len(sec.found)
            text += [f"  … and {more} more: {link}", ""]
            html.append(f'<p><a href="{escape(link)}">… and {more} more</a></p>')
    footer = (f"You get this digest because you asked for it on a saved search. Change or stop "
              f"it at {base}/searches")
    text += ["-- ", footer]
    html.append(f"<hr><p><small>{escape(footer)}</small></p>")
    message.set_content("\n".join(text))
    message.add_alternative("\n".join(html), subtype="html")
    return message
