"""``litfeed feed EMAIL``: the contract's JSON shape, limits and bad input."""

from __future__ import annotations

from factories import fast
from feedkit import corpus
from litfeed.config import Settings
from litfeed.service import accounts, library
from litfeed.store import Store


def test_feed_json_shape_and_never_reacted(store: Store, settings: Settings, run_cli,
                                           cli_env: dict[str, str]) -> None:
    topics = corpus(store, settings)
    accounts.register(store, fast(settings), email="r@example.org",
                      password="correct horse battery")
    reader = accounts.get_user_by_email(store, "r@example.org")
    library.react(store, reader.id, topics["psych"][0], "like")
    result = run_cli("feed", "r@example.org", "--limit", "5", "--since", "all", "--json",
                     env=cli_env)
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["user"] == "r@example.org" and len(data["results"]) == 5
    for item in data["results"]:
        assert set(item) == {"pmid", "title", "score", "because"} and item["because"]
        assert item["pmid"] != topics["psych"][0]
    assert run_cli("feed", "r@example.org", "--since", "yesterday", env=cli_env).code == 2
    assert run_cli("feed", "r@example.org", "--limit", "0", env=cli_env).code == 2
    assert run_cli("feed", "nobody@example.org", env=cli_env).code == 1
