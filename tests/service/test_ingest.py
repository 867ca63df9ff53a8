"""Ingest end to end on both backends: real NLM files, bad input, and re-ingest."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from litfeed.service.ingest import ingest_paths
from litfeed.service.papers import get_paper
from litfeed.store import Store
from litfeed.store import schema as s
from testkit import FIXTURES, CliResult, backend_url, need_shared_data

UPDATE_FILE = "pubmed21n1298.xml.gz"
DELETED_SAMPLE = ("31688362", "31764432", "34096142")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def update_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[tuple[Store, dict[str, object]]]:
    """The 2021 update file ingested once per backend, with the summary of that first run."""
    path = need_shared_data("pubmed-xml", UPDATE_FILE)
    with backend_url(request.param, tmp_path_factory.mktemp("update")) as url:
        store = Store.from_url(url)
        summary = ingest_paths(store, [path]).to_json()
        yield store, summary
        store.close()


def test_update_file_counts(update_store: tuple[Store, dict[str, object]]) -> None:
    store, summary = update_store
    # 20,788 PubmedArticle records for 20,783 PMIDs: the 5 extra are higher Versions
    assert summary["added"] == 20783
    assert summary["updated"] == 5
    assert summary["deleted"] == 20
    assert summary["errors"] == []
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(s.papers)).scalar() == 20783


def test_highest_version_wins(update_store: tuple[Store, dict[str, object]]) -> None:
    store, _ = update_store
    assert get_paper(store, "30271887").version == 4
    assert get_paper(store, "33728380").version == 2


def test_deleted_citations_are_absent(update_store: tuple[Store, dict[str, object]]) -> None:
    store, _ = update_store
    with store.read() as conn:
        present = conn.execute(select(s.papers.c.pmid)
                               .where(s.papers.c.pmid.in_(DELETED_SAMPLE))).all()
    assert present == []


def test_reingest_changes_nothing(update_store: tuple[Store, dict[str, object]]) -> None:
    store, _ = update_store
    with store.read() as conn:
        before = conn.execute(select(func.count()).select_from(s.authors)).scalar()
        changes_before = conn.execute(select(func.count()).select_from(s.paper_changes)).scalar()
    again = ingest_paths(store, [need_shared_data("pubmed-xml", UPDATE_FILE)]).to_json()
    assert (again["added"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert again["unchanged"] == 20788 + 20
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(s.authors)).scalar() == before
        assert conn.execute(
            select(func.count()).select_from(s.paper_changes)).scalar() == changes_before


def test_stored_paper_keeps_structure(update_store: tuple[Store, dict[str, object]]) -> None:
    store, _ = update_store
    with store.read() as conn:
        pmid = conn.execute(select(s.papers.c.pmid).where(s.papers.c.pmcid.is_not(None))
                            .order_by(s.papers.c.pmid).limit(1)).scalar()
    assert pmid is not None
    paper = get_paper(store, pmid)
    assert paper.pmcid is not None and paper.pmcid.startswith("PMC")
    assert paper.title and paper.year


def test_malformed_record_is_reported_and_the_rest_loads(store: Store, run_cli,
                                                          cli_env: dict[str, str]) -> None:
    path = FIXTURES / "ingest" / "three-records-one-broken.xml"
    result: CliResult = run_cli("ingest", str(path), "--json", env=cli_env)
    assert result.code == 0, result.stderr
    summary = result.json()
    assert summary["added"] == 2
    assert len(summary["errors"]) == 1
    error = summary["errors"][0]
    assert error["file"].endswith("three-records-one-broken.xml")
    assert error["line"] == 24  # where the broken <PubmedArticle> starts
    paper = get_paper(store, "90000001")
    assert paper.title == "Sertraline for depression in primary care."
    assert paper.title_html == "Sertraline for depression in <i>primary</i> care."
    assert paper.abstract[0].text == "Depression is common; p < 0.05."
    assert get_paper(store, "90000003").authors[0].collective == "The Test Collaborative Group"


def test_truncated_gzip_keeps_what_was_read_and_exits_2(store: Store, run_cli, tmp_path: Path,
                                                         cli_env: dict[str, str]) -> None:
    source = need_shared_data("pubmed-xml", UPDATE_FILE)
    truncated = tmp_path / "truncated.xml.gz"
    truncated.write_bytes(source.read_bytes()[:400_000])
    result = run_cli("ingest", str(truncated), "--json", env=cli_env)
    assert result.code == 2
    assert "truncated.xml.gz" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert result.json()["added"] > 0


def test_not_xml_is_a_clear_error(store: Store, run_cli, cli_env: dict[str, str]) -> None:
    result = run_cli("ingest", str(FIXTURES / "ingest" / "not-xml.xml"), "--json", env=cli_env)
    assert result.code == 2
    assert "not-xml.xml" in result.stderr


def test_missing_path_is_bad_usage(store: Store, run_cli, tmp_path: Path,
                                   cli_env: dict[str, str]) -> None:
    result = run_cli("ingest", str(tmp_path / "nope.xml"), env=cli_env)
    assert result.code == 2
    assert "nope.xml" in result.stderr


def test_folder_of_files(store: Store, run_cli, tmp_path: Path, cli_env: dict[str, str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    efetch = need_shared_data("pubmed-xml", "efetch-2025-metapub")
    for name in ("1000.xml.gz", "20301546.xml.gz", "37909814.xml.gz"):
        (folder / name).write_bytes((efetch / name).read_bytes())
    (folder / "notes.txt").write_text("ignored")
    (folder / "plain.xml").write_bytes(gzip.decompress((efetch / "100000.xml.gz").read_bytes()))
    result = run_cli("ingest", str(folder), "--json", env=cli_env)
    assert result.code == 0, result.stderr
    summary = result.json()
    assert summary["files"] == 4
    assert summary["added"] == 3  # the empty efetch set adds nothing
    assert get_paper(store, "20301546").is_book
