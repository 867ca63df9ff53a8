"""The ``Link`` a reader sees in the full-text block, and the one gate every URL passes.

Links reach a browser as ``href`` values, so a URL that is not plain http(s) (``javascript:``,
``data:``, a scheme-relative ``//host``) could run script or leave the site unannounced. Every
resolver builds its URL and then calls :func:`safe_url`; anything it rejects is dropped, never
repaired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

LinkKind = Literal["doi", "pubmed", "pmc", "publisher", "open_access", "institution"]
Version = Literal["published", "accepted", "submitted"]
Host = Literal["publisher", "repository"]
Via = Literal["ezproxy", "openurl", "ill"]

LINK_KINDS: tuple[str, ...] = ("doi", "pubmed", "pmc", "publisher", "open_access", "institution")

_ALLOWED_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class Link:
    """One way to reach a paper. ``open_access`` means free full text, not just a free abstract.

    ``version``, ``license``, ``oa_status`` and ``host`` describe an open-access copy (from
    PubMed Central or Unpaywall); ``via`` says how an institution link works.
    """

    kind: LinkKind
    url: str
    label: str
    open_access: bool = False
    version: Version | None = None
    license: str | None = None
    oa_status: str | None = None
    host: Host | None = None
    via: Via | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's ``{"kind", "url", "label", "open_access"}`` plus the known extras."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "url": self.url,
            "label": self.label,
            "open_access": self.open_access,
        }
        for name in ("version", "license", "oa_status", "host", "via"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL a browser may follow, else None.

    Rejected: other schemes, no host, user:password@ credentials (a phishing disguise),
    whitespace or control characters (browsers strip some of them, which changes the URL).
    """
    if not url or not isinstance(url, str):
        return None
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in _ALLOWED_SCHEMES:
        return None
    if not parts.hostname or "@" in parts.netloc:
        return None
    return url
