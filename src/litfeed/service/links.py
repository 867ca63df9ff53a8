"""Full-text links for a paper and a reader (``litfeed links``, ``/api/papers/{pmid}/links``,
the paper page's full-text block, the "Full text" button on every card).

The order and the safety rules live in ``litfeed.fulltext`` (pure); this module adds what needs
the store or the network: the reader's institution (``service.institutions``) and, only when
``UNPAYWALL_EMAIL`` is set, an Unpaywall lookup read through the ``cache_entries`` table. The
lookup never raises: offline, misbehaving or slow, Unpaywall costs the reader its open-access
links, not the page.

:class:`LinkFinder` holds one Unpaywall client, so its rate limiter and connection pool are
shared by every request of a web process; :func:`links_for` is the one-shot form for the CLI.
Lists use :func:`best_link`, which never goes online.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from litfeed.config import Settings
from litfeed.fulltext.institutions import Institution
from litfeed.fulltext.links import Link
from litfeed.fulltext.resolvers import resolve_links
from litfeed.fulltext.unpaywall import UnpaywallClient, client_from_settings
from litfeed.models import Paper, User
from litfeed.service.institutions import reader_institution
from litfeed.service.papers import get_paper
from litfeed.store import Store
from litfeed.store.cache import StoreCache


class LinkFinder:
    """Links for papers on one store. ``unpaywall`` is None unless ``UNPAYWALL_EMAIL`` is set.

    ``http`` is an ``httpx.Client`` the caller owns; without one, a client is made when
    Unpaywall is configured and closed by :meth:`close`. ``unpaywall_options`` go to
    ``UnpaywallClient`` (``timeout``, ``max_wait``, ``min_interval``…): the web app asks for a
    shorter timeout than the CLI, since a reader is waiting for the page.

    :raise ConfigError: ``UNPAYWALL_EMAIL`` is set but is not an email address.
    """

    def __init__(self, store: Store, settings: Settings, *, http: httpx.Client | None = None,
                 **unpaywall_options: Any) -> None:
        self.store = store
        self._owned: httpx.Client | None = None
        self.unpaywall: UnpaywallClient | None = None
        if settings.unpaywall_email:
            if http is None:
                http = self._owned = httpx.Client(headers={"User-Agent": "litfeed"})
            try:
                self.unpaywall = client_from_settings(
                    settings, client=http, cache=StoreCache(store), **unpaywall_options)
            except Exception:
                self.close()
                raise

    def links(self, paper: Paper, user: User | None = None, *,
              institution: Institution | None = None, online: bool = True) -> list[Link]:
        """Every link for ``paper``, best first. The reader's institution is looked up for
        ``user`` unless ``institution`` is given; ``online=False`` skips Unpaywall."""
        if institution is None and user is not None:
            institution = reader_institution(self.store, user).institution
        record = None
        if online and self.unpaywall is not None and paper.doi:
            record = self.unpaywall.lookup(paper.doi)
        return resolve_links(paper, institution=institution, unpaywall=record)

    def links_json(self, pmid: str, user: User | None = None) -> dict[str, Any]:
        """``{"pmid", "links": [...], "institution"}`` for a stored paper.

        :raise NotFound: the PMID is not stored.
        """
        paper = get_paper(self.store, pmid)
        institution = reader_institution(self.store, user).institution if user else None
        found = self.links(paper, institution=institution)
        return {"pmid": paper.pmid, "links": [link.to_json() for link in found],
                "institution": institution.name if institution else None}

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> LinkFinder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def links_for(store: Store, settings: Settings, pmid: str, user: User | None = None, *,
              http: httpx.Client | None = None) -> dict[str, Any]:
    """``{"pmid", "links": [{"kind", "url", "label", "open_access", …}], "institution"}``:
    what ``litfeed links`` prints.

    :raise NotFound: the PMID is not stored.
    """
    with LinkFinder(store, settings, http=http) as finder:
        return finder.links_json(pmid, user)


def best_link(paper: Paper, institution: Institution | None = None) -> Link | None:
    """The first link known offline (PMC, the reader's library, DOI, publisher, PubMed): the
    "Full text" button on list cards, which must not wait on Unpaywall."""
    found = resolve_links(paper, institution=institution)
    return found[0] if found else None
