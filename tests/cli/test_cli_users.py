"""The account and library commands: user add, token create, react, save, unsave, demo."""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from factories import add_papers, make_paper
from fastapi.testclient import TestClient

from litfeed.config import Settings
from litfeed.store import Store

pytest.importorskip("litfeed.pubmed.parse", reason="the CLI imports the PubMed parser")

from litfeed.cli import main  # noqa: E402

PASSWORD = "a long password"


@dataclass
class Result:
    exit_code: int
    stdout: str
    output: str


@pytest.fixture
def run(cli_env: dict[str, str]) -> Callable[..., Result]:
    """Run ``litfeed ARGS`` through ``main`` (so library errors become exit codes)."""
    env = {**cli_env, "LITFEED_ARGON2_TIME_COST": "1", "LITFEED_ARGON2_MEMORY_KIB": "1024"}

    def invoke(*args: str, input: str | None = None) -> Result:
        with CliRunner().isolation(input=input, env=env) as (out, _err, mixed):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            return Result(code, out.getvalue().decode(), mixed.getvalue().decode())

    return invoke


def test_user_add_token_create_and_the_token_works(run: Callable[..., Result], settings: Settings,
                                                   store: Store) -> None:
    r = run("user", "add", "Doc@Example.org", "--password-stdin", "--admin", "--json",
            input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"email": "doc@example.org", "id": 1}
    r = run("token", "create", "doc@example.org", "--json")
    token = json.loads(r.stdout)["token"]
    from litfeed.web.app import create_app

    with TestClient(create_app(settings, store)) as c:
        me = c.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["email"] == "doc@example.org" and me["is_admin"] is True


def test_user_add_refuses_bad_input(run: Callable[..., Result], store: Store) -> None:
    run("user", "add", "a@example.org", "--password-stdin", input=PASSWORD + "\n")
    r = run("user", "add", "a@example.org", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code != 0
    r = run("user", "add", "b@example.org", "--password-stdin", input="\n")
    assert r.exit_code != 0
    r = run("token", "create", "nobody@example.org")
    assert r.exit_code != 0


def test_react_save_unsave(run: Callable[..., Result], store: Store) -> None:
    add_papers(store, [make_paper("100")])
    run("user", "add", "r@example.org", "--password-stdin", input=PASSWORD + "\n")
    r = run("react", "r@example.org", "100", "like", "--json")
    assert json.loads(r.stdout) == {"pmid": "100", "reaction": "like"}
    r = run("react", "r@example.org", "100", "none", "--json")
    assert json.loads(r.stdout) == {"pmid": "100", "reaction": None}
    r = run("save", "r@example.org", "100", "--json")
    assert json.loads(r.stdout) == {"pmid": "100", "collections": ["Saved"]}
    r = run("save", "r@example.org", "100", "--collection", "Teaching", "--json")
    assert json.loads(r.stdout)["collections"] == ["Saved", "Teaching"]
    r = run("unsave", "r@example.org", "100", "--json")
    assert json.loads(r.stdout) == {"pmid": "100", "collections": ["Teaching"]}
    r = run("react", "r@example.org", "99999999", "like")
    assert r.exit_code == 1


def test_demo_prepares_a_fresh_data_dir(run: Callable[..., Result], tmp_path: Path) -> None:
    data = tmp_path / "demo"
    fixture = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pubmed-xml"
    sample = fixture / "pubmed24-dtd-4records.xml.gz"
    if not sample.exists():
        pytest.skip(f"shared data {sample} is absent")
    for _ in range(2):  # a second run starts over instead of adding to the first
        r = run("demo", "--data-dir", str(data), "--no-serve", "--pubmed", str(sample))
        assert r.exit_code == 0, r.output
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


def test_demo_never_wipes_a_folder_it_did_not_make(run: Callable[..., Result], tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    r = run("demo", "--data-dir", str(precious), "--no-serve")
    assert r.exit_code == 2 and (precious / "thesis.tex").exists()


def test_serve_help_lists_its_options(run: Callable[..., Result]) -> None:
    r = run("serve", "--help")
    assert all(opt in r.stdout for opt in ("--host", "--port", "--workers", "--db"))
