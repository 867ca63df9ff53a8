"""Email digests through a local SMTP server (aiosmtpd), never the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from factories import fast
from feedkit import corpus
from litfeed.config import Settings
from litfeed.errors import ConfigError
from litfeed.service import accounts, feed_delivery, library
from litfeed.service import feed as feed_service
from litfeed.store import Store


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's self-check cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_weekly_digest_goes_to_weekly_readers_only(store: Store, settings: Settings,
                                                  smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    topics = corpus(store, settings)
    for email in ("weekly@example.org", "never@example.org"):
        accounts.register(store, fast(settings), email=email, password="correct horse battery")
    weekly = accounts.get_user_by_email(store, "weekly@example.org")
    feed_service.update_settings(store, weekly.id, {"digest": "weekly"})
    library.react(store, weekly.id, topics["cardio"][0], "like")
    mail = replace(settings, smtp_host="127.0.0.1", smtp_port=port)
    result = feed_delivery.send_digests(store, mail, "weekly", limit=3)
    assert result == {"frequency": "weekly", "sent": 1, "readers": ["weekly@example.org"]}
    (message,) = inbox.messages
    assert message["To"] == "weekly@example.org"
    body = message.get_payload(decode=True).decode()
    assert "beta blocker" in body and "because: like:" in body
    assert topics["cardio"][0] not in body
    assert feed_delivery.send_digests(store, mail, "daily")["sent"] == 0
    with pytest.raises(ConfigError):
        feed_delivery.send_digests(store, settings, "weekly")
