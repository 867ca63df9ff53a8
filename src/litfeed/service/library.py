"""A reader's library: reactions (like / dislike with a reason), collections and saved papers.

Every function is scoped to one ``user_id``; asking about another reader's collection answers
NotFound, exactly as for one that does not exist. Liking and disliking are one value per paper,
so they are mutually exclusive by construction. A saved paper has one note, shared by every
collection it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from litfeed.errors import Conflict, InvalidInput, NotFound
from litfeed.models import (
    DISLIKE_REASONS,
    Collection,
    Paper,
    Reaction,
    ReactionValue,
    SavedPaper,
    SortSaved,
)
from litfeed.service.papers import check_pmid
from litfeed.service.text import plain_text
from litfeed.store import Store
from litfeed.store import library as store_library
from litfeed.store import papers as store_papers
from litfeed.store.clock import now as utc_now

DEFAULT_COLLECTION = "Saved"
MAX_COLLECTION_NAME = 200
MAX_NOTE = 10_000
REACTION_VALUES = ("like", "dislike")


def _paper_must_exist(store: Store, pmid: str) -> None:
    with store.read() as conn:
        if not store_papers.paper_exists(conn, pmid):
            raise NotFound(f"paper {pmid} is not in the store")


def clean_collection_name(name: str | None) -> str:
    """:raise InvalidInput: empty, too long, or containing control characters."""
    cleaned = " ".join(plain_text(name, "a collection name").split())
    if not cleaned:
        raise InvalidInput("a collection needs a name")
    if len(cleaned) > MAX_COLLECTION_NAME:
        raise InvalidInput(f"a collection name has at most {MAX_COLLECTION_NAME} characters")
    return cleaned


# --- reactions -----------------------------------------------------------------------------------

def react(store: Store, user_id: int, pmid: str, value: str | None,
          reason: str | None = None) -> Reaction | None:
    """Set the reader's reaction to ``like`` or ``dislike`` (replacing the other one), or clear
    it with ``None``/``"none"``. A reason is kept only with a dislike.

    :raise NotFound: unknown PMID. :raise InvalidInput: unknown value or reason.
    """
    pmid = check_pmid(pmid)
    if value in (None, "", "none"):
        clear_reaction(store, user_id, pmid)
        return None
    if value not in REACTION_VALUES:
        raise InvalidInput(f"reaction {value!r} is not one of like, dislike, none")
    reason = (reason or "").strip() or None
    if reason is not None and reason not in DISLIKE_REASONS:
        raise InvalidInput(f"reason {reason!r} is not one of {', '.join(DISLIKE_REASONS)}")
    chosen: ReactionValue = "like" if value == "like" else "dislike"
    if chosen == "like":
        reason = None
    at = utc_now()
    with store.transaction() as conn:
        if not store_papers.paper_exists(conn, pmid):
            raise NotFound(f"paper {pmid} is not in the store")
        store_library.set_reaction(conn, user_id=user_id, pmid=pmid, value=chosen,
                                   reason=reason, now=at)
    return Reaction(pmid=pmid, value=chosen, reason=reason, created_at=at)


def clear_reaction(store: Store, user_id: int, pmid: str) -> None:
    """Remove the reader's reaction (a no-op when there is none)."""
    with store.transaction() as conn:
        store_library.delete_reaction(conn, user_id=user_id, pmid=check_pmid(pmid))


def find_reaction(store: Store, user_id: int, pmid: str) -> Reaction | None:
    with store.read() as conn:
        return store_library.find_reaction(conn, user_id=user_id, pmid=check_pmid(pmid))


def reactions_for(store: Store, user_id: int, pmids: list[str]) -> dict[str, Reaction]:
    with store.read() as conn:
        return store_library.reactions_for(conn, user_id=user_id, pmids=pmids)


@dataclass(frozen=True)
class PaperState:
    """Everything personal the paper page shows about one paper, read in one go."""

    reaction: Reaction | None
    saved_in: list[Collection]
    collections: list[Collection]
    note: str | None

    @property
    def saved_names(self) -> list[str]:
        return [c.name for c in self.saved_in]


def _state(conn: Connection, user_id: int, pmid: str) -> PaperState:
    reaction = store_library.find_reaction(conn, user_id=user_id, pmid=pmid)
    where = store_library.paper_in_collections(conn, user_id=user_id, pmid=pmid)
    return PaperState(reaction=reaction, saved_in=where.holding, collections=where.collections,
                      note=where.note)


def paper_state(store: Store, user_id: int, pmid: str) -> PaperState:
    pmid = check_pmid(pmid)
    with store.read() as conn:
        return _state(conn, user_id, pmid)


def read_paper(store: Store, pmid: str, user_id: int | None) -> tuple[Paper, PaperState | None]:
    """The paper and, for a signed-in reader, what they did with it: one connection, three
    queries (the paper page's whole read).

    :raise NotFound: unknown PMID.
    """
    pmid = check_pmid(pmid)
    with store.read() as conn:
        paper = store_papers.find_paper(conn, pmid)
        if paper is None:
            raise NotFound(f"paper {pmid} is not in the store")
        return paper, (_state(conn, user_id, pmid) if user_id is not None else None)


@dataclass(frozen=True)
class CardState:
    """What a paper card in a list shows about the reader's own actions."""

    reaction: Reaction | None
    saved_in: tuple[str, ...]


def card_states(store: Store, user_id: int, pmids: list[str]) -> dict[str, CardState]:
    """Reaction and collections for each of ``pmids`` (two queries for the whole list)."""
    with store.read() as conn:
        reactions = store_library.reactions_for(conn, user_id=user_id, pmids=pmids)
        items = store_library.items_for(conn, user_id=user_id, pmids=pmids)
    saved: dict[str, list[str]] = {}
    for item in items:
        saved.setdefault(item.pmid, []).append(item.collection)
    return {p: CardState(reaction=reactions.get(p), saved_in=tuple(saved.get(p, ())))
            for p in pmids}


# --- collections ---------------------------------------------------------------------------------

def list_collections(store: Store, user_id: int) -> list[Collection]:
    """The reader's collections, oldest first, each with how many papers it holds."""
    with store.read() as conn:
        return store_library.list_collections(conn, user_id)


def get_collection(store: Store, user_id: int, collection_id: int) -> Collection:
    """:raise NotFound: no such collection for this reader."""
    with store.read() as conn:
        found = store_library.find_collection(conn, user_id=user_id, collection_id=collection_id)
    if found is None:
        raise NotFound(f"no collection {collection_id}")
    return found


def get_collection_by_name(store: Store, user_id: int, name: str) -> Collection:
    """:raise NotFound: the reader has no collection called ``name``."""
    cleaned = clean_collection_name(name)
    with store.read() as conn:
        found = store_library.find_collection_by_name(conn, user_id=user_id, name=cleaned)
    if found is None:
        raise NotFound(f"no collection called {cleaned!r}")
    return found


def create_collection(store: Store, user_id: int, name: str) -> Collection:
    """:raise Conflict: the reader already has a collection with that name."""
    cleaned = clean_collection_name(name)
    try:
        with store.transaction() as conn:
            if store_library.find_collection_by_name(conn, user_id=user_id, name=cleaned):
                raise Conflict(f"you already have a collection called {cleaned!r}")
            return store_library.ensure_collection(conn, user_id=user_id, name=cleaned,
                                                   now=utc_now())
    except IntegrityError as exc:
        raise Conflict(f"you already have a collection called {cleaned!r}") from exc


def rename_collection(store: Store, user_id: int, collection_id: int, name: str) -> Collection:
    """:raise NotFound: no such collection. :raise Conflict: the new name is taken."""
    cleaned = clean_collection_name(name)
    try:
        with store.transaction() as conn:
            current = store_library.find_collection(conn, user_id=user_id,
                                                    collection_id=collection_id)
            if current is None:
                raise NotFound(f"no collection {collection_id}")
            other = store_library.find_collection_by_name(conn, user_id=user_id, name=cleaned)
            if other is not None and other.id != collection_id:
                raise Conflict(f"you already have a collection called {cleaned!r}")
            store_library.rename_collection(conn, user_id=user_id, collection_id=collection_id,
                                            name=cleaned)
    except IntegrityError as exc:
        raise Conflict(f"you already have a collection called {cleaned!r}") from exc
    return Collection(id=collection_id, name=cleaned, created_at=current.created_at)


def delete_collection(store: Store, user_id: int, collection_id: int) -> None:
    """Delete a collection and its items (the papers stay in the reader's other collections).

    :raise NotFound: no such collection.
    """
    with store.transaction() as conn:
        if not store_library.delete_collection(conn, user_id=user_id,
                                               collection_id=collection_id):
            raise NotFound(f"no collection {collection_id}")


# --- saving --------------------------------------------------------------------------------------

def _clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    cleaned = plain_text(note, "a note").strip()
    if len(cleaned) > MAX_NOTE:
        raise InvalidInput(f"a note has at most {MAX_NOTE} characters")
    return cleaned or None


def saved_in(store: Store, user_id: int, pmid: str) -> list[str]:
    """Names of the reader's collections that hold ``pmid``."""
    pmid = check_pmid(pmid)
    with store.read() as conn:
        return [c.name for c in store_library.collections_with(conn, user_id=user_id, pmid=pmid)]


def save(store: Store, user_id: int, pmid: str, collection: str | None = None,
         note: str | None = None) -> list[str]:
    """Save ``pmid`` into ``collection`` (default "Saved", created on first use); a given
    ``note`` replaces the paper's note. Returns every collection now holding the paper.

    :raise NotFound: unknown PMID.
    """
    pmid = check_pmid(pmid)
    name = clean_collection_name(collection or DEFAULT_COLLECTION)
    new_note = _clean_note(note)
    _paper_must_exist(store, pmid)
    with store.transaction() as conn:
        target = store_library.ensure_collection(conn, user_id=user_id, name=name,
                                                 now=utc_now())
        existing = store_library.find_note(conn, user_id=user_id, pmid=pmid)
        store_library.add_item(conn, collection_id=target.id, pmid=pmid, note=existing,
                               now=utc_now())
        if note is not None:
            store_library.set_note(conn, user_id=user_id, pmid=pmid, note=new_note)
        return [c.name for c in store_library.collections_with(conn, user_id=user_id, pmid=pmid)]


def unsave(store: Store, user_id: int, pmid: str, collection: str | None = DEFAULT_COLLECTION
           ) -> list[str]:
    """Remove ``pmid`` from ``collection`` (from every collection when None). Returns the
    collections still holding it.

    :raise NotFound: the reader has no collection of that name.
    """
    pmid = check_pmid(pmid)
    with store.transaction() as conn:
        if collection is None:
            store_library.remove_everywhere(conn, user_id=user_id, pmid=pmid)
        else:
            name = clean_collection_name(collection)
            found = store_library.find_collection_by_name(conn, user_id=user_id, name=name)
            if found is None:
                raise NotFound(f"no collection called {name!r}")
            store_library.remove_item(conn, collection_id=found.id, pmid=pmid)
        return [c.name for c in store_library.collections_with(conn, user_id=user_id, pmid=pmid)]


def set_collections(store: Store, user_id: int, pmid: str, names: list[str]
                    ) -> list[Collection]:
    """Make ``pmid`` sit in exactly the collections called ``names`` (created when missing):
    what the collection picker submits. Returns the collections now holding it.

    :raise NotFound: unknown PMID.
    """
    pmid = check_pmid(pmid)
    wanted_names = list(dict.fromkeys(clean_collection_name(n) for n in names if n.strip()))
    _paper_must_exist(store, pmid)
    at = utc_now()
    with store.transaction() as conn:
        wanted = {store_library.ensure_collection(conn, user_id=user_id, name=n, now=at).id
                  for n in wanted_names}
        note = store_library.find_note(conn, user_id=user_id, pmid=pmid)
        current = {c.id for c in store_library.collections_with(conn, user_id=user_id,
                                                                 pmid=pmid)}
        for cid in current - wanted:
            store_library.remove_item(conn, collection_id=cid, pmid=pmid)
        for cid in wanted - current:
            store_library.add_item(conn, collection_id=cid, pmid=pmid, note=note, now=at)
        return store_library.collections_with(conn, user_id=user_id, pmid=pmid)


def set_note(store: Store, user_id: int, pmid: str, note: str | None) -> str | None:
    """Set (or with an empty text, clear) the note of a saved paper.

    :raise NotFound: the reader has not saved this paper.
    """
    cleaned = _clean_note(note)
    with store.transaction() as conn:
        if store_library.set_note(conn, user_id=user_id, pmid=check_pmid(pmid),
                                  note=cleaned) == 0:
            raise NotFound(f"paper {pmid} is not in your saved papers")
    return cleaned


def list_saved(store: Store, user_id: int, *, collection_id: int | None = None,
               sort: SortSaved = "saved") -> list[SavedPaper]:
    """The reader's saved papers, each once: newest saved first, or newest published first.

    :raise NotFound: ``collection_id`` is not one of the reader's collections.
    """
    if sort not in ("saved", "published"):
        raise InvalidInput(f"sort {sort!r} is not one of saved, published")
    with store.read() as conn:
        if collection_id is not None and store_library.find_collection(
                conn, user_id=user_id, collection_id=collection_id) is None:
            raise NotFound(f"no collection {collection_id}")
        rows = store_library.list_items(conn, user_id=user_id, collection_id=collection_id)
        pmids = list(dict.fromkeys(r.pmid for r in rows))
        everywhere = store_library.items_for(conn, user_id=user_id,
                                                              pmids=pmids)
        papers = store_papers.get_papers(conn, pmids)
    latest: dict[str, datetime] = {}
    notes: dict[str, str | None] = {}
    for row in rows:
        latest.setdefault(row.pmid, row.saved_at)
    names: dict[str, list[str]] = {p: [] for p in pmids}
    for row in everywhere:
        names[row.pmid].append(row.collection)
        if row.note and not notes.get(row.pmid):
            notes[row.pmid] = row.note
    items = [SavedPaper(pmid=p, saved_at=latest[p], collections=tuple(names[p]),
                        note=notes.get(p), paper=papers.get(p)) for p in pmids]
    if sort == "published":
        # undated papers last; ties by date saved (the list is already newest saved first)
        items.sort(key=lambda it: (it.paper.published or "") if it.paper else "",
                   reverse=True)
    return items
