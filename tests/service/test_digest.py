"""Email digests against a real local SMTP server (aiosmtpd): who gets what, and only once."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import bindparam, text

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.errors import ConfigError
from litfeed.models import Paper
from litfeed.search.index import SearchIndex
from litfeed.service import accounts, alerts, digest
from litfeed.service import search as search_service
from litfeed.store import Store
from litfeed.store import papers as store_papers
from litfeed.store.clock import now as utc_now

BASE = utc_now()  # the tests' clock: papers "arrive" at BASE + offsets, runs happen later


def arrive(store: Store, at: timedelta, *papers: Paper) -> None:
    """Add papers as if they had arrived at ``BASE + at`` (and have the index pick that up)."""
    add_papers(store, list(papers))
    pmids = [p.pmid for p in papers]
    with store.transaction() as conn:
        conn.execute(text("UPDATE papers SET created_at = :t WHERE pmid IN :p")
                     .bindparams(bindparam("p", expanding=True)),
                     {"t": BASE + at, "p": pmids})
        store_papers.touch_change_log(conn, pmids, "upsert")


HOUR = timedelta(hours=1)


@dataclass
class Inbox:
    """What the SMTP server accepted: (envelope recipients, parsed message)."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else content.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    smtp[0].received.clear()
    return smtp[0]


@pytest.fixture
def mail_settings(settings: Settings, smtp: tuple[Inbox, int]) -> Settings:
    return fast(settings, smtp_host="127.0.0.1", smtp_port=smtp[1],
                smtp_from="alerts@litfeed.test", base_url="https://lit.example.org")


@pytest.fixture
def index(settings: Settings) -> Iterator[SearchIndex]:
    with search_service.open_index(settings) as idx:
        yield idx


def body(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) parts of a digest."""
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def test_each_reader_gets_one_email_listing_only_new_matches(
        store: Store, index: SearchIndex, mail_settings: Settings, inbox: Inbox) -> None:
    arrive(store, -HOUR, make_paper("1", title="Ketamine before the search was saved"))
    ann = accounts.register(store, mail_settings, email="ann@example.org",
                            password="a long password").id
    bob = accounts.register(store, mail_settings, email="bob@example.org",
                            password="a long password").id
    cat = accounts.register(store, mail_settings, email="cat@example.org",
                            password="a long password").id
    alerts.save_search(store, ann, query="ketamine", name="Ketamine", digest="daily")
    alerts.save_search(store, ann, query="lithium", name="Lithium", digest="daily")
    alerts.save_search(store, bob, query="lithium", digest="weekly")
    alerts.save_search(store, cat, query="ketamine", digest="none")  # no digest asked for
    arrive(store, HOUR, make_paper("2", title="Ketamine <b>infusions</b> & mood"),
           make_paper("3", title="Lithium and the kidney"), make_paper("4", title="Unrelated"))
    now = BASE + 3 * HOUR

    report = digest.send_digests(store, index, mail_settings, now=now)

    assert report.to_json() == {"frequency": "due", "emails": 2, "searches": 3, "papers": 3,
                                "failed": [], "dry_run": False}
    by_rcpt = {tuple(rcpt): msg for rcpt, msg in inbox.received}
    assert set(by_rcpt) == {("ann@example.org",), ("bob@example.org",)}
    ann_mail = by_rcpt[("ann@example.org",)]
    assert ann_mail["Subject"] == "litfeed: 2 new papers in 2 saved searches"
    assert ann_mail["From"] == "alerts@litfeed.test"
    plain, html = body(ann_mail)
    assert "Ketamine <b>infusions</b> & mood" in plain
    assert "https://lit.example.org/papers/2" in plain and "Lithium and the kidney" in plain
    assert "before the search was saved" not in plain and "Unrelated" not in plain
    assert "Ketamine &lt;b&gt;infusions&lt;/b&gt; &amp; mood" in html  # record text escaped
    assert by_rcpt[("bob@example.org",)]["Subject"] == \
        "litfeed: 1 new paper for “lithium”"

    # the same run again, and the next day: nothing new, nothing sent
    inbox.received.clear()
    assert digest.send_digests(store, index, mail_settings, now=now).emails == 0
    assert digest.send_digests(store, index, mail_settings, now=now + timedelta(days=1)
                               ).emails == 0
    assert inbox.received == []

    # a new paper two days later: only it, and only to the daily reader (bob's week is not up)
    arrive(store, timedelta(days=2), make_paper("5", title="Ketamine, a new trial"))
    report = digest.send_digests(store, index, mail_settings, now=now + timedelta(days=2))
    assert [rcpt for rcpt, _ in inbox.received] == [["ann@example.org"]]
    plain, _ = body(inbox.received[0][1])
    assert "Ketamine, a new trial" in plain and "infusions" not in plain
    assert report.papers == 1


def test_frequency_option_and_weekly_rhythm(store: Store, index: SearchIndex,
                                            mail_settings: Settings, inbox: Inbox) -> None:
    uid = accounts.register(store, mail_settings, email="w@example.org",
                            password="a long password").id
    alerts.save_search(store, uid, query="lithium", digest="weekly")
    arrive(store, HOUR, make_paper("3", title="Lithium and the kidney"))
    now = BASE + 3 * HOUR
    assert digest.send_digests(store, index, mail_settings, frequency="daily",
                               now=now).emails == 0
    assert digest.send_digests(store, index, mail_settings, frequency="weekly",
                               now=now).emails == 1
    arrive(store, timedelta(days=2), make_paper("6", title="Lithium in pregnancy"))
    later = now + timedelta(days=3)
    assert digest.send_digests(store, index, mail_settings, now=later).emails == 0
    assert digest.send_digests(store, index, mail_settings, now=now + timedelta(days=7)
                               ).emails == 1
    assert "Lithium in pregnancy" in body(inbox.received[-1][1])[0]


def test_a_refused_message_is_sent_next_time(store: Store, index: SearchIndex,
                                             mail_settings: Settings, inbox: Inbox) -> None:
    uid = accounts.register(store, mail_settings, email="r@example.org",
                            password="a long password").id
    alerts.save_search(store, uid, query="lithium", digest="daily")
    arrive(store, HOUR, make_paper("3", title="Lithium and the kidney"))
    now = BASE + 3 * HOUR
    unreachable = replace(mail_settings, smtp_port=_free_port())
    with pytest.raises(Exception, match="cannot reach the mail server"):
        digest.send_digests(store, index, unreachable, now=now)
    assert digest.send_digests(store, index, mail_settings, dry_run=True, now=now).emails == 1
    assert inbox.received == []  # a dry run sends nothing and records nothing
    assert digest.send_digests(store, index, mail_settings, now=now).emails == 1
    assert "Lithium and the kidney" in body(inbox.received[0][1])[0]


def test_no_smtp_server_configured_is_a_config_error(store: Store, index: SearchIndex,
                                                     settings: Settings) -> None:
    with pytest.raises(ConfigError, match="LITFEED_SMTP_HOST"):
        digest.send_digests(store, index, settings)


def test_cli_digest_sends_once(store: Store, run_cli, cli_env: dict[str, str],
                               mail_settings: Settings, inbox: Inbox) -> None:
    uid = accounts.register(store, mail_settings, email="cli@example.org",
                            password="a long password").id
    saved = alerts.save_search(store, uid, query="lithium", digest="daily")
    # the CLI runs at the real time: the search was saved two hours ago, the paper came after
    with store.transaction() as conn:
        conn.execute(text("UPDATE saved_searches SET created_at = :t, last_seen_at = :t "
                          "WHERE id = :i"), {"t": BASE - 2 * HOUR, "i": saved.id})
    arrive(store, -HOUR, make_paper("3", title="Lithium and the kidney"))
    env = {**cli_env, "LITFEED_SMTP_HOST": "127.0.0.1",
           "LITFEED_SMTP_PORT": str(mail_settings.smtp_port)}
    first = run_cli("digest", "--json", env=env)
    assert first.code == 0, first.stderr
    assert first.json()["emails"] == 1
    assert [rcpt for rcpt, _ in inbox.received] == [["cli@example.org"]]
    second = run_cli("digest", "--json", env=env)
    assert second.code == 0 and second.json()["emails"] == 0
    assert len(inbox.received) == 1
    listed = run_cli("searches", "list", "cli@example.org", "--json", env=env)
    assert listed.code == 0 and listed.json()["searches"][0]["new"] == 1
