"""EZproxy links: send a reader through their library's proxy to a licensed publisher page.

An institution's ``ezproxy_prefix`` is recognised in one of two forms:

* **login form** — contains ``://``: ``https://login.ezproxy.x.edu/login?url=`` or
  ``…/login?qurl=``. The path must end in ``/login`` and the query must end in ``url=`` or
  ``qurl=``. With ``url=`` EZproxy reads the rest of the query string, raw, as the target (so
  it must come last and is appended unescaped: a ``#fragment`` stays with the browser, which
  carries it across EZproxy's redirect); with ``qurl=`` the target is percent-encoded whole.
* **hostname form** — a bare host name such as ``ezproxy.x.edu`` (at least three labels, as
  EZproxy requires for its own name): the proxy-by-hostname rewrite, where the target's host is
  folded into a subdomain of the proxy. Following OCLC's documented behaviour, an https
  target's host has each ``-`` doubled and each ``.`` turned into ``-``
  (``https://www.thieme-connect.de/x`` → ``https://www-thieme--connect-de.ezproxy.x.edu/x``);
  an http target keeps its dots (``http://www.somedb.com.ezproxy.x.edu/``); a non-default port
  becomes a ``p<port>-`` label prefix. Path, query and fragment are kept byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit

from litfeed.errors import InvalidInput
from litfeed.fulltext.links import safe_url

EzproxyForm = Literal["login", "hostname"]

_LOGIN_QUERY = re.compile(r"(?:^|&)(q?url)=$", re.IGNORECASE)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Everything legal in a URL stays as it is; only spaces, controls and non-ASCII get escaped.
_URL_CHARS = "!#$%&'()*+,-./:;=?@[]_~"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class EzproxyPrefix:
    """A recognised prefix. ``value`` is normalised (lower-case host names, no stray spaces)."""

    form: EzproxyForm
    value: str
    encoded: bool = False  # login form with ``qurl=``


def is_hostname(value: str, *, min_labels: int = 1) -> bool:
    """A DNS host name (letters, digits, inner hyphens) of at least ``min_labels`` labels.

    An all-digit last label means an IPv4 address, which is not a host name.
    """
    labels = value.split(".")
    return (
        len(value) <= 253
        and len(labels) >= min_labels
        and all(_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()
    )


def parse_prefix(prefix: str) -> EzproxyPrefix:
    """Recognise ``prefix`` as the login or the hostname form.

    :raise InvalidInput: with a message naming the accepted forms.
    """
    value = (prefix or "").strip()
    if not value:
        raise InvalidInput("EZproxy prefix is empty")
    if "://" in value:
        return _parse_login(value)
    host = value.lower().lstrip(".").rstrip("/")
    if not is_hostname(host, min_labels=3):
        raise InvalidInput(
            f"EZproxy prefix {prefix!r} is neither a login URL "
            "(https://ezproxy.example.edu/login?url=) nor a proxy host name with at least "
            "three labels (ezproxy.example.edu)"
        )
    return EzproxyPrefix(form="hostname", value=host)


def _parse_login(value: str) -> EzproxyPrefix:
    parts = urlsplit(value)
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise InvalidInput(f"EZproxy prefix {value!r} must start with https:// or http://")
    if safe_url(value) is None or not is_hostname(parts.hostname or "", min_labels=2):
        raise InvalidInput(f"EZproxy prefix {value!r} does not have a valid host name")
    if parts.fragment or "#" in value:
        raise InvalidInput(f"EZproxy prefix {value!r} must not contain '#'")
    match = _LOGIN_QUERY.search(parts.query)
    if not parts.path.lower().endswith("/login") or match is None:
        raise InvalidInput(
            f"EZproxy prefix {value!r} must end with /login?url= or /login?qurl= "
            "(or be a bare proxy host name such as ezproxy.example.edu for hostname rewriting)"
        )
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()
    query = parts.query[: match.start(1)] + match.group(1).lower() + "="
    normalised = f"{scheme}://{netloc}{parts.path}?{query}"
    return EzproxyPrefix(form="login", value=normalised, encoded=match.group(1).lower() == "qurl")


def proxied_url(prefix: str | EzproxyPrefix, target: str) -> str:
    """``target`` as reached through the EZproxy ``prefix`` (either form, see module docs).

    :raise InvalidInput: if the prefix is not recognised or the target is not an http(s) URL.
    """
    parsed = prefix if isinstance(prefix, EzproxyPrefix) else parse_prefix(prefix)
    if safe_url(target) is None:
        raise InvalidInput(f"cannot proxy {target!r}: only http(s) URLs can be proxied")
    if parsed.form == "login":
        if parsed.encoded:
            return parsed.value + quote(target, safe="")
        return parsed.value + quote(target, safe=_URL_CHARS)
    return _rewrite_host(parsed.value, target)


def _rewrite_host(suffix: str, target: str) -> str:
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise InvalidInput(f"cannot proxy {target!r}: host name is not valid") from exc
    if not is_hostname(host):
        raise InvalidInput(f"cannot proxy {target!r}: EZproxy rewrites host names, not addresses")
    label = host.replace("-", "--").replace(".", "-") if scheme == "https" else host
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        label = f"p{port}-{label}"
    # Keep everything after the authority exactly as given.
    rest = target[len(parts.scheme) + 3 + len(parts.netloc):]
    return f"{scheme}://{label}.{suffix}{rest}"
