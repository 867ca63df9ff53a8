"""Full-text links for a paper: open-access copies, the reader's library, DOI, PubMed.

Pure domain code: no database, no web. The service layer passes a ``Paper``, the reader's
``Institution`` (or None) and, when online, an ``UnpaywallRecord`` from ``UnpaywallClient``.
See docs/fulltext.md for the order of links and how institutions are configured.
"""

from litfeed.fulltext.cache import Cache, MemoryCache
from litfeed.fulltext.ezproxy import EzproxyPrefix, parse_prefix, proxied_url
from litfeed.fulltext.institutions import (
    Institution,
    institution_for_email,
    validate_institution,
)
from litfeed.fulltext.links import LINK_KINDS, Link, safe_url
from litfeed.fulltext.openurl import context_object, openurl_link
from litfeed.fulltext.resolvers import RESOLVERS, LinkContext, resolve_links
from litfeed.fulltext.unpaywall import (
    OaLocation,
    UnpaywallClient,
    UnpaywallRecord,
    client_from_settings,
)

__all__ = [
    "LINK_KINDS",
    "RESOLVERS",
    "Cache",
    "EzproxyPrefix",
    "Institution",
    "Link",
    "LinkContext",
    "MemoryCache",
    "OaLocation",
    "UnpaywallClient",
    "UnpaywallRecord",
    "client_from_settings",
    "context_object",
    "institution_for_email",
    "openurl_link",
    "parse_prefix",
    "proxied_url",
    "resolve_links",
    "safe_url",
    "validate_institution",
]
