"""What every importer returns: the entries it could read and the problems it could not.

Importers never raise on a bad entry: a partial file imports what is valid and reports the
rest, each problem naming the entry and the 1-based line where it starts, so the user can open
the file and fix it. Only a file that is not the format at all raises ``ParseError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ImportedEntry:
    """One reference read from a file: just enough to find the paper it points at.

    ``source_line`` is the 1-based line where the entry starts; ``raw_type`` is the type the file
    gave it (``JOUR``, ``article``, ``Journal Article``, ``pmid``); ``label`` is the file's own
    name for it (BibTeX key, RIS ``ID``) when it has one.
    """

    pmid: str | None
    doi: str | None
    title: str | None
    year: int | None
    source_line: int
    raw_type: str | None = None
    label: str | None = None
    first_author: str | None = None
    journal: str | None = None

    def describe(self) -> str:
        """A one-line description a user can recognise the entry by (used for unmatched ones)."""
        ids = ", ".join(
            x for x in (f"PMID {self.pmid}" if self.pmid else "",
                        f"doi:{self.doi}" if self.doi else "") if x
        )
        if not self.title:  # a line of a PMID/DOI list
            return f"line {self.source_line}: {ids}"
        who = f"{self.first_author}: " if self.first_author else ""
        title = self.title if len(self.title) <= 90 else self.title[:87].rstrip() + "..."
        year = f" ({self.year})" if self.year else ""
        ids = f" [{ids}]" if ids else ""
        name = f"{self.label}: " if self.label else ""
        return f"line {self.source_line}: {name}{who}{title}{year}{ids}"

    def to_json(self) -> dict[str, object]:
        return {
            "pmid": self.pmid, "doi": self.doi, "title": self.title, "year": self.year,
            "line": self.source_line, "type": self.raw_type, "label": self.label,
            "first_author": self.first_author, "journal": self.journal,
            "description": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """An entry (or a stretch of the file) that was not imported, and why.

    ``entry`` names it the way the user will find it in the file: the BibTeX key, the RIS
    entry's number and title, or the offending text of a PMID list.
    """

    entry: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.entry}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"entry": self.entry, "line": self.line, "message": self.message}


@dataclass(slots=True)
class ImportResult:
    """The outcome of reading one file: entries in file order, problems in file order."""

    format: str
    entries: list[ImportedEntry] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "format": self.format,
            "entries": [e.to_json() for e in self.entries],
            "problems": [p.to_json() for p in self.problems],
        }
