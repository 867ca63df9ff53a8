"""The store lookups import matching uses, the title key, and migration 0004's backfill."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from libraryio_support import EFETCH, EFLM, MMWR, SPINK, TITLE_ONLY
from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Text,
    column,
    insert,
    inspect,
    select,
    table,
)

from factories import add_papers, make_paper
from litfeed.formats.match import normalise_title, title_key
from litfeed.pubmed.parse import iter_records
from litfeed.store import Store, migrate
from litfeed.store import papers as sp
from litfeed.store import schema as s
from testkit import need_shared_data


def test_lookup_by_doi_ignores_case(stocked: Store) -> None:
    with stocked.read() as conn:
        assert sp.find_pmid_by_doi(conn, "10.1515/CCLM-2024-0070") == EFLM
        assert sp.find_pmid_by_doi(conn, " 10.1080/00365520510011560 ") == SPINK
        assert sp.find_pmid_by_doi(conn, "10.1515/cclm-2024-0071") is None


def test_lookup_by_title_and_year_answers_only_an_unambiguous_match(stocked: Store) -> None:
    title = normalise_title("Community water supply contaminated with caustic soda—Georgia")
    with stocked.read() as conn:
        assert sp.find_pmid_by_title_year(conn, title, 1981) == MMWR
        assert sp.find_pmid_by_title_year(conn, title, 1982) is None
        assert sp.find_pmid_by_title_year(conn, "", 1981) is None
        assert sp.find_pmid_by_title_year(
            conn, normalise_title("MUTATIONS of SPINK1 revisited"), 2005) == TITLE_ONLY
    add_papers(stocked, [make_paper("90000100", title="Mutations of SPINK1 revisited",
                                    published="2005-11")])
    with stocked.read() as conn:
        # two papers of 2005 with that title: no guess
        assert sp.find_pmid_by_title_year(
            conn, normalise_title("Mutations of SPINK1 revisited"), 2005) is None
        assert sp.stored_pmids(conn, [SPINK, "1", TITLE_ONLY]) == {SPINK, TITLE_ONLY}


def test_fast_title_path_agrees_with_the_full_one_on_real_titles() -> None:
    folder = need_shared_data(*EFETCH)
    titles = ["x^2 and `code` under_score -- 50%: a \"quoted\" (test)!", "TNF-α", "Ünal's"]
    for path in sorted(folder.glob("*.xml.gz")):
        titles += [r.title for r in iter_records(path) if hasattr(r, "title")]
    assert len(titles) > 200
    for title in titles:
        # a trailing " &" forces the full path (entities, accents) and normalises to nothing
        assert normalise_title(title) == normalise_title(title + " &"), title


def test_migration_0004_gives_stored_papers_their_title_key(db_url: str) -> None:
    store = Store.from_url(db_url)
    try:
        config = migrate._config(store.engine)
        command.downgrade(config, "0002")
        assert "title_key" not in {c["name"] for c in inspect(store.engine).get_columns("papers")}
        old_papers = table(  # papers as revision 0002 has it (no title_key)
            "papers", column("pmid", String), column("version", Integer), column("title", Text),
            column("year", Integer), column("retracted", Boolean), column("is_book", Boolean),
            column("has_abstract", Boolean), column("doc", Text), column("content_hash", String),
            column("created_at", DateTime(timezone=True)),
            column("updated_at", DateTime(timezone=True)))
        now = datetime.now(UTC)
        with store.transaction() as conn:
            conn.execute(insert(old_papers).values(
                pmid="7", version=1, title="[Caustic soda in <i>Georgia</i>].", year=1981,
                retracted=False, is_book=False, has_abstract=False, doc="{}", content_hash="x",
                created_at=now, updated_at=now))
        command.upgrade(config, "head")
        with store.read() as conn:
            key = conn.execute(select(s.papers.c.title_key)).scalar()
            assert key == title_key("[Caustic soda in <i>Georgia</i>].")
            assert sp.find_pmid_by_title_year(conn, "caustic soda in georgia", 1981) == "7"
    finally:
        store.close()


def test_ingested_papers_carry_the_key(stocked: Store) -> None:
    with stocked.read() as conn:
        rows = conn.execute(select(s.papers.c.title, s.papers.c.title_key)).all()
    assert len(rows) == 4
    assert all(row.title_key == title_key(row.title) for row in rows)
