"""Plain, frozen dataclasses shared by every layer.

Domain code (parsing, ranking, formats, link resolution) works on these and never on database
rows or HTTP requests. ``Paper.to_json`` is the paper JSON of the interface contract.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

ReactionValue = Literal["like", "dislike"]
#: why a reader disliked a paper (optional); the feed may learn from it
DISLIKE_REASONS: dict[str, str] = {
    "off_topic": "Off topic",
    "already_read": "Already read",
    "weak_study": "Weak study",
}
SortSaved = Literal["saved", "published"]


@dataclass(frozen=True, slots=True)
class Author:
    """One ``<Author>``: a person (last/fore/initials) or a collective (``collective``)."""

    last: str | None = None
    fore: str | None = None
    initials: str | None = None
    suffix: str | None = None
    collective: str | None = None
    affiliations: tuple[str, ...] = ()
    orcid: str | None = None

    @property
    def display_name(self) -> str:
        if self.collective:
            return self.collective
        parts = [p for p in (self.fore or self.initials, self.last, self.suffix) if p]
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "last": self.last,
            "fore": self.fore,
            "initials": self.initials,
            "affiliations": list(self.affiliations),
        }
        if self.suffix:
            out["suffix"] = self.suffix
        if self.collective:
            out["collective"] = self.collective
        if self.orcid:
            out["orcid"] = self.orcid
        return out


@dataclass(frozen=True, slots=True)
class Journal:
    title: str | None = None
    iso_abbrev: str | None = None
    issn: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    nlm_id: str | None = None
    medline_ta: str | None = None
    #: books only (``PubmedBookArticle``): the publisher's name; the book title is ``title``
    publisher: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AbstractSection:
    """One ``<AbstractText>``; ``label`` is None for an unlabeled abstract."""

    label: str | None
    text: str
    html: str
    nlm_category: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "text": self.text, "html": self.html}


@dataclass(frozen=True, slots=True)
class MeshTerm:
    descriptor: str
    major: bool = False
    qualifiers: tuple[str, ...] = ()
    ui: str | None = None
    #: qualifier names that are themselves marked major ("Antidepressive Agents/therapeutic use*")
    major_qualifiers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "descriptor": self.descriptor,
            "major": self.major,
            "qualifiers": list(self.qualifiers),
            "ui": self.ui,
        }


@dataclass(frozen=True, slots=True)
class Paper:
    """A PubMed citation as litfeed stores and serves it.

    ``title`` and section ``text`` are plain text; ``title_html`` and section ``html`` keep the
    record's inline markup, already sanitised. ``version`` is the PMID's ``Version`` attribute;
    a higher version replaces a lower one at ingest.
    """

    pmid: str
    title: str
    title_html: str = ""
    version: int = 1
    doi: str | None = None
    pmcid: str | None = None
    abstract: tuple[AbstractSection, ...] = ()
    authors: tuple[Author, ...] = ()
    journal: Journal = field(default_factory=Journal)
    published: str | None = None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    year: int | None = None
    article_date: str | None = None  # electronic publication date, "YYYY-MM-DD"
    publication_types: tuple[str, ...] = ()
    mesh: tuple[MeshTerm, ...] = ()
    keywords: tuple[str, ...] = ()
    language: str | None = None
    retracted: bool = False
    is_book: bool = False
    status: str | None = None  # MedlineCitation/@Status
    other_ids: tuple[tuple[str, str], ...] = ()  # (IdType, value) pairs, e.g. ("pii", "S0…")

    @property
    def abstract_text(self) -> str:
        """The abstract as one plain string, sections joined; what search and embeddings read."""
        return "\n".join(
            f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract
        )

    @property
    def has_abstract(self) -> bool:
        return any(s.text for s in self.abstract)

    def to_json(self) -> dict[str, Any]:
        return {
            "pmid": self.pmid,
            "doi": self.doi,
            "pmcid": self.pmcid,
            "title": self.title,
            "title_html": self.title_html,
            "abstract": [s.to_json() for s in self.abstract],
            "authors": [a.to_json() for a in self.authors],
            "journal": self.journal.to_json(),
            "published": self.published,
            "year": self.year,
            "article_date": self.article_date,
            "publication_types": list(self.publication_types),
            "mesh": [m.to_json() for m in self.mesh],
            "keywords": list(self.keywords),
            "language": self.language,
            "retracted": self.retracted,
            "is_book": self.is_book,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Paper:
        """Inverse of :meth:`to_json`; the store keeps this JSON as the paper's document."""
        return cls(
            pmid=str(data["pmid"]),
            title=data.get("title") or "",
            title_html=data.get("title_html") or "",
            version=int(data.get("version") or 1),
            doi=data.get("doi"),
            pmcid=data.get("pmcid"),
            abstract=tuple(
                AbstractSection(label=s.get("label"), text=s.get("text") or "",
                                html=s.get("html") or "")
                for s in data.get("abstract") or ()
            ),
            authors=tuple(
                Author(
                    last=a.get("last"),
                    fore=a.get("fore"),
                    initials=a.get("initials"),
                    suffix=a.get("suffix"),
                    collective=a.get("collective"),
                    affiliations=tuple(a.get("affiliations") or ()),
                    orcid=a.get("orcid"),
                )
                for a in data.get("authors") or ()
            ),
            journal=Journal(**{k: v for k, v in (data.get("journal") or {}).items()
                               if k in Journal.__dataclass_fields__}),
            published=data.get("published"),
            year=data.get("year"),
            article_date=data.get("article_date"),
            publication_types=tuple(data.get("publication_types") or ()),
            mesh=tuple(
                MeshTerm(descriptor=m["descriptor"], major=bool(m.get("major")),
                         qualifiers=tuple(m.get("qualifiers") or ()), ui=m.get("ui"))
                for m in data.get("mesh") or ()
            ),
            keywords=tuple(data.get("keywords") or ()),
            language=data.get("language"),
            retracted=bool(data.get("retracted")),
            is_book=bool(data.get("is_book")),
        )


    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Paper:
        """Rebuild a Paper from its storage document: every dataclass field, as orjson writes a
        dataclass (the lossless form the store keeps; ``to_json`` is the public shape)."""
        fields = dict(doc)
        fields["abstract"] = tuple(AbstractSection(**s) for s in doc.get("abstract") or ())
        fields["authors"] = tuple(
            Author(**{**a, "affiliations": tuple(a.get("affiliations") or ())})
            for a in doc.get("authors") or ())
        fields["journal"] = Journal(**(doc.get("journal") or {}))
        fields["mesh"] = tuple(
            MeshTerm(**{**m, "qualifiers": tuple(m.get("qualifiers") or ()),
                        "major_qualifiers": tuple(m.get("major_qualifiers") or ())})
            for m in doc.get("mesh") or ())
        for name in ("publication_types", "keywords"):
            fields[name] = tuple(doc.get(name) or ())
        fields["other_ids"] = tuple(tuple(pair) for pair in doc.get("other_ids") or ())
        return cls(**fields)

@dataclass(frozen=True, slots=True)
class Deletion:
    """A ``<DeleteCitation>`` entry: remove this PMID from the store."""

    pmid: str


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record that could not be parsed; reported, skipped, never fatal for the file."""

    file: str
    pmid: str | None
    line: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "pmid": self.pmid, "line": self.line, "message": self.message}


@dataclass(frozen=True, slots=True)
class Scored:
    """What every ranker returns, best first: an id, a score, and why it ranked."""

    pmid: str
    score: float
    why: tuple[str, ...] = ()


# --- people and their libraries -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class User:
    """An account. The password hash never leaves the store layer's account functions."""

    id: int
    email: str
    name: str | None = None
    is_admin: bool = False
    created_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name, "is_admin": self.is_admin}


@dataclass(frozen=True, slots=True)
class Reaction:
    """A reader's like or dislike of one paper; a dislike may say why (``DISLIKE_REASONS``)."""

    pmid: str
    value: ReactionValue
    reason: str | None = None
    created_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"pmid": self.pmid, "value": self.value, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Collection:
    """A named list of saved papers belonging to one reader; ``count`` is how many it holds."""

    id: int
    name: str
    count: int = 0
    created_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "count": self.count}


@dataclass(frozen=True, slots=True)
class SavedPaper:
    """One paper in a reader's library: when it was last saved, where, and the reader's note.

    ``paper`` is None when the PMID has since been deleted from the store (the item is kept so
    the reader does not silently lose it).
    """

    pmid: str
    saved_at: datetime
    collections: tuple[str, ...]
    note: str | None = None
    paper: Paper | None = None

    def to_json(self) -> dict[str, Any]:
        p = self.paper
        return {
            "pmid": self.pmid,
            "title": p.title if p else None,
            "journal": (p.journal.iso_abbrev or p.journal.title) if p else None,
            "year": p.year if p else None,
            "published": p.published if p else None,
            "saved_at": self.saved_at.isoformat(),
            "collections": list(self.collections),
            "note": self.note,
        }


# --- CME: point-of-care learning cycles ----------------------------------------------------------

CmeStatus = Literal["draft", "completed", "expired"]
CmeApplication = Literal["changed", "confirmed", "no_change"]


@dataclass(frozen=True, slots=True)
class CmeActivity:
    """One documented learning cycle (a search, the papers read, what it meant for practice).

    A ``draft`` may lack anything and ``expires_at`` when it is not completed in time; a
    ``completed`` one has its ``credits`` fixed at completion (``credit_type``, and the
    ``credit_year`` it counts for in the reader's time zone) and can be edited until
    ``edit_until``, after which it is locked.
    """

    id: int
    user_id: int
    status: CmeStatus
    question: str | None
    query: str | None
    sources: tuple[str, ...]
    application: CmeApplication | None
    application_text: str | None
    created_at: datetime
    updated_at: datetime
    credits: Decimal | None = None
    credit_type: str | None = None
    credit_year: int | None = None
    completed_at: datetime | None = None
    expires_at: datetime | None = None
    edit_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        """Completed and past its edit window (an expired draft is locked too)."""
        if self.status == "expired":
            return True
        return self.status == "completed" and (self.edit_until is None or now >= self.edit_until)

    def to_json(self, now: datetime) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id, "status": self.status, "question": self.question,
            "query": self.query, "sources": list(self.sources),
            "application": self.application, "application_text": self.application_text,
            "credits": float(self.credits) if self.credits is not None else None,
            "credit_type": self.credit_type, "credit_year": self.credit_year,
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
            "completed_at": iso(self.completed_at), "expires_at": iso(self.expires_at),
            "editable_until": iso(self.edit_until), "locked": self.locked(now),
        }
