"""Subject terms: author keywords and MeSH headings, as formats list them."""

from __future__ import annotations

from litfeed.models import MeshTerm, Paper


def subjects(paper: Paper) -> list[str]:
    """Author keywords, then MeSH descriptors, without repeats: what managers show as tags."""
    seen: dict[str, None] = {}
    for word in (*paper.keywords, *(m.descriptor for m in paper.mesh)):
        if word:
            seen.setdefault(word, None)
    return list(seen)


def mesh_heading(term: MeshTerm) -> str:
    """MEDLINE's spelling: ``*Depression/drug therapy/*psychology`` (``*`` marks major)."""
    parts = [("*" if term.major else "") + term.descriptor]
    for qualifier in term.qualifiers:
        parts.append(("*" if qualifier in term.major_qualifiers else "") + qualifier)
    return "/".join(parts)
