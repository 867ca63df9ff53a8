"""Sending email through the SMTP server in the settings (stdlib ``smtplib``).

One connection per batch of messages: a digest run opens it once, sends every reader's
message, and says which recipients failed instead of stopping at the first refusal.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from litfeed.config import Settings
from litfeed.errors import ConfigError, NetworkError

SMTP_TIMEOUT_S = 30


def check_configured(settings: Settings) -> None:
    """:raise ConfigError: no SMTP server is configured."""
    if not settings.smtp_host:
        raise ConfigError("LITFEED_SMTP_HOST is not set, so no email can be sent; set it (and "
                          "LITFEED_SMTP_PORT, LITFEED_SMTP_FROM, optionally LITFEED_SMTP_USER, "
                          "LITFEED_SMTP_PASSWORD, LITFEED_SMTP_STARTTLS=true)")


class Mailer:
    """An open SMTP session: :meth:`send` one message at a time."""

    def __init__(self, smtp: smtplib.SMTP, host: str) -> None:
        self._smtp = smtp
        self._host = host

    def send(self, message: EmailMessage) -> None:
        """:raise NetworkError: the server refused the message or the connection broke."""
        try:
            self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise NetworkError(f"the mail server {self._host} did not take the message for "
                               f"{message['To']}: {exc}") from exc


@contextmanager
def mailer(settings: Settings) -> Iterator[Mailer]:
    """Connect (STARTTLS and login when configured) for the duration of the block.

    :raise ConfigError: no server configured. :raise NetworkError: cannot connect or log in.
    """
    check_configured(settings)
    host = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        smtp = smtplib.SMTP(settings.smtp_host or "", settings.smtp_port,
                            timeout=SMTP_TIMEOUT_S)
    except (OSError, smtplib.SMTPException) as exc:
        raise NetworkError(f"cannot reach the mail server {host}: {exc}") from exc
    try:
        try:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise NetworkError(f"the mail server {host} refused the session: {exc}") from exc
        yield Mailer(smtp, host)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
