"""Stream PubMed XML files into :class:`Paper`, :class:`Deletion` and :class:`RecordError`.

Accepts every NLM format litfeed meets: annual baseline and daily update files
(``PubmedArticleSet`` with ``PubmedArticle``, ``PubmedBookArticle`` and ``DeleteCitation``),
E-utilities efetch responses, pubmed.gov "Save as XML" exports (no DOCTYPE), and the legacy
pre-2017 ``MedlineCitationSet``. Files may be gzip-compressed whatever their name says.

Two promises shape the code:

* Hostile input is inert. The parser never loads a DTD, never touches the network, never expands
  entities (a "billion laughs" file stays small, an external entity pointing at
  ``file:///etc/passwd`` is never read) and refuses libxml2's "huge tree" mode.
* Memory stays flat. Only record-level elements produce events; each record is cleared after it
  has been turned into a Paper and the records before it are unlinked from the root, so a 174 MB
  baseline file parses in the same few tens of MB as a small one.

A broken record yields a :class:`RecordError` and parsing goes on; a broken *file* (truncated
gzip, not XML, not PubMed XML) raises :class:`~litfeed.errors.ParseError` after yielding whatever
records came before the damage.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from litfeed.errors import ParseError
from litfeed.models import Deletion, Paper, RecordError
from litfeed.pubmed.article import parse_article

__all__ = ["iter_records", "iter_records_from", "open_xml", "parse_article"]

Record = Paper | Deletion | RecordError

GZIP_MAGIC = b"\x1f\x8b"

#: Record-level tags by root element. Filtering events on these is what makes iterparse cheap.
RECORD_TAGS: dict[str, tuple[str, ...]] = {
    "PubmedArticleSet": ("PubmedArticle", "PubmedBookArticle", "DeleteCitation"),
    "PubmedBookArticleSet": ("PubmedBookArticle", "DeleteCitation"),
    "MedlineCitationSet": ("MedlineCitation", "DeleteCitation"),
    # A single saved record is a document too.
    "PubmedArticle": ("PubmedArticle",),
    "PubmedBookArticle": ("PubmedBookArticle",),
    "MedlineCitation": ("MedlineCitation",),
}

#: Parser options that keep untrusted XML inert (see module docstring).
SAFE_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "dtd_validation": False,
}

_SNIFF_LIMIT = 1 << 20  # how far we read looking for the root element
_SNIFF_CHUNK = 1 << 16
_PROLOG = re.compile(
    rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*", re.DOTALL
)
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)(?=[\s/>])")
_BOM = b"\xef\xbb\xbf"


def open_xml(path: Path) -> BinaryIO:
    """Open a PubMed XML file for reading bytes, decompressing it if it is gzip.

    Compression is recognised by the gzip magic number, not the suffix: NCBI mirrors and browsers
    rename files both ways.

    :raise ParseError: the file cannot be opened.
    """
    path = Path(path)
    try:
        with path.open("rb") as probe:
            magic = probe.read(2)
        if magic == GZIP_MAGIC:
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    except OSError as exc:
        raise ParseError(f"{path}: cannot open ({exc.strerror or exc})") from exc


def iter_records(path: Path) -> Iterator[Record]:
    """Every record of one file, in document order (see the module docstring).

    :raise ParseError: the file cannot be opened, is truncated, is not XML or not PubMed XML.
    """
    with open_xml(path) as stream:
        yield from iter_records_from(stream, str(path))


def iter_records_from(stream: BinaryIO, filename: str) -> Iterator[Record]:
    """Like :func:`iter_records` for an open binary stream (e.g. an efetch response body).

    ``filename`` names the source in errors. A gzip-compressed stream is decompressed.
    """
    source: Any = stream
    try:
        magic = _read_fully(stream, 2)
        if magic == GZIP_MAGIC:
            replay: Any = _Replay(magic, stream)
            source = gzip.GzipFile(fileobj=replay, mode="rb")
            magic = b""
        head, root = _sniff_root(source, magic)
    except (EOFError, OSError, zlib.error) as exc:
        raise ParseError(f"{filename}: {_describe_io_error(exc)}") from exc
    except ValueError as exc:
        raise ParseError(f"{filename}: not PubMed XML ({exc})") from exc
    if not head.strip():
        raise ParseError(f"{filename}: empty file, expected PubMed XML")
    tags: tuple[str, ...] | None = None
    if root is not None:
        tags = RECORD_TAGS.get(_local_name(root))
        if tags is None:
            raise ParseError(
                f"{filename}: not PubMed XML (root element <{root}>, "
                "expected <PubmedArticleSet> or <MedlineCitationSet>)"
            )
    yield from _iter_events(_Replay(head, source), filename, tags)


def _iter_events(source: Any, filename: str, tags: tuple[str, ...] | None) -> Iterator[Record]:
    if tags is None:  # no markup where the root should be: libxml2 will say what is wrong
        tags = RECORD_TAGS["PubmedArticleSet"]
    events = etree.iterparse(source, events=("end",), tag=tags, **SAFE_PARSER_OPTIONS)
    try:
        for _, elem in events:
            if elem.tag == "DeleteCitation":
                for pmid in elem:
                    text = pmid.text
                    if pmid.tag == "PMID" and text and text.strip():
                        yield Deletion(text.strip())
            else:
                try:
                    paper = parse_article(elem)
                except Exception as exc:  # one bad record never stops a file
                    yield RecordError(filename, _find_pmid(elem), elem.sourceline, _message(exc))
                else:
                    yield paper
            # Free the record and any siblings before it: flat memory on any file size.
            elem.clear(keep_tail=True)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{filename}: not well-formed XML ({_one_line(str(exc))})") from exc
    except (EOFError, OSError, zlib.error) as exc:
        raise ParseError(f"{filename}: {_describe_io_error(exc)}") from exc
    root = events.root
    if root is not None and _local_name(str(root.tag)) not in RECORD_TAGS:
        raise ParseError(f"{filename}: not PubMed XML (root element <{root.tag!s}>)")


def _sniff_root(source: Any, head: bytes) -> tuple[bytes, str | None]:
    """Read until the root element's name is visible; return the bytes read and the name.

    Knowing the root before parsing picks the record tags (a ``MedlineCitation`` is a record in
    a ``MedlineCitationSet`` but only part of one in a ``PubmedArticleSet``) and rejects a
    well-formed non-PubMed file before libxml2 builds its whole tree in memory.
    """
    while True:
        body = head[3:] if head.startswith(_BOM) else head
        prolog = _PROLOG.match(body)
        end = prolog.end() if prolog else 0
        found = _ROOT_TAG.match(body, end)
        if found:
            return head, found.group(1).decode("ascii")
        if end < len(body) and body[end:end + 1] != b"<":
            return head, None  # not markup at all: libxml2 will say so
        if len(head) >= _SNIFF_LIMIT:
            raise ValueError("no root element in the first MiB")
        chunk = source.read(_SNIFF_CHUNK)
        if not chunk:
            return head, None
        head += chunk


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _find_pmid(elem: Any) -> str | None:
    """Best-effort PMID of a record that failed to parse, for the error report."""
    try:
        pmid = elem.find(".//PMID")
    except Exception:
        return None
    text = pmid.text.strip() if pmid is not None and pmid.text else ""
    return text or None


def _message(exc: Exception) -> str:
    text = _one_line(str(exc))
    if getattr(exc, "message", None) is not None:  # our own errors already read as sentences
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _describe_io_error(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return f"truncated gzip file ({_one_line(str(exc))})"
    if isinstance(exc, zlib.error | gzip.BadGzipFile):
        return f"corrupt gzip data ({_one_line(str(exc))})"
    return f"read error ({_one_line(str(exc))})"


_LXML_SOURCE = re.compile(r"\s*\(<string>, line \d+\)$")


def _one_line(text: str) -> str:
    return _LXML_SOURCE.sub("", " ".join(text.split()))


def _read_fully(stream: Any, size: int) -> bytes:
    """``size`` bytes or fewer at end of stream (a raw socket may return short reads)."""
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


class _Replay:
    """A read-only stream that first returns ``head`` and then the rest of ``rest``.

    Lets us sniff the gzip magic and the root element of a non-seekable stream.
    """

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        head = self._head
        if not head:
            return self._rest.read(size)
        if size is None or size < 0:
            self._head = b""
            return head + self._rest.read()
        self._head = head[size:]
        return head[:size]
