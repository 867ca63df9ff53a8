"""Backup and restore round trips, and `litfeed check`, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection

from litfeed.config import Settings
from litfeed.models import Deletion
from litfeed.rank import onnx_export
from litfeed.service import search as search_service
from litfeed.service.papers import get_paper, stats
from litfeed.store import Store
from litfeed.store import papers as sp
from litfeed.store import schema as s
from testkit import make_paper


def add(store: Store, *records: object) -> None:
    with store.transaction() as conn:
        sp.apply_batch(conn, list(records))  # type: ignore[arg-type]


def test_backup_then_restore_brings_back_the_old_state(store: Store, run_cli,
                                                       cli_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    add(store, make_paper("1", title="Kept in the backup"), make_paper("2", title="Also kept"))
    target = tmp_path / "backups" / "litfeed.backup"
    made = run_cli("backup", str(target), "--json", env=cli_env)
    assert made.code == 0, made.stderr
    assert target.stat().st_size > 0

    add(store, Deletion("1"), make_paper("3", title="Added after the backup"))
    run_cli("search", "backup", env=cli_env)  # the index now reflects the later state
    again = run_cli("backup", str(target), env=cli_env)
    assert again.code == 2 and "exists" in again.stderr

    restored = run_cli("restore", str(target), "--yes", "--json", env=cli_env)
    assert restored.code == 0, restored.stderr
    fresh = Store.from_url(cli_env["LITFEED_DATABASE_URL"])
    assert stats(fresh)["papers"] == 2
    assert get_paper(fresh, "1").title == "Kept in the backup"
    found = run_cli("search", "backup", "--json", env=cli_env).json()
    assert [r["pmid"] for r in found["results"]] == ["1"]
    fresh.close()


def test_restore_refuses_a_file_that_is_not_a_backup(store: Store, run_cli,
                                                      cli_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    result = run_cli("restore", str(bogus), "--yes", env=cli_env)
    assert result.code == 2
    assert "not a" in result.stderr


def test_check_finds_and_repairs_a_stale_search_index(store: Store, settings: Settings,
                                                      run_cli, cli_env: dict[str, str]) -> None:
    add(store, make_paper("11", title="Indexed"), make_paper("12", title="Indexed too"))
    search_service.refresh(store, settings)
    assert run_cli("check", "--json", env=cli_env).json()["ok"]
    with search_service.open_index(settings) as index:  # the index loses a paper
        index.delete(["12"])
        index.commit()
    broken = run_cli("check", "--json", env=cli_env)
    assert broken.code == 1
    assert "1 paper(s) missing" in broken.json()["findings"][0]
    fixed = run_cli("check", "--repair", "--json", env=cli_env)
    assert fixed.code == 0 and fixed.json()["repaired"] == ["search index rebuilt"]
    assert run_cli("check", "--json", env=cli_env).json()["findings"] == []


# --- `litfeed check --repair`: each disagreement found, repaired, and clean afterwards ----------

@contextmanager
def foreign_keys_off(store: Store) -> Iterator[Connection]:
    """A transaction in which deletes do not cascade: how an outside tool (the sqlite3 shell,
    a DBA's script) leaves rows behind that litfeed itself never would."""
    if store.dialect == "sqlite":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            try:
                yield conn
                conn.commit()
            finally:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    else:
        with store.transaction() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn


def put_vector(conn: Connection, pmid: str, vector: bytes, content_hash: str) -> None:
    conn.execute(s.embeddings.insert().values(
        pmid=pmid, model=onnx_export.MODEL_NAME, model_version="test", content_hash=content_hash,
        dim=384, vector=vector))


def content_hash(store: Store, pmid: str) -> str:
    with store.read() as conn:
        return str(conn.execute(select(s.papers.c.content_hash)
                                .where(s.papers.c.pmid == pmid)).scalar())


def unit_vector(seed: int) -> bytes:
    v = np.random.default_rng(seed).standard_normal(384).astype("<f4")
    return (v / np.linalg.norm(v)).astype("<f4").tobytes()


def test_check_deletes_orphan_and_malformed_vectors(store: Store, settings: Settings, run_cli,
                                                    cli_env: dict[str, str]) -> None:
    add(store, make_paper("31"), make_paper("32"), make_paper("33"))
    with store.transaction() as conn:
        for pmid in ("31", "32"):
            put_vector(conn, pmid, unit_vector(int(pmid)), content_hash(store, pmid))
        put_vector(conn, "33", b"\0" * 100, content_hash(store, "33"))  # a torn write
    with foreign_keys_off(store) as conn:  # the paper and its parts go, its vector stays
        for table in (s.authors, s.mesh_terms, s.identifiers, s.publication_types, s.papers):
            conn.execute(delete(table).where(table.c.pmid == "31"))
    search_service.refresh(store, settings)

    found = run_cli("check", "--json", env=cli_env)
    assert found.code == 1
    assert found.json()["findings"] == [
        "1 vector(s) of papers that are no longer stored", "1 vector(s) of the wrong length"]
    fixed = run_cli("check", "--repair", "--json", env=cli_env)
    assert fixed.code == 0 and len(fixed.json()["repaired"]) == 2
    with store.read() as conn:
        left = dict(conn.execute(select(s.embeddings.c.pmid, s.embeddings.c.vector)).all())
    assert left == {"32": unit_vector(32)}  # the good vector is kept as it was
    clean = run_cli("check", "--json", env=cli_env).json()
    assert clean["findings"] == [] and clean["not_embedded"] == 1  # 33 waits for `embed`


def test_check_re_embeds_vectors_of_changed_papers(store: Store, settings: Settings, run_cli,
                                                   cli_env: dict[str, str]) -> None:
    add(store, make_paper("41", title="Lithium for bipolar depression"),
        make_paper("42", title="Exercise for knee osteoarthritis"))
    assert run_cli("embed", "--quiet", env=cli_env).code == 0
    with store.read() as conn:
        old = conn.execute(select(s.embeddings.c.vector)
                           .where(s.embeddings.c.pmid == "41")).scalar()
    # the paper changes while its vector stays (as when an update races an embedding run)
    with foreign_keys_off(store) as conn:
        sp.apply_batch(conn, [make_paper("41", version=2,
                                         title="Ketamine for treatment-resistant depression")])
    search_service.refresh(store, settings)

    found = run_cli("check", "--json", env=cli_env)
    assert found.code == 1 and found.json()["stale_vectors"] == 1
    assert found.json()["findings"] == ["1 vector(s) computed from an older version of their "
                                        "paper"]
    fixed = run_cli("check", "--repair", "--json", env=cli_env)
    assert fixed.code == 0, fixed.stdout
    assert fixed.json()["repaired"] == ["1 stale vector(s) embedded again"]
    with store.read() as conn:
        row = conn.execute(select(s.embeddings.c.vector, s.embeddings.c.content_hash)
                           .where(s.embeddings.c.pmid == "41")).one()
    assert row.content_hash == content_hash(store, "41") and row.vector != old
    clean = run_cli("check", "--json", env=cli_env).json()
    assert clean["findings"] == [] and clean["stale_vectors"] == 0


def test_check_catches_up_an_index_that_is_behind(store: Store, settings: Settings, run_cli,
                                                  cli_env: dict[str, str]) -> None:
    add(store, make_paper("51", title="Indexed"))
    search_service.refresh(store, settings)
    add(store, make_paper("52", title="Stored after the last sync"), Deletion("51"))
    found = run_cli("check", "--json", env=cli_env)
    assert found.code == 1
    assert found.json()["findings"][0] == ("the search index is 2 change(s) behind the database "
                                           "(`litfeed reindex` catches it up)")
    fixed = run_cli("check", "--repair", "--json", env=cli_env)
    assert fixed.code == 0 and fixed.json()["repaired"] == ["search index caught up"]
    assert fixed.json()["indexed"] == 1
    assert run_cli("check", "--json", env=cli_env).json()["findings"] == []
    hits = run_cli("search", "stored", "--json", env=cli_env).json()["results"]
    assert [h["pmid"] for h in hits] == ["52"]


def test_check_rebuilds_an_index_holding_papers_no_longer_stored(
        store: Store, settings: Settings, run_cli, cli_env: dict[str, str]) -> None:
    add(store, make_paper("61", title="Kept"))
    search_service.refresh(store, settings)
    with search_service.open_index(settings) as index:  # a stray document, checkpoint intact
        index.add_or_replace([make_paper("69", title="Never stored")])
        index.commit()
    found = run_cli("check", "--json", env=cli_env).json()
    assert found["findings"] == ["search index: 0 paper(s) missing, 1 that are no longer stored"]
    fixed = run_cli("check", "--repair", "--json", env=cli_env)
    assert fixed.code == 0 and fixed.json()["indexed"] == 1
    assert run_cli("search", "stored", "--json", env=cli_env).json()["total"] == 0


def test_check_removes_damaged_vector_cache_files(store: Store, settings: Settings, run_cli,
                                                  cli_env: dict[str, str]) -> None:
    add(store, make_paper("71"))
    search_service.refresh(store, settings)
    cache = settings.data_dir / "vectors"
    cache.mkdir(parents=True)
    (cache / "model.vec").write_bytes(b"LFVEC but cut short")
    (cache / ".model.vec.999999999.tmp").write_bytes(b"\0" * 64)  # its writer is gone
    found = run_cli("check", "--json", env=cli_env).json()
    assert [f.split(":")[0] for f in found["findings"]] == [
        "1 damaged vector cache file(s)",
        "1 temporary file(s) left by a killed vector-cache save"]
    assert run_cli("check", "--repair", env=cli_env).code == 0
    assert list(cache.iterdir()) == []
    assert run_cli("check", "--json", env=cli_env).json()["findings"] == []


def test_check_reports_rows_left_dangling_and_does_not_guess(store: Store, settings: Settings,
                                                             run_cli,
                                                             cli_env: dict[str, str]) -> None:
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL enforces its foreign keys; only SQLite can hold such rows")
    add(store, make_paper("81"))
    search_service.refresh(store, settings)
    with foreign_keys_off(store) as conn:  # a paper deleted by hand, its authors left behind
        conn.execute(delete(s.papers).where(s.papers.c.pmid == "81"))
    add(store, make_paper("82"))  # the index must catch up either way
    result = run_cli("check", "--repair", "--json", env=cli_env)
    assert result.code == 1
    findings = result.json()["findings"]
    assert "2 row(s) of authors refer to rows that do not exist" in findings
    assert not result.json()["ok"]  # dangling rows are reported, not deleted on a guess
    # the index, derived data, is repaired all the same: the paper gone by hand leaves it too
    assert result.json()["repaired"] == ["search index caught up", "search index rebuilt"]
    assert run_cli("search", "trial", "--json", env=cli_env).json()["total"] == 1
