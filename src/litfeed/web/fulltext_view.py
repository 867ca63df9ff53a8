"""Full text on the web: the paper page's block, the "Full text" button on every card, and the
institution picker on /settings.

``install(app)`` wires it all in ``create_app``: one ``LinkFinder`` per app (so Unpaywall's rate
limiter and connection pool are shared by every request, and closed at shutdown), the paper
block, and two template globals. The globals exist because the card macro and the settings
page are shared by routes that know nothing about full text: the feed, search and saved lists
call ``paper_card(…, user, …)``, and the card asks ``full_text(paper, user)`` itself.

Every href comes from ``fulltext.resolve_links`` (http(s) only) and opens in a new tab with
``rel="noopener noreferrer"``; litfeed never redirects to a URL taken from a request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request

from litfeed.fulltext.links import Link
from litfeed.fulltext.resolvers import license_label
from litfeed.models import Paper, User
from litfeed.service import institutions
from litfeed.service.accounts import SignedIn
from litfeed.service.institutions import ReaderInstitution
from litfeed.service.links import LinkFinder, best_link
from litfeed.store import Store
from litfeed.web.blocks import PaperBlock, add_block

#: a reader is waiting for the page: give up on Unpaywall sooner than the CLI does
UNPAYWALL_TIMEOUT_S = 3.0
UNPAYWALL_MAX_WAIT_S = 1.0
BLOCK_ORDER = 10  # first under the abstract: the reason most readers open a paper page

_VERSIONS = {"published": "Published version", "accepted": "Accepted manuscript",
             "submitted": "Preprint"}
_VIA = {"ezproxy": "Through your library's proxy", "openurl": "Your library's link resolver",
        "ill": "Interlibrary loan"}


@dataclass(frozen=True)
class ShownLink:
    """A link as the block shows it: the ``Link`` plus one line of details."""

    link: Link
    details: str

    @property
    def url(self) -> str:
        return self.link.url


def details(link: Link) -> str:
    """'Accepted manuscript · CC BY · green' — what kind of copy this is, for the small print."""
    parts = [_VERSIONS.get(link.version or "", ""), license_label(link.license) or "",
             _VIA.get(link.via or "", "")]
    if link.oa_status and link.oa_status != "closed":
        parts.append(f"{link.oa_status} open access")
    return " · ".join(p for p in parts if p)


def finder(app: FastAPI) -> LinkFinder:
    found: LinkFinder = app.state.links
    return found


def block_context(request: Request, paper: Paper, auth: SignedIn | None
                  ) -> dict[str, Any] | None:
    """The full-text block: the best link as one big button, the others below. A signed-in
    reader with no institution (and who did not opt out) is invited to pick one."""
    card_links: CardLinks = request.app.state.card_links
    reader = card_links.reader(auth.user if auth else None)
    institution = reader.institution if reader else None
    found = finder(request.app).links(paper, institution=institution)
    if not found:
        return None
    shown = [ShownLink(link, details(link)) for link in found]
    return {"best": shown[0], "others": shown[1:], "institution": institution,
            "can_pick": reader is not None and institution is None and reader.choice is None}


class CardLinks:
    """``full_text(paper, user)`` for list cards: the best link known offline.

    A list renders up to a hundred cards for one reader, so the reader's institution is looked
    up once per rendered page, not once per card: it is remembered against the very ``User``
    object the page was rendered with (each request loads a fresh one), so a change of settings
    is seen on the next page, never served stale.
    """

    def __init__(self, store: Store, size: int = 64) -> None:
        self._store = store
        self._size = size
        self._seen: OrderedDict[int, tuple[User, ReaderInstitution]] = OrderedDict()
        self._lock = threading.Lock()

    def reader(self, user: User | None) -> ReaderInstitution | None:
        """The reader's institution (None for nobody signed in)."""
        if user is None:
            return None
        with self._lock:
            hit = self._seen.get(id(user))
            if hit is not None and hit[0] is user:
                return hit[1]
        found = institutions.reader_institution(self._store, user)
        with self._lock:
            self._seen[id(user)] = (user, found)  # holding ``user`` keeps its id unique
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return found

    def __call__(self, paper: Paper, user: User | None = None) -> Link | None:
        reader = self.reader(user)
        return best_link(paper, reader.institution if reader else None)


def institution_picker(store: Store, user: User | None) -> dict[str, Any] | None:
    """What the settings page's picker needs: the institutions, which one is selected (the
    reader's choice, else the one matching their email domain) and why."""
    if user is None:
        return None
    reader = institutions.reader_institution(store, user)
    if reader.institution is not None:
        selected = str(reader.institution.id)
    else:
        selected = "none" if reader.choice == "none" else ""
    return {"institutions": institutions.list_institutions(store), "selected": selected,
            "source": reader.source, "institution": reader.institution}


def install(app: FastAPI) -> None:
    """Add full text to the app (called once by ``create_app``).

    :raise ConfigError: ``UNPAYWALL_EMAIL`` is set but is not an email address.
    """
    store: Store = app.state.store
    links = LinkFinder(store, app.state.settings, timeout=UNPAYWALL_TIMEOUT_S,
                       max_wait=UNPAYWALL_MAX_WAIT_S)
    app.state.links = links
    app.state.on_shutdown.append(links.close)
    add_block(app, PaperBlock(name="fulltext", template="partials/_block_fulltext.html",
                              context=block_context, order=BLOCK_ORDER))
    app.state.card_links = CardLinks(store)
    env = app.state.templates.env
    env.globals["full_text"] = app.state.card_links
    env.globals["institution_picker"] = lambda user: institution_picker(store, user)
