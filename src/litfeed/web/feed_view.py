"""What the feed controls on the pages show: which topics a card offers to mute, the names a
paper offers to follow, and whether the reader already mutes or follows them.

Pure functions of a Paper and the reader's settings (``FeedPrefs``), so the templates stay
declarative and the rules are testable. ``install`` makes them Jinja globals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from litfeed.config import Settings
from litfeed.models import Author, Paper, User
from litfeed.service import feed, feed_delivery
from litfeed.store import Store

MAX_MUTE_OPTIONS = 4
#: MeSH check tags: they describe who was studied, not what a paper is about
CHECK_TAGS = frozenset(t.lower() for t in (
    "Humans", "Animals", "Male", "Female", "Adult", "Aged", "Aged, 80 and over", "Middle Aged",
    "Young Adult", "Adolescent", "Child", "Child, Preschool", "Infant", "Infant, Newborn",
    "Mice", "Rats", "Pregnancy", "Retrospective Studies", "Prospective Studies",
    "Cross-Sectional Studies", "Cohort Studies", "Treatment Outcome", "Risk Factors"))


@dataclass(frozen=True)
class FeedPrefs:
    """The reader's follows and muted topics, lower-cased for look-ups."""

    muted: frozenset[str] = frozenset()
    follows: dict[str, frozenset[str]] = field(default_factory=dict)

    def is_muted(self, topic: str) -> bool:
        return " ".join(topic.split()).lower() in self.muted

    def is_followed(self, kind: str, name: str) -> bool:
        return " ".join(name.split()).lower() in self.follows.get(kind, frozenset())

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> FeedPrefs:
        prefs = feed.feed_settings(settings)
        return cls(muted=frozenset(t.lower() for t in prefs["muted_topics"]),
                   follows={k: frozenset(n.lower() for n in v)
                            for k, v in prefs["follows"].items()})


def because_topics(because: Sequence[str]) -> list[str]:
    """The topic labels of a feed item's ``because`` ("topic: Hypertension" → "Hypertension")."""
    return [b.split(":", 1)[1].strip() for b in because if b.startswith("topic:")]


def mute_options(paper: Paper, because: Sequence[str] = ()) -> list[str]:
    """Topics a card offers under "Not interested in…", best first: the MeSH descriptors the
    feed matched this paper on (its ``because`` topics), then its major MeSH topics, else its
    other descriptors (not check tags like "Humans"); a paper not indexed for MeSH yet offers
    its keywords that occur in its title (a muted topic hides titles containing it)."""
    descriptors = {m.descriptor.lower(): m.descriptor for m in paper.mesh}
    out = [descriptors[t.lower()] for t in because_topics(because) if t.lower() in descriptors]
    out += [m.descriptor for m in paper.mesh if m.major]
    if not out:
        out = [m.descriptor for m in paper.mesh if m.descriptor.lower() not in CHECK_TAGS]
    if not out:
        title = (paper.title or "").lower()
        out = [k for k in paper.keywords if k.strip() and k.lower() in title]
    return list(dict.fromkeys(out))[:MAX_MUTE_OPTIONS]


def topic_keys(paper: Paper) -> str:
    """The card's MeSH descriptors, lower-cased and "|"-joined: the page script hides every
    card matching a topic the moment it is muted, as the feed does on the next load."""
    return "|".join(m.descriptor.lower() for m in paper.mesh)


def journal_follow_name(paper: Paper) -> str | None:
    """The name the feed matches a followed journal on (ISO abbreviation, else full title)."""
    return paper.journal.iso_abbrev or paper.journal.title or None


def author_follow_name(author: Author) -> str | None:
    """"Last Initials", as the feed matches followed authors; None for a collective."""
    if author.collective or not author.last:
        return None
    return " ".join(p for p in (author.last, author.initials) if p)


def preferences(store: Store, settings: Settings, user: User) -> dict[str, Any]:
    """What the settings page's "Feed preferences" section shows."""
    stored = feed.get_settings(store, user.id)
    return {"settings": stored, "specialties": feed.list_specialties(),
            "atom_url": feed_delivery.feed_url(store, settings, user.id)}


def install(app: FastAPI) -> None:
    """Make the helpers Jinja globals (called once by ``create_app`` through pages_feed)."""
    store: Store = app.state.store
    settings: Settings = app.state.settings
    env = app.state.templates.env

    def feed_prefs(user: User | None) -> FeedPrefs:
        if user is None:
            return FeedPrefs()
        return FeedPrefs.from_settings(feed.get_settings(store, user.id))

    env.globals.update(
        feed_prefs=feed_prefs, mute_options=mute_options, topic_keys=topic_keys,
        journal_follow_name=journal_follow_name, author_follow_name=author_follow_name,
        feed_preferences=lambda user: preferences(store, settings, user))
