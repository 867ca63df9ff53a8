"""NCBI E-utilities client: ESearch for PMIDs, EFetch for PubMed XML.

This module and ``updates.py`` are the only code that talks to NCBI. NCBI asks clients to stay
under 3 requests per second without an API key and 10 with one, to send ``tool`` and ``email``,
and it answers overload with 429 or 5xx; the limiter and the retry loop here keep us a polite
client. Clock and sleep are injected so tests can check the spacing without waiting.
"""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from litfeed.errors import InvalidInput, NetworkError

log = logging.getLogger(__name__)

T = TypeVar("T")

# NCBI's published limits (https://www.ncbi.nlm.nih.gov/books/NBK25497/).
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
# ESearch returns at most this many ids per request.
ESEARCH_PAGE_MAX = 10_000
# Above this many characters of ids a GET URL risks being refused (NCBI suggests POST for
# more than about 200 ids); below it a GET is easier to read in logs.
POST_THRESHOLD_CHARS = 1_000

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Retry:
    """How hard to try: ``tries`` attempts in all, waiting ``backoff`` seconds after the first
    failure and doubling each time, never more than ``max_wait`` (a Retry-After included)."""

    tries: int = 4
    backoff: float = 1.0
    max_wait: float = 120.0


class RetryableError(Exception):
    """One attempt failed in a way worth repeating (429, 5xx, a dropped connection)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def check_status(response: httpx.Response, what: str) -> None:
    """Raise RetryableError for 429/5xx and NetworkError for any other non-2xx status."""
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    if status == 429 or status >= 500:
        raise RetryableError(reason, parse_retry_after(response.headers.get("Retry-After")))
    response.read()
    snippet = " ".join(response.text.split())[:200]
    raise NetworkError(f"{what} returned {reason}" + (f": {snippet}" if snippet else ""))


def with_retries(attempt: Callable[[], T], *, what: str, retry: Retry, sleep: Sleep) -> T:
    """Call ``attempt`` until it returns, retrying RetryableError and httpx transport errors.

    :raise NetworkError: after ``retry.tries`` failed attempts, naming the last failure.
    """
    if retry.tries < 1:
        raise InvalidInput(f"retry.tries={retry.tries}; expected at least 1")
    last = ""
    for number in range(1, retry.tries + 1):
        try:
            return attempt()
        except RetryableError as exc:
            last, wait = exc.reason, exc.retry_after
        except httpx.TransportError as exc:
            last, wait = f"{type(exc).__name__}: {exc}", None
        if number == retry.tries:
            break
        if wait is None:
            wait = retry.backoff * 2 ** (number - 1)
        wait = min(wait, retry.max_wait)
        log.warning("%s: %s; retrying in %.1f s (try %d of %d)", what, last, wait,
                    number + 1, retry.tries)
        sleep(wait)
    raise NetworkError(f"{what} failed after {retry.tries} tries; last error: {last}")


class RateLimiter:
    """Spaces calls at least ``1 / per_second`` apart (a one-token bucket).

    A strict interval rather than a burst allowance, because NCBI counts requests per second
    and blocks the key or IP that goes over.
    """

    def __init__(self, per_second: float, *, clock: Clock, sleep: Sleep) -> None:
        if per_second <= 0:
            raise InvalidInput(f"rate {per_second!r}; expected a positive number per second")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next request may go out, and book that slot."""
        with self._lock:
            now = self._clock()
            if self._next is not None and now < self._next:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


class EutilsClient:
    """ESearch and EFetch against ``base_url`` (NCBI's, or a mirror/test server).

    Pass ``client`` to share an ``httpx.Client`` (it is then not closed here); otherwise one is
    made and closed by ``close()`` or the ``with`` block.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        email: str | None,
        tool: str = "litfeed",
        client: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        retry: Retry | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.api_key = api_key or None
        self.email = email or None
        self.tool = tool
        self.retry = retry or Retry()
        self._sleep = sleep
        rate = RATE_WITH_KEY if self.api_key else RATE_WITHOUT_KEY
        self.limiter = RateLimiter(rate, clock=clock, sleep=sleep)
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=True,
            headers={"User-Agent": f"{tool} (litfeed E-utilities client)"},
        )

    def __enter__(self) -> EutilsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def esearch(self, term: str, *, retmax: int, page_size: int = ESEARCH_PAGE_MAX) -> list[str]:
        """PMIDs matching ``term`` (PubMed query syntax), at most ``retmax``, in NCBI's order.

        Pages with ``retstart`` in chunks of ``page_size``. PubMed itself refuses to page past
        its first 9,999 hits; that refusal surfaces as NetworkError with NCBI's own message.

        :raise InvalidInput: an empty term or a negative retmax.
        :raise NetworkError: NCBI failed after retries or answered with an error.
        """
        if not term.strip():
            raise InvalidInput("the search term is empty; expected a PubMed query")
        if retmax < 0:
            raise InvalidInput(f"retmax={retmax}; expected 0 or more")
        if not 1 <= page_size <= ESEARCH_PAGE_MAX:
            raise InvalidInput(f"page_size={page_size}; expected 1 to {ESEARCH_PAGE_MAX}")
        pmids: list[str] = []
        while len(pmids) < retmax:
            want = min(page_size, retmax - len(pmids))
            result = self._esearch_page(term, retstart=len(pmids), retmax=want)
            page = [str(pmid) for pmid in result.get("idlist", [])]
            pmids.extend(page)
            if len(page) < want or len(pmids) >= int(result.get("count", 0)):
                break
        return pmids[:retmax]

    def _esearch_page(self, term: str, *, retstart: int, retmax: int) -> dict[str, Any]:
        params = {"db": "pubmed", "term": term, "retmode": "json",
                  "retstart": str(retstart), "retmax": str(retmax)}
        response = self._request("GET", "esearch.fcgi", params, what="NCBI esearch")
        try:
            result = json.loads(response.content)["esearchresult"]
        except (ValueError, KeyError, TypeError) as exc:
            raise NetworkError(
                "NCBI esearch sent a response that is not ESearch JSON "
                f"(starts {response.text[:80]!r})"
            ) from exc
        if not isinstance(result, dict):
            raise NetworkError("NCBI esearch sent an esearchresult that is not an object")
        if "ERROR" in result:
            raise NetworkError(f"NCBI esearch reported an error: {result['ERROR']}")
        return result

    def efetch(self, pmids: Sequence[str], *, batch: int = 200) -> Iterator[bytes]:
        """PubMed XML (``<PubmedArticleSet>``) for ``pmids``: one response body per batch.

        Ids NCBI does not know are simply absent from the XML. Long id lists go by POST.

        :raise InvalidInput: a PMID that is not a positive integer, or a bad batch size.
        :raise NetworkError: NCBI failed after retries.
        """
        if not 1 <= batch <= ESEARCH_PAGE_MAX:
            raise InvalidInput(f"batch={batch}; expected 1 to {ESEARCH_PAGE_MAX}")
        ids = [str(pmid).strip() for pmid in pmids]
        for pmid in ids:
            if not pmid.isdigit() or int(pmid) == 0:
                raise InvalidInput(f"PMID {pmid!r} is not a positive integer")
        for start in range(0, len(ids), batch):
            joined = ",".join(ids[start:start + batch])
            params = {"db": "pubmed", "retmode": "xml", "id": joined}
            method = "POST" if len(joined) > POST_THRESHOLD_CHARS else "GET"
            yield self._request(method, "efetch.fcgi", params, what="NCBI efetch").content

    def _request(self, method: str, endpoint: str, params: dict[str, str], *,
                 what: str) -> httpx.Response:
        params = {**params, **self._identity()}
        url = self.base_url + endpoint

        def attempt() -> httpx.Response:
            self.limiter.wait()
            if method == "POST":
                response = self._client.post(url, data=params)
            else:
                response = self._client.get(url, params=params)
            check_status(response, what)
            return response

        try:
            return with_retries(attempt, what=what, retry=self.retry, sleep=self._sleep)
        except NetworkError as exc:
            raise NetworkError(self._scrub(exc.message)) from exc

    def _identity(self) -> dict[str, str]:
        params = {"tool": self.tool}
        if self.email:
            params["email"] = self.email
        if self.api_key:
            params["api_key"] = self.api_key
        return params

    def _scrub(self, message: str) -> str:
        """Keep the API key out of messages that end up in logs and terminals."""
        return message.replace(self.api_key, "***") if self.api_key else message
