"""``litfeed links`` and ``litfeed institution``: the contract's JSON, readers with and without
an institution, and validation errors as exit code 2."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from factories import add_papers, make_paper
from litfeed.store import Store
from testkit import CliResult

FAST = {"LITFEED_ARGON2_TIME_COST": "1", "LITFEED_ARGON2_MEMORY_KIB": "1024",
        "UNPAYWALL_EMAIL": ""}
EZPROXY = "https://login.ezproxy.example.edu/login?url="
OPENURL = "https://example.alma.exlibrisgroup.com/view/uresolver/01EX_INST/openurl"


@pytest.fixture
def run(run_cli: Callable[..., CliResult], cli_env: dict[str, str]) -> Callable[..., CliResult]:
    def invoke(*args: str) -> CliResult:
        return run_cli(*args, env={**cli_env, **FAST})

    return invoke


@pytest.fixture
def papers(store: Store) -> None:
    add_papers(store, [
        make_paper("1", doi="10.1056/NEJMoa1", pmcid="PMC11"),  # DOI and PMCID
        make_paper("2", doi="10.1056/NEJMoa2"),  # DOI only
        make_paper("3"),  # neither
    ])


def links(run: Callable[..., CliResult], *args: str) -> list[dict[str, object]]:
    result = run("links", *args, "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["pmid"] == args[0]
    for link in data["links"]:
        assert {"kind", "url", "label", "open_access"} <= set(link)
        assert isinstance(link["open_access"], bool)
        assert str(link["url"]).startswith("https://")
    found: list[dict[str, object]] = data["links"]
    return found


def test_links_without_a_reader(run: Callable[..., CliResult], papers: None) -> None:
    both = links(run, "1")
    assert [(x["kind"], x["url"], x["open_access"]) for x in both] == [
        ("pmc", "https://pmc.ncbi.nlm.nih.gov/articles/PMC11/", True),
        ("doi", "https://doi.org/10.1056/NEJMoa1", False),
        ("pubmed", "https://pubmed.ncbi.nlm.nih.gov/1/", False)]
    assert [x["kind"] for x in links(run, "2")] == ["doi", "pubmed"]
    assert [x["kind"] for x in links(run, "3")] == ["pubmed"]


def test_links_through_the_readers_institution(run: Callable[..., CliResult],
                                               papers: None) -> None:
    added = run("institution", "add", "Example University", "--ezproxy", EZPROXY,
                "--openurl", OPENURL, "--email-domain", "example.edu", "--json")
    assert added.code == 0, added.stderr
    assert added.json()["name"] == "Example University"
    assert added.json()["email_domains"] == ["example.edu"]
    assert run("user", "add", "jane@med.example.edu").code == 0
    assert run("user", "add", "bob@elsewhere.org").code == 0

    jane = links(run, "2", "--user", "jane@med.example.edu")
    assert jane[0] == {"kind": "institution", "via": "ezproxy", "open_access": False,
                       "label": "Full text through Example University",
                       "url": EZPROXY + "https://doi.org/10.1056/NEJMoa2"}
    # no DOI to proxy: the library's OpenURL resolver, with the citation
    resolver = links(run, "3", "--user", "jane@med.example.edu")[0]
    assert resolver["via"] == "openurl"
    assert str(resolver["url"]).startswith(OPENURL + "?url_ver=Z39.88-2004")
    assert "rft_id=info%3Apmid%2F3" in str(resolver["url"])
    # a reader whose domain matches no institution gets no library link
    assert [x["kind"] for x in links(run, "2", "--user", "bob@elsewhere.org")] == [
        "doi", "pubmed"]


def test_links_errors(run: Callable[..., CliResult], papers: None) -> None:
    unknown = run("links", "999")
    assert unknown.code == 1 and "999" in unknown.stderr
    nobody = run("links", "1", "--user", "nobody@example.org")
    assert nobody.code == 1 and "nobody@example.org" in nobody.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--ezproxy", "https://ezproxy.example.edu/"], "must end with /login?url="),
    (["--ezproxy", "javascript:alert(1)"], "EZproxy prefix"),
    (["--openurl", "javascript:alert(document.cookie)"], "OpenURL resolver base URL"),
    (["--ill", "data:text/html,hi"], "interlibrary-loan URL"),
    (["--email-domain", "not a domain"], "email domain"),
])
def test_institution_add_refuses_bad_values_with_exit_2(
        run: Callable[..., CliResult], store: Store, args: list[str], message: str) -> None:
    result = run("institution", "add", "Bad Library", *args, "--json")
    assert result.code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert run("institution", "list", "--json").json() == {"institutions": []}


def test_institution_list_and_remove(run: Callable[..., CliResult], store: Store) -> None:
    assert run("institution", "add", "B Library", "--openurl", OPENURL).code == 0
    assert run("institution", "add", "A Library", "--ezproxy", "ezproxy.a.edu").code == 0
    assert run("institution", "add", "a library").code == 1  # taken, in any case
    listed = run("institution", "list", "--json").json()["institutions"]
    assert [i["name"] for i in listed] == ["A Library", "B Library"]
    removed = run("institution", "remove", "B Library", "--json")
    assert removed.code == 0 and removed.json()["removed"] is True
    assert run("institution", "remove", str(listed[0]["id"])).code == 0
    assert run("institution", "list", "--json").json() == {"institutions": []}
    assert run("institution", "remove", "B Library").code == 1
