"""Full text with the store: the cache table, institutions, the reader's institution, and
Unpaywall through the store cache against a local server (both backends, never the network)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from fulltext_support import FakeClock, FakeUnpaywall

from factories import add_papers, make_paper
from litfeed.config import Settings
from litfeed.errors import Conflict, InvalidInput, NotFound
from litfeed.fulltext.institutions import Institution
from litfeed.models import User
from litfeed.service import accounts, institutions
from litfeed.service.links import LinkFinder, best_link, links_for
from litfeed.store import Store
from litfeed.store.cache import StoreCache

EXAMPLE = Institution(name="Example University", ezproxy_prefix="ezproxy.example.edu",
                      openurl_base="https://resolver.example.edu/openurl",
                      ill_url="https://example.illiad.oclc.org/illiad/illiad.dll/OpenURL",
                      email_domains=("example.edu",))


def reader(store: Store, email: str) -> User:
    return accounts.register(store, Settings(argon2_time_cost=1, argon2_memory_kib=1024),
                             email=email, password="a long password")


def kinds(data: dict[str, Any]) -> list[str]:
    return [link["kind"] for link in data["links"]]


# --- the cache table -----------------------------------------------------------------------------

def test_store_cache_keeps_values_until_they_expire(store: Store) -> None:
    clock = FakeClock(start=1_700_000_000.0)
    cache = StoreCache(store, clock=clock)
    assert cache.get("k") is None
    cache.put("k", "first", 60)
    cache.put("k", "second", 60)  # replaces
    assert cache.get("k") == "second"
    clock.advance(59)
    assert cache.get("k") == "second"
    clock.advance(1)
    assert cache.get("k") is None  # expired rows are never returned


def test_store_cache_purges_expired_rows_and_keeps_live_ones(store: Store) -> None:
    clock = FakeClock(start=1_700_000_000.0)
    cache = StoreCache(store, clock=clock, purge_every=3)
    cache.put("short", "x", 10)
    cache.put("long", "y", 1000)
    clock.advance(20)
    cache.put("third", "z", 10)  # the third write purges
    other = StoreCache(store, clock=lambda: 0.0)  # a clock where nothing has expired
    assert other.get("short") is None  # the row is gone, not just hidden
    assert other.get("long") == "y"
    assert cache.purge() == 0


def test_store_cache_namespaces_and_key_limit(store: Store) -> None:
    a, b = StoreCache(store, namespace="a:"), StoreCache(store, namespace="b:")
    a.put("k", "from a", 60)
    assert b.get("k") is None
    with pytest.raises(ValueError, match="at most 400"):
        a.put("k" * 400, "v", 60)


# --- institutions --------------------------------------------------------------------------------

def test_add_list_update_remove_institution(store: Store) -> None:
    saved = institutions.add_institution(store, replace(
        EXAMPLE, name="  Example   University ", email_domains=("@Example.EDU",)))
    assert saved.id is not None
    assert (saved.name, saved.email_domains) == ("Example University", ("example.edu",))
    assert institutions.list_institutions(store) == [saved]
    assert institutions.get_institution(store, "example university") == saved
    changed = institutions.update_institution(store, saved.id, replace(saved, ill_url=None))
    assert changed == replace(saved, ill_url=None)
    assert institutions.get_institution(store, saved.id) == changed
    assert institutions.remove_institution(store, str(saved.id)).name == "Example University"
    assert institutions.list_institutions(store) == []
    with pytest.raises(NotFound):
        institutions.remove_institution(store, "Example University")


@pytest.mark.parametrize(("change", "message"), [
    ({"ezproxy_prefix": "https://ezproxy.example.edu/"}, "must end with /login?url="),
    ({"ezproxy_prefix": "javascript:alert(1)//login?url="}, "EZproxy prefix"),
    ({"openurl_base": "javascript:alert(1)"}, "OpenURL resolver base URL"),
    ({"ill_url": "ftp://example.edu/ill"}, "interlibrary-loan URL"),
    ({"email_domains": ("not a domain",)}, "email domain"),
    ({"name": " "}, "name is empty"),
    ({"name": "x" * 201}, "at most 200"),
])
def test_invalid_institutions_are_refused_before_storing(
        store: Store, change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        institutions.add_institution(store, replace(EXAMPLE, **change))
    assert institutions.list_institutions(store) == []


def test_institution_names_are_unique_in_any_case(store: Store) -> None:
    first = institutions.add_institution(store, EXAMPLE)
    with pytest.raises(Conflict):
        institutions.add_institution(store, replace(EXAMPLE, name="EXAMPLE university"))
    other = institutions.add_institution(store, replace(EXAMPLE, name="Other"))
    assert other.id is not None and first.id is not None
    with pytest.raises(Conflict):
        institutions.update_institution(store, other.id,
                                        replace(EXAMPLE, name="Example University"))
    with pytest.raises(NotFound):
        institutions.update_institution(store, 999, replace(EXAMPLE, name="Third"))


# --- the reader's institution --------------------------------------------------------------------

def test_reader_institution_from_email_choice_or_none(store: Store) -> None:
    example = institutions.add_institution(store, EXAMPLE)
    med = institutions.add_institution(store, Institution(
        name="Example Medicine", openurl_base="https://sfx.med.example.edu/sfx",
        email_domains=("med.example.edu",)))
    jane = reader(store, "jane@med.example.edu")
    bob = reader(store, "bob@elsewhere.org")

    found = institutions.reader_institution(store, jane)
    assert (found.institution, found.source, found.choice) == (med, "email", None)
    assert institutions.reader_institution(store, bob).source == "none"

    chosen = institutions.set_reader_institution(store, jane, "Example University")
    assert (chosen.institution, chosen.source, chosen.choice) == (example, "chosen", example.id)
    assert institutions.reader_institution(store, jane).institution == example

    opted_out = institutions.set_reader_institution(store, jane, "none")
    assert (opted_out.institution, opted_out.source) == (None, "none")

    assert institutions.set_reader_institution(store, jane, None).institution == med
    with pytest.raises(NotFound):
        institutions.set_reader_institution(store, jane, "No Such Library")


def test_a_removed_choice_falls_back_to_the_email_domain(store: Store) -> None:
    example = institutions.add_institution(store, EXAMPLE)
    other = institutions.add_institution(store, replace(EXAMPLE, name="Other", email_domains=()))
    jane = reader(store, "jane@example.edu")
    assert other.id is not None
    institutions.set_reader_institution(store, jane, other.id)
    institutions.remove_institution(store, other.id)
    assert institutions.reader_institution(store, jane).institution == example


# --- links ---------------------------------------------------------------------------------------

def test_links_offline_with_and_without_an_institution(store: Store, settings: Settings) -> None:
    add_papers(store, [make_paper("1", doi="10.1000/a", pmcid="PMC1"), make_paper("2")])
    institutions.add_institution(store, EXAMPLE)
    jane = reader(store, "jane@example.edu")
    assert kinds(links_for(store, settings, "1")) == ["pmc", "doi", "pubmed"]
    assert kinds(links_for(store, settings, "1", jane)) == ["pmc", "institution", "doi", "pubmed"]
    # no DOI: the library's OpenURL resolver instead of EZproxy, and ILL last
    no_doi = links_for(store, settings, "2", jane)
    assert kinds(no_doi) == ["institution", "pubmed", "institution"]
    assert no_doi["links"][0]["via"] == "openurl"
    assert no_doi["links"][0]["url"].startswith("https://resolver.example.edu/openurl?url_ver=")
    assert no_doi["institution"] == "Example University"
    with pytest.raises(NotFound):
        links_for(store, settings, "3")


def test_best_link_for_cards_never_goes_online() -> None:
    paper = make_paper("1", doi="10.1000/a")
    assert best_link(paper).url == "https://doi.org/10.1000/a"  # type: ignore[union-attr]
    assert best_link(paper, EXAMPLE).url == (  # type: ignore[union-attr]
        "https://doi-org.ezproxy.example.edu/10.1000/a")


@pytest.fixture
def online(settings: Settings, fake_unpaywall: FakeUnpaywall) -> Settings:
    return replace(settings, unpaywall_email="librarian@example.org",
                   unpaywall_url=fake_unpaywall.url)


def test_unpaywall_answers_are_cached_in_the_store(
        store: Store, online: Settings, fake_unpaywall: FakeUnpaywall) -> None:
    add_papers(store, [make_paper("1", doi="10.5555/litfeed.gold")])
    first = links_for(store, online, "1")
    assert len(fake_unpaywall.requests) == 1
    assert fake_unpaywall.requests[0]["query"]["email"] == ["librarian@example.org"]
    assert first["links"][0]["kind"] == "open_access"
    assert first["links"][0]["open_access"] is True
    assert first["links"][0]["license"] == "cc-by"
    # a new finder (another request, another process) is answered from the table
    again = links_for(store, online, "1")
    assert again == first
    assert len(fake_unpaywall.requests) == 1


def test_unknown_dois_are_cached_too(store: Store, online: Settings,
                                     fake_unpaywall: FakeUnpaywall) -> None:
    add_papers(store, [make_paper("1", doi="10.5555/litfeed.unknown")])
    assert kinds(links_for(store, online, "1")) == ["doi", "pubmed"]
    assert kinds(links_for(store, online, "1")) == ["doi", "pubmed"]
    assert len(fake_unpaywall.requests) == 1


@pytest.mark.parametrize("slug", ["error500", "ratelimited", "badjson"])
def test_unpaywall_failures_fall_back_to_offline_links(
        store: Store, online: Settings, fake_unpaywall: FakeUnpaywall, slug: str) -> None:
    add_papers(store, [make_paper("1", doi=f"10.5555/litfeed.{slug}", pmcid="PMC9")])
    assert kinds(links_for(store, online, "1")) == ["pmc", "doi", "pubmed"]
    links_for(store, online, "1")
    assert len(fake_unpaywall.requests) == 2  # failures are never cached


def test_without_unpaywall_email_nothing_is_asked(
        store: Store, settings: Settings, fake_unpaywall: FakeUnpaywall) -> None:
    add_papers(store, [make_paper("1", doi="10.5555/litfeed.gold")])
    assert kinds(links_for(store, replace(settings, unpaywall_url=fake_unpaywall.url), "1")) == [
        "doi", "pubmed"]
    assert fake_unpaywall.requests == []


def test_hostile_unpaywall_urls_never_come_out(
        store: Store, online: Settings, fake_unpaywall: FakeUnpaywall) -> None:
    add_papers(store, [make_paper("1", doi="10.5555/litfeed.hybrid")])
    found = links_for(store, online, "1")
    assert found["links"], found
    for link in found["links"]:
        assert link["url"].startswith(("https://", "http://")), link
    assert "javascript:" not in str(found) and "data:" not in str(found)


def test_one_finder_shares_its_client(store: Store, online: Settings,
                                      fake_unpaywall: FakeUnpaywall) -> None:
    add_papers(store, [make_paper("1", doi="10.5555/litfeed.gold"),
                       make_paper("2", doi="10.5555/litfeed.green")])
    clock = FakeClock()
    with LinkFinder(store, online, clock=clock, sleep=clock.sleep) as finder:
        assert finder.links_json("1")["links"][0]["open_access"] is True
        assert finder.links_json("2")["links"][0]["version"] == "accepted"
    assert clock.sleeps == [1.0]  # the second request waited for its slot: rate limited
