"""Server-side rendering: the Jinja2 environment, its filters, and ``render`` for page routes.

Record markup reaches a template only through the ``clean`` filter, which runs nh3 with an
allow-list of inline tags and no attributes: a ``<script>`` or ``onerror=`` that slipped into a
PubMed record comes out as inert text.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import nh3
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from litfeed.config import Settings
from litfeed.models import DISLIKE_REASONS
from litfeed.service.accounts import SignedIn
from litfeed.web.security import attach_csrf_cookie, csrf_token_for

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
INLINE_TAGS = {"i", "b", "u", "sup", "sub", "em", "strong"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=4096)
def clean(markup: str | None) -> Markup:
    """Record markup made safe to render: inline emphasis kept, everything else dropped."""
    if not markup:
        return Markup("")
    return Markup(nh3.clean(markup, tags=INLINE_TAGS, attributes={}, url_schemes=set(),
                            strip_comments=True))


def human_date(published: str | None) -> str:
    """'2021-03-05' → '5 Mar 2021', '2021-03' → 'Mar 2021', '2021' → '2021'."""
    if not published:
        return ""
    parts = published.split("-")
    try:
        if len(parts) >= 3:
            return f"{int(parts[2])} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        return published
    return parts[0]


def short_datetime(value: datetime | None) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}" if value else ""


def label_case(label: str | None) -> str:
    """'BACKGROUND' → 'Background'; mixed-case labels are left as the record has them."""
    if not label:
        return ""
    return label.capitalize() if label.isupper() else label


@lru_cache(maxsize=64)
def _digest(path: Path, mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """A cache-busting URL for a static file (its content digest as ``?v=``)."""
    path = STATIC_DIR / name
    try:
        version = _digest(path, path.stat().st_mtime)
    except OSError:
        return f"/static/{name}"
    return f"/static/{name}?v={version}"


def make_templates() -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                      autoescape=select_autoescape(["html", "xml"], default=True),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(clean=clean, human_date=human_date, short_datetime=short_datetime,
                       label_case=label_case)
    env.globals.update(static_url=static_url, dislike_reasons=DISLIKE_REASONS)
    return Jinja2Templates(env=env)


class LazyToken:
    """The CSRF token, made only if the page has a form that prints it: a reader who only
    reads gets no pre-session cookie."""

    def __init__(self, request: Request, settings: Settings, session_csrf: str | None) -> None:
        self._args = (request, settings, session_csrf)
        self._value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            self._value = csrf_token_for(*self._args)
        return self._value

    def __html__(self) -> str:
        return str(self)


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           auth: SignedIn | None, status: int = 200) -> HTMLResponse:
    """Render a page with what every page needs: who is signed in and the CSRF token."""
    settings: Settings = request.app.state.settings
    templates: Jinja2Templates = request.app.state.templates
    ctx = dict(context or {})
    session_csrf = auth.csrf_token if auth is not None else None
    ctx.setdefault("user", auth.user if auth is not None else None)
    ctx.setdefault("csrf_token", LazyToken(request, settings, session_csrf))
    ctx.setdefault("registration_open", settings.registration == "open")
    response = templates.TemplateResponse(request, template, ctx, status_code=status)
    attach_csrf_cookie(request, response, settings)
    return response
