"""The account and library commands: user add, token create, react, save, unsave, demo."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from factories import add_papers, make_paper
from litfeed.config import Settings
from litfeed.store import Store
from testkit import CliResult, need_shared_data

PASSWORD = "a long password"
FAST = {"LITFEED_ARGON2_TIME_COST": "1", "LITFEED_ARGON2_MEMORY_KIB": "1024"}


@pytest.fixture
def run(run_cli: Callable[..., CliResult], cli_env: dict[str, str]) -> Callable[..., CliResult]:
    """``litfeed ARGS`` against the test store, with cheap password hashing."""

    def invoke(*args: str, input: str | None = None) -> CliResult:
        return run_cli(*args, env={**cli_env, **FAST}, stdin=input)

    return invoke


def test_user_add_token_create_and_the_token_works(
        run: Callable[..., CliResult], settings: Settings, store: Store) -> None:
    r = run("user", "add", "Doc@Example.org", "--password-stdin", "--admin", "--json",
            input=PASSWORD + "\n")
    assert r.code == 0, r.stderr
    assert r.json() == {"email": "doc@example.org", "id": 1}
    r = run("token", "create", "doc@example.org", "--json")
    token = r.json()["token"]
    from litfeed.web.app import create_app

    with TestClient(create_app(settings, store)) as c:
        me = c.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["email"] == "doc@example.org" and me["is_admin"] is True


def test_user_add_without_a_password_prints_a_generated_one(
        run: Callable[..., CliResult], settings: Settings, store: Store) -> None:
    r = run("user", "add", "gen@example.org", "--json")
    assert r.code == 0, r.stderr
    data = r.json()
    assert data["email"] == "gen@example.org" and len(data["password"]) >= 12
    from litfeed.service import accounts

    fast = Settings(data_dir=settings.data_dir, database_url=settings.database_url,
                    argon2_time_cost=1, argon2_memory_kib=1024)
    assert accounts.authenticate(store, fast, email="gen@example.org",
                                 password=data["password"]).id == data["id"]


def test_user_add_refuses_bad_input(run: Callable[..., CliResult], store: Store) -> None:
    run("user", "add", "a@example.org", "--password-stdin", input=PASSWORD + "\n")
    r = run("user", "add", "a@example.org", "--password-stdin", input=PASSWORD + "\n")
    assert r.code != 0
    r = run("user", "add", "b@example.org", "--password-stdin", input="\n")
    assert r.code != 0
    r = run("token", "create", "nobody@example.org")
    assert r.code != 0


def test_react_save_unsave(run: Callable[..., CliResult], store: Store) -> None:
    add_papers(store, [make_paper("100")])
    run("user", "add", "r@example.org", "--password-stdin", input=PASSWORD + "\n")
    r = run("react", "r@example.org", "100", "like", "--json")
    assert r.json() == {"pmid": "100", "reaction": "like"}
    r = run("react", "r@example.org", "100", "none", "--json")
    assert r.json() == {"pmid": "100", "reaction": None}
    r = run("save", "r@example.org", "100", "--json")
    assert r.json() == {"pmid": "100", "collections": ["Saved"]}
    r = run("save", "r@example.org", "100", "--collection", "Teaching", "--json")
    assert r.json()["collections"] == ["Saved", "Teaching"]
    r = run("unsave", "r@example.org", "100", "--json")
    assert r.json() == {"pmid": "100", "collections": ["Teaching"]}
    r = run("react", "r@example.org", "99999999", "like")
    assert r.code == 1


def test_demo_prepares_a_fresh_data_dir(run: Callable[..., CliResult], tmp_path: Path) -> None:
    data = tmp_path / "demo"
    sample = need_shared_data("pubmed-xml", "pubmed24-dtd-4records.xml.gz")
    for _ in range(2):  # a second run starts over instead of adding to the first
        r = run("demo", "--data-dir", str(data), "--no-serve", "--pubmed", str(sample))
        assert r.code == 0, r.stderr
        assert "demo@litfeed.local" in r.stdout and "http://127.0.0.1:8000" in r.stdout
    password = r.stdout.split("password")[1].split()[0]
    store = Store.from_url(f"sqlite:///{data / 'litfeed.db'}")
    try:
        from litfeed.service import accounts
        from litfeed.service.papers import stats

        assert stats(store)["papers"] == 4 and stats(store)["users"] == 1
        settings = Settings(data_dir=data, argon2_time_cost=1, argon2_memory_kib=1024)
        assert accounts.authenticate(store, settings, email="demo@litfeed.local",
                                     password=password).email == "demo@litfeed.local"
    finally:
        store.close()


def test_demo_never_wipes_a_folder_it_did_not_make(run: Callable[..., CliResult],
                                                   tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    r = run("demo", "--data-dir", str(precious), "--no-serve")
    assert r.code == 2 and (precious / "thesis.tex").exists()


def test_serve_help_lists_its_options(run: Callable[..., CliResult]) -> None:
    r = run("serve", "--help")
    assert all(opt in r.stdout for opt in ("--host", "--port", "--workers", "--db"))


def test_serve_runs_the_app(cli_env: dict[str, str], store: Store) -> None:
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, **cli_env,
           "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", "from litfeed.cli import main; main()",
                             "serve", "--port", str(port), "--no-access-log"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "litfeed serve did not answer in 30 s"
                time.sleep(0.2)
        assert r.json() == {"status": "ok", "papers": 0}
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "content-security-policy" in page.headers
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stderr:
            proc.stderr.close()
