"""Which topics a card offers under "Not interested in…", and the names a paper offers to
follow (as the feed model matches them)."""

from __future__ import annotations

from dataclasses import replace

from factories import make_paper
from litfeed.models import Author, Journal, MeshTerm
from litfeed.web import feed_view
from litfeed.web.routes.pages_feed import with_param


def test_mute_options_prefer_what_the_feed_matched_then_major_topics() -> None:
    paper = replace(make_paper("1"), mesh=(
        MeshTerm("Humans"), MeshTerm("Depressive Disorder", major=True),
        MeshTerm("Antidepressive Agents"), MeshTerm("Psychotherapy", major=True)))
    assert feed_view.mute_options(paper) == ["Depressive Disorder", "Psychotherapy"]
    # a "because" topic (lower-cased by the model) comes first, in the record's spelling
    because = ["like: Some liked paper", "topic: antidepressive agents", "topic: Am J Psychiatry"]
    assert feed_view.mute_options(paper, because) == [
        "Antidepressive Agents", "Depressive Disorder", "Psychotherapy"]


def test_mute_options_without_major_topics_or_without_mesh() -> None:
    minor = replace(make_paper("2"), mesh=(MeshTerm("Humans"), MeshTerm("Female"),
                                           MeshTerm("Sleep Wake Disorders")))
    assert feed_view.mute_options(minor) == ["Sleep Wake Disorders"]  # never "Humans"
    fresh = replace(make_paper("3", title="Ketamine for treatment-resistant depression"),
                    mesh=(), keywords=("ketamine", "suicide", "Depression"))
    assert feed_view.mute_options(fresh) == ["ketamine", "Depression"]  # words in its title
    bare = replace(fresh, keywords=())
    assert feed_view.mute_options(bare) == []
    many = replace(make_paper("4"), mesh=tuple(MeshTerm(f"Topic {i}", major=True)
                                               for i in range(9)))
    assert len(feed_view.mute_options(many)) == feed_view.MAX_MUTE_OPTIONS


def test_follow_names_match_the_model_keys() -> None:
    paper = make_paper("5")
    assert feed_view.journal_follow_name(paper) == "Am J Psychiatry"
    assert feed_view.journal_follow_name(replace(paper, journal=Journal(title="Lancet"))) \
        == "Lancet"
    assert feed_view.journal_follow_name(replace(paper, journal=Journal())) is None
    assert feed_view.author_follow_name(Author(last="Ünal", fore="Ayşe", initials="A")) \
        == "Ünal A"
    assert feed_view.author_follow_name(Author(collective="The ABC Trial Group")) is None
    assert feed_view.topic_keys(paper) == "depressive disorder|humans"


def test_prefs_lookups_ignore_case_and_spacing() -> None:
    prefs = feed_view.FeedPrefs.from_settings(
        {"muted_topics": ["neoplasms"], "follows": {"journals": ["J Clin Oncol"]}})
    assert prefs.is_muted("Neoplasms") and prefs.is_muted(" NEOPLASMS ")
    assert prefs.is_followed("journals", "j  clin oncol")
    assert not prefs.is_followed("authors", "J Clin Oncol") and not prefs.is_muted("Humans")


def test_with_param_keeps_the_path_query_and_fragment() -> None:
    assert with_param("/", "muted", "Neoplasms") == "/?muted=Neoplasms"
    assert with_param("/?page=2&muted=x", "muted", "Heart Failure") \
        == "/?page=2&muted=Heart+Failure"
    assert with_param("/papers/1#mesh", "muted", "a&b") == "/papers/1?muted=a%26b#mesh"
