"""Library rules on both backends: one reaction per paper, the picker's set semantics."""

from __future__ import annotations

import pytest

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.errors import InvalidInput, NotFound
from litfeed.service import accounts, library
from litfeed.store import Store


@pytest.fixture
def uid(settings: Settings, store: Store) -> int:
    add_papers(store, [make_paper("1"), make_paper("2", published="2024-01")])
    return accounts.register(store, fast(settings), email="l@example.org",
                             password="a long password").id


def test_one_reaction_per_paper(store: Store, uid: int) -> None:
    library.react(store, uid, "1", "like")
    reaction = library.react(store, uid, "1", "dislike", "already_read")
    assert reaction is not None and (reaction.value, reaction.reason) == ("dislike",
                                                                          "already_read")
    found = library.find_reaction(store, uid, "1")
    assert found is not None and found.value == "dislike"
    assert library.react(store, uid, "1", "none") is None
    assert library.find_reaction(store, uid, "1") is None
    with pytest.raises(InvalidInput):
        library.react(store, uid, "1", "meh")
    with pytest.raises(NotFound):
        library.react(store, uid, "404", "like")


def test_picker_sets_exactly_the_ticked_collections(store: Store, uid: int) -> None:
    names = [c.name for c in library.set_collections(store, uid, "1", ["Saved", "Teaching"])]
    assert names == ["Saved", "Teaching"]
    library.set_note(store, uid, "1", "keep")
    names = [c.name for c in library.set_collections(store, uid, "1", ["Teaching", "New one"])]
    assert names == ["Teaching", "New one"]
    assert library.saved_in(store, uid, "1") == ["Teaching", "New one"]
    assert library.list_saved(store, uid)[0].note == "keep"  # the note follows the paper
    assert library.set_collections(store, uid, "1", []) == []
    assert [c.name for c in library.list_collections(store, uid)] == [
        "Saved", "Teaching", "New one"]  # collections themselves stay


def test_card_states_for_a_list(store: Store, uid: int) -> None:
    library.react(store, uid, "1", "like")
    library.save(store, uid, "2", "Later")
    states = library.card_states(store, uid, ["1", "2"])
    assert states["1"].reaction is not None and states["1"].saved_in == ()
    assert states["2"].reaction is None and states["2"].saved_in == ("Later",)
