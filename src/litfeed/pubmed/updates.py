"""NLM's bulk distribution: list the baseline and daily update files, download and verify them.

NLM publishes ``pubmedYYnNNNN.xml.gz`` files under ``/pubmed/baseline/`` (once a year) and
``/pubmed/updatefiles/`` (daily), each beside a ``.md5`` file. Updates must be applied in file
order, since a later file may revise or delete a record from an earlier one; so listings are
sorted by number, and ``pending`` keeps that order. Recording which files were applied is the
caller's job (this module has no database).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from litfeed.errors import InvalidInput, NetworkError, ParseError
from litfeed.pubmed.eutils import Retry, Sleep, check_status, with_retries

Kind = Literal["updatefiles", "baseline"]
KINDS: tuple[str, ...] = ("updatefiles", "baseline")

_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_FILE_NAME = re.compile(r"^pubmed(\d+)n(\d+)\.xml\.gz$")
# OpenSSL's format, which NLM uses: "MD5(pubmed25n1275.xml.gz)= 0123abcd..."
_MD5_OPENSSL = re.compile(r"MD5\s*\(\s*([^)]+?)\s*\)\s*=\s*([0-9a-fA-F]{32})")
# md5sum's format, accepted from mirrors: "0123abcd...  pubmed25n1275.xml.gz"
_MD5_SUM = re.compile(r"^([0-9a-fA-F]{32})\s+\*?(\S+)\s*$", re.MULTILINE)
_CHUNK = 1 << 16


@dataclass(frozen=True)
class RemoteFile:
    """One distribution file: its name (``pubmed25n1275.xml.gz``) and where it and its MD5 are."""

    name: str
    url: str
    md5_url: str

    @property
    def number(self) -> tuple[int, int]:
        """(year, file number): the order in which files must be applied."""
        match = _FILE_NAME.match(self.name)
        if match is None:
            raise InvalidInput(f"{self.name!r} is not a PubMed file name like pubmed25n1275.xml.gz")
        return int(match.group(1)), int(match.group(2))


def list_remote_files(
    base_url: str,
    kind: Kind,
    *,
    client: httpx.Client,
    retry: Retry | None = None,
    sleep: Sleep = time.sleep,
) -> list[RemoteFile]:
    """The ``.xml.gz`` files in ``base_url/kind/``, sorted by file number.

    ``base_url`` is the ``pubmed/`` directory (``LITFEED_PUBMED_FTP_URL``). Links to anything
    else on the index page (README, stats pages, ``.md5`` files, parent directory) are ignored.

    :raise InvalidInput: ``kind`` is not updatefiles or baseline.
    :raise NetworkError: the index page could not be fetched after retries.
    """
    if kind not in KINDS:
        raise InvalidInput(f"kind={kind!r}; expected one of {', '.join(KINDS)}")
    listing_url = base_url.rstrip("/") + f"/{kind}/"
    what = f"PubMed {kind} listing ({listing_url})"

    def attempt() -> httpx.Response:
        response = client.get(listing_url)
        check_status(response, what)
        return response

    html = with_retries(attempt, what=what, retry=retry or Retry(), sleep=sleep).text
    files: dict[str, RemoteFile] = {}
    for match in _HREF.finditer(html):
        href = next(group for group in match.groups() if group is not None)
        url = urljoin(listing_url, href.replace("&amp;", "&"))
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        if _FILE_NAME.match(name) and name not in files:
            files[name] = RemoteFile(name=name, url=url, md5_url=url + ".md5")
    return sorted(files.values(), key=lambda file: file.number)


def pending(files: list[RemoteFile], applied: set[str]) -> list[RemoteFile]:
    """The files whose names are not in ``applied``, in the order given."""
    return [file for file in files if file.name not in applied]


def download(
    file: RemoteFile,
    dest_dir: Path,
    *,
    client: httpx.Client,
    retry: Retry | None = None,
    sleep: Sleep = time.sleep,
) -> Path:
    """Fetch ``file`` into ``dest_dir`` and verify it against its ``.md5``; return its path.

    The body is streamed to a hidden temporary file beside the target and renamed into place
    only once its MD5 matches, so a reader never sees a partial file. A file already there whose
    MD5 matches is kept without downloading it again.

    :raise ParseError: the ``.md5`` file does not hold a checksum for this file.
    :raise NetworkError: a download failed after retries, or its MD5 does not match (the
        partial file is removed).
    """
    retry = retry or Retry()
    expected = _expected_md5(file, client=client, retry=retry, sleep=sleep)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / file.name
    if target.is_file() and _md5_of(target) == expected:
        return target

    what = f"download of {file.name} ({file.url})"

    def attempt() -> tuple[Path, str]:
        handle, temp_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{file.name}.", suffix=".part")
        temp = Path(temp_name)
        try:
            digest = hashlib.md5(usedforsecurity=False)
            with os.fdopen(handle, "wb") as out, client.stream("GET", file.url) as response:
                check_status(response, what)
                for chunk in response.iter_bytes(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, digest.hexdigest()

    temp, actual = with_retries(attempt, what=what, retry=retry, sleep=sleep)
    if actual != expected:
        temp.unlink(missing_ok=True)
        raise NetworkError(
            f"MD5 mismatch for {file.name}: {file.md5_url} says {expected}, the download has "
            f"{actual}; the partial file was removed, try again later"
        )
    try:
        os.replace(temp, target)
    except OSError:
        temp.unlink(missing_ok=True)
        raise
    return target


def parse_md5(text: str, name: str) -> str:
    """The lowercase hex MD5 for ``name`` from a ``.md5`` file's text.

    :raise ParseError: no checksum line, or one for a different file.
    """
    found = [(m.group(1), m.group(2)) for m in _MD5_OPENSSL.finditer(text)]
    found += [(m.group(2), m.group(1)) for m in _MD5_SUM.finditer(text)]
    if not found:
        raise ParseError(
            f"the checksum file for {name} has no MD5 line; expected 'MD5({name})= <32 hex digits>'"
            f", got {text.strip()[:80]!r}"
        )
    for listed, digest in found:
        if Path(listed).name == name:
            return digest.lower()
    raise ParseError(f"the checksum file for {name} names {found[0][0]!r} instead")


def _expected_md5(file: RemoteFile, *, client: httpx.Client, retry: Retry, sleep: Sleep) -> str:
    what = f"checksum for {file.name} ({file.md5_url})"

    def attempt() -> httpx.Response:
        response = client.get(file.md5_url)
        check_status(response, what)
        return response

    return parse_md5(with_retries(attempt, what=what, retry=retry, sleep=sleep).text, file.name)


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
