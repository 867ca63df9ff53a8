"""``litfeed fetch`` end to end against a local server standing in for NCBI, on both backends."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from litfeed.service.papers import get_paper
from litfeed.store import Store
from testkit import FIXTURES, need_shared_data

EFETCH_DIR = ("pubmed-xml", "efetch-2025-metapub")


def efetch_body(pmids: list[str]) -> bytes:
    """One PubmedArticleSet made of the real efetch records for these PMIDs."""
    folder = need_shared_data(*EFETCH_DIR)
    articles = []
    for pmid in pmids:
        xml = gzip.decompress((folder / f"{pmid}.xml.gz").read_bytes()).decode("utf-8")
        start = xml.index("<PubmedArticleSet>") + len("<PubmedArticleSet>")
        articles.append(xml[start:xml.rindex("</PubmedArticleSet>")])
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<PubmedArticleSet>"
            + "".join(articles) + "</PubmedArticleSet>").encode()


def fetch_env(cli_env: dict[str, str], server) -> dict[str, str]:
    return {**cli_env, "LITFEED_EUTILS_URL": server.url + "/entrez/eutils/",
            "LITFEED_PUBMED_FTP_URL": server.url + "/pubmed/", "NCBI_API_KEY": "k3y"}


def test_fetch_by_pmid(store: Store, run_cli, cli_env: dict[str, str], server) -> None:
    def efetch(seen):
        return server.Reply(200, efetch_body(seen.params["id"].split(",")))

    server.routes["/entrez/eutils/efetch.fcgi"] = efetch
    result = run_cli("fetch", "--pmid", "1000,23435529", "--json",
                     env=fetch_env(cli_env, server))
    assert result.code == 0, result.stderr
    assert result.json()["added"] == 2
    assert server.requests[0].params["api_key"] == "k3y"
    assert get_paper(store, "23435529").title


def test_fetch_by_query(store: Store, run_cli, cli_env: dict[str, str], server) -> None:
    answer = json.loads((FIXTURES / "eutils" / "esearch-asthma.json").read_text())
    answer["esearchresult"]["idlist"] = ["1000", "100000"]
    answer["esearchresult"]["count"] = "2"
    server.routes["/entrez/eutils/esearch.fcgi"] = [server.Reply(200, json.dumps(answer).encode())]
    server.routes["/entrez/eutils/efetch.fcgi"] = lambda seen: server.Reply(
        200, efetch_body(seen.params["id"].split(",")))
    result = run_cli("fetch", "--query", "asthma", "--max", "5", "--json",
                     env=fetch_env(cli_env, server))
    assert result.code == 0, result.stderr
    assert result.json()["added"] == 2
    assert server.requests[0].params["term"] == "asthma"


def test_bad_pmid_list_is_bad_usage(store: Store, run_cli, cli_env: dict[str, str],
                                    server) -> None:
    result = run_cli("fetch", "--pmid", "12,abc", env=fetch_env(cli_env, server))
    assert result.code == 2
    assert "abc" in result.stderr
    assert server.requests == []


def _serve_update(server, name: str, body: bytes) -> None:
    server.routes[f"/pubmed/updatefiles/{name}"] = [server.Reply(200, body)]
    md5 = f"MD5({name})= {hashlib.md5(body).hexdigest()}\n".encode()
    server.routes[f"/pubmed/updatefiles/{name}.md5"] = [server.Reply(200, md5)]


def test_updates_apply_in_order_once(store: Store, run_cli, cli_env: dict[str, str], server,
                                     tmp_path: Path) -> None:
    first = gzip.compress(efetch_body(["1000", "100000"]))
    # the second file deletes one paper of the first and adds another
    second_xml = efetch_body(["10440612"]).replace(
        b"</PubmedArticleSet>",
        b"<DeleteCitation><PMID Version=\"1\">1000</PMID></DeleteCitation></PubmedArticleSet>")
    second = gzip.compress(second_xml)
    names = ["pubmed25n0001.xml.gz", "pubmed25n0002.xml.gz"]
    listing = "".join(f'<a href="{n}">{n}</a> <a href="{n}.md5">{n}.md5</a>\n' for n in names)
    server.routes["/pubmed/updatefiles/"] = [server.Reply(200, listing.encode())]
    _serve_update(server, names[0], first)
    _serve_update(server, names[1], second)

    env = fetch_env(cli_env, server)
    result = run_cli("fetch", "--updates", "--json", env=env)
    assert result.code == 0, result.stderr
    summary = result.json()
    assert (summary["files"], summary["added"], summary["deleted"]) == (2, 3, 1)
    assert get_paper(store, "10440612").title

    again = run_cli("fetch", "--updates", "--json", env=env)
    assert again.json()["files"] == 0
    downloads = [p for p in server.paths() if p.endswith(".xml.gz")]
    assert downloads == [f"/pubmed/updatefiles/{n}" for n in names]
    assert not list((Path(env["LITFEED_DATA_DIR"]) / "pubmed" / "updatefiles").glob("*.gz"))
