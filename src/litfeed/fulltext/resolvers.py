"""The full-text block: every resolver, in the order a reader should try the links.

The order follows LibKey's: a free published version first (publisher-hosted, then PubMed
Central, then other repositories), then the reader's institution (EZproxy on the DOI link,
else the library's OpenURL resolver), then free accepted or submitted manuscripts, then the
DOI / publisher page, PubMed, and interlibrary loan last — and only when no free published
version exists, since asking a library to send what is already free wastes everyone's time.

Each resolver is a small function from a :class:`LinkContext` to its links; ``RESOLVERS`` is
the order. :func:`resolve_links` runs them, drops any URL that is not http(s), and keeps the
first link for each URL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from litfeed.errors import InvalidInput
from litfeed.fulltext.ezproxy import proxied_url
from litfeed.fulltext.identifiers import (
    doi_url,
    elsevier_pii,
    elsevier_url,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    pmc_url,
    pubmed_url,
)
from litfeed.fulltext.institutions import Institution
from litfeed.fulltext.links import Link, safe_url
from litfeed.fulltext.openurl import openurl_link
from litfeed.fulltext.unpaywall import OaLocation, UnpaywallRecord
from litfeed.models import Paper

log = logging.getLogger(__name__)

_PMC_HOSTS = frozenset({"ncbi.nlm.nih.gov", "pmc.ncbi.nlm.nih.gov"})
_PMC_IN_PATH = re.compile(r"/(PMC\d+)(?:/|$)", re.IGNORECASE)
_VERSION_WORDS = {
    "published": "Free published version",
    "accepted": "Free accepted manuscript",
    "submitted": "Free preprint (submitted version)",
}


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What every resolver may look at. ``unpaywall`` is None offline or when it failed."""

    paper: Paper
    institution: Institution | None = None
    unpaywall: UnpaywallRecord | None = None

    @property
    def doi(self) -> str | None:
        return normalize_doi(self.paper.doi)

    @property
    def pmcid(self) -> str | None:
        return normalize_pmcid(self.paper.pmcid)

    def oa_locations(self) -> tuple[OaLocation, ...]:
        record = self.unpaywall
        if record is None:
            return ()
        return record.oa_locations or ((record.best_oa_location,)
                                       if record.best_oa_location else ())

    @property
    def free_at_publisher(self) -> bool:
        return any(loc.host_type == "publisher" for loc in self.oa_locations())

    @property
    def has_free_published(self) -> bool:
        return self.pmcid is not None or any(
            loc.version == "published" and _location_url(loc) for loc in self.oa_locations()
        )


Resolver = Callable[[LinkContext], Iterable[Link]]


def open_access_published(ctx: LinkContext) -> list[Link]:
    """Free published versions: at the publisher, in PubMed Central, in other repositories."""
    published = [loc for loc in ctx.oa_locations() if loc.version == "published"]
    at_publisher = [loc for loc in published if loc.host_type == "publisher"]
    elsewhere = [loc for loc in published if loc.host_type != "publisher"]
    links = [_oa_link(loc, ctx.unpaywall) for loc in at_publisher]
    if ctx.pmcid:
        links.append(Link(
            kind="pmc", url=pmc_url(ctx.pmcid), label="PubMed Central — free full text",
            open_access=True, version="published", host="repository",
            oa_status=ctx.unpaywall.oa_status if ctx.unpaywall else None,
        ))
    links += [_oa_link(loc, ctx.unpaywall) for loc in elsewhere]
    return [link for link in links if link is not None]


def institution_access(ctx: LinkContext) -> list[Link]:
    """The reader's library: EZproxy on the DOI link when both exist, else its OpenURL resolver."""
    institution = ctx.institution
    if institution is None:
        return []
    if institution.ezproxy_prefix and ctx.doi:
        try:
            url = proxied_url(institution.ezproxy_prefix, doi_url(ctx.doi))
        except InvalidInput as exc:  # stored before validation existed, or edited by hand
            log.warning("institution %r: %s", institution.name, exc.message)
        else:
            return [Link(kind="institution", url=url, via="ezproxy",
                         label=f"Full text through {institution.name}")]
    if institution.openurl_base:
        try:
            url = openurl_link(institution.openurl_base, ctx.paper)
        except InvalidInput as exc:
            log.warning("institution %r: %s", institution.name, exc.message)
        else:
            return [Link(kind="institution", url=url, via="openurl",
                         label=f"Find it at {institution.name}")]
    return []


def open_access_manuscripts(ctx: LinkContext) -> list[Link]:
    """Free accepted manuscripts, then preprints, then copies of unknown version."""
    rank = {"accepted": 0, "submitted": 1}
    others = [loc for loc in ctx.oa_locations() if loc.version != "published"]
    others.sort(key=lambda loc: rank.get(loc.version or "", 2))
    return [link for loc in others if (link := _oa_link(loc, ctx.unpaywall)) is not None]


def doi_link(ctx: LinkContext) -> list[Link]:
    """doi.org, which lands on the publisher's page; free there when Unpaywall says so."""
    if ctx.doi is None:
        return []
    publisher = ctx.unpaywall.publisher if ctx.unpaywall else None
    label = f"{publisher} (via DOI)" if publisher else "Publisher's page (via DOI)"
    return [Link(kind="doi", url=doi_url(ctx.doi), label=label,
                 open_access=ctx.free_at_publisher)]


def publisher_link(ctx: LinkContext) -> list[Link]:
    """A direct publisher link known offline: Elsevier's PII resolver (ScienceDirect)."""
    pii = elsevier_pii(ctx.paper.other_ids)
    if pii is None:
        return []
    return [Link(kind="publisher", url=elsevier_url(pii), label="ScienceDirect (Elsevier)",
                 open_access=ctx.free_at_publisher)]


def pubmed_link(ctx: LinkContext) -> list[Link]:
    pmid = normalize_pmid(ctx.paper.pmid)
    if pmid is None:
        return []
    return [Link(kind="pubmed", url=pubmed_url(pmid), label="PubMed")]


def interlibrary_loan(ctx: LinkContext) -> list[Link]:
    """The library's ILL form; an ILLiad-style ``…/OpenURL`` form gets the citation filled in."""
    institution = ctx.institution
    if institution is None or not institution.ill_url or ctx.has_free_published:
        return []
    url = institution.ill_url
    if urlsplit(url).path.rstrip("/").lower().endswith("/openurl"):
        try:
            url = openurl_link(url, ctx.paper)
        except InvalidInput as exc:
            log.warning("institution %r: %s", institution.name, exc.message)
            return []
    return [Link(kind="institution", url=url, via="ill",
                 label=f"Request from {institution.name} (interlibrary loan)")]


RESOLVERS: tuple[Resolver, ...] = (
    open_access_published,
    institution_access,
    open_access_manuscripts,
    doi_link,
    publisher_link,
    pubmed_link,
    interlibrary_loan,
)


def resolve_links(
    paper: Paper,
    *,
    institution: Institution | None = None,
    unpaywall: UnpaywallRecord | None = None,
    resolvers: tuple[Resolver, ...] = RESOLVERS,
) -> list[Link]:
    """Every link litfeed can offer for ``paper``, best first, each URL once, all http(s).

    An Unpaywall record for a different DOI than the paper's is ignored.
    """
    if unpaywall is not None and (normalize_doi(paper.doi) or "").lower() != unpaywall.doi.lower():
        log.warning("unpaywall record %s does not match paper %s", unpaywall.doi, paper.pmid)
        unpaywall = None
    ctx = LinkContext(paper=paper, institution=institution, unpaywall=unpaywall)
    links = [link for resolver in resolvers for link in resolver(ctx)]
    return dedupe([link for link in links if safe_url(link.url) is not None])


def dedupe(links: list[Link]) -> list[Link]:
    """First link per URL wins; a later duplicate only fills in licence and OA details."""
    kept: dict[str, Link] = {}
    for link in links:
        key = url_key(link.url)
        first = kept.get(key)
        if first is None:
            kept[key] = link
            continue
        kept[key] = replace(
            first,
            open_access=first.open_access or link.open_access,
            license=first.license or link.license,
            oa_status=first.oa_status or link.oa_status,
        )
    return list(kept.values())


def url_key(url: str) -> str:
    """Equal for URLs that reach the same page: scheme, ``www.``, trailing ``/`` and fragment
    ignored; every PubMed Central address of one article counts as one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    pmc = _PMC_IN_PATH.search(parts.path)
    if host in _PMC_HOSTS and pmc:
        return "pmc:" + pmc.group(1).upper()
    port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{parts.path.rstrip('/')}{query}"


def _location_url(location: OaLocation) -> str | None:
    """Unpaywall's ``url`` (PDF if any, else landing page), or the first safe alternative."""
    for candidate in (location.url, location.url_for_landing_page, location.url_for_pdf):
        if safe_url(candidate):
            return candidate
    return None


def _oa_link(location: OaLocation, record: UnpaywallRecord | None) -> Link | None:
    url = _location_url(location)
    if url is None:
        return None
    return Link(
        kind="open_access", url=url, label=_oa_label(location, url), open_access=True,
        version=location.version,
        license=location.license, oa_status=record.oa_status if record else None,
        host=location.host_type,
    )


def _oa_label(location: OaLocation, url: str) -> str:
    words = _VERSION_WORDS.get(location.version or "", "Free copy")
    if location.host_type == "publisher":
        where = "at the publisher"
    else:
        where = "at " + (location.repository_institution
                         or (urlsplit(url).hostname or "").removeprefix("www."))
    licence = license_label(location.license)
    return f"{words} {where}" + (f" ({licence})" if licence else "")


def license_label(license: str | None) -> str | None:
    """``cc-by-nc-nd`` → ``CC BY-NC-ND``; ``cc0``/``public-domain`` spelled out; others None."""
    if not license:
        return None
    value = license.strip().lower()
    if value in {"cc0", "cc-0"}:
        return "CC0"
    if value in {"pd", "public-domain"}:
        return "public domain"
    if value.startswith("cc-"):
        return "CC " + value[3:].upper()
    return None
