"""Streaming: formats, record counts, broken records and files, hostile XML, flat memory."""

from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from litfeed.errors import ParseError
from litfeed.models import Deletion, Paper, RecordError
from litfeed.pubmed import iter_records, iter_records_from, open_xml, parse_article

ROOT = Path(__file__).resolve().parents[2]


def kinds(records) -> Counter[str]:
    return Counter(type(r).__name__ for r in records)


# --- real files -------------------------------------------------------------------------------


@pytest.mark.slow
def test_update_file_counts_versions_and_deletions(real_file):
    kinds_seen: Counter[str] = Counter()
    pmids: set[str] = set()
    versions: Counter[int] = Counter()
    statuses: Counter[str | None] = Counter()
    with_doi = with_pmcid = 0
    deletions: list[str] = []
    tail: list[str] = []
    for record in iter_records(real_file("pubmed21n1298.xml.gz")):
        kinds_seen[type(record).__name__] += 1
        tail = [*tail[-19:], type(record).__name__]
        if isinstance(record, Deletion):
            deletions.append(record.pmid)
        elif isinstance(record, Paper):
            pmids.add(record.pmid)
            versions[record.version] += 1
            statuses[record.status] += 1
            with_doi += record.doi is not None
            with_pmcid += record.pmcid is not None
    assert kinds_seen == {"Paper": 20788, "Deletion": 20}
    assert len(pmids) == 20783
    assert {v: n for v, n in versions.items() if v > 1} == {2: 3, 3: 1, 4: 1}
    assert deletions[0] == "31688362" and deletions[-1] == "34096142"
    assert tail == ["Deletion"] * 20  # where the file has them: after every article
    assert statuses["Publisher"] == 8395 and statuses["MEDLINE"] == 335
    assert with_doi >= 20605  # ArticleIdList, plus ELocationID where PubmedData has none
    assert with_pmcid == 5313


def test_baseline_file_counts_in_flat_memory(real_file):
    """All 30,000 records of the 174 MB baseline file, in a fresh process, under 100 MiB peak.

    Without clearing parsed records the tree of this file alone takes about a gigabyte.
    """
    path = real_file("pubmed20n0014.xml.gz")
    child = (
        "import json, resource, sys\n"
        f"sys.path.insert(0, {str(ROOT / 'src')!r})\n"
        "from collections import Counter\n"
        "from litfeed.pubmed import iter_records\n"
        "c = Counter(type(r).__name__ for r in iter_records(sys.argv[1]))\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking pytest process.
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "rss = int(hwm[0].split()[1]) if hwm else "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'counts': c, 'rss_mib': rss / 1024}))\n"
    )
    out = subprocess.run([sys.executable, "-c", child, str(path)],
                         check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    assert result["counts"] == {"Paper": 30000}
    assert result["rss_mib"] < 100, result


def test_every_efetch_response_parses(real_file):
    folder = real_file("efetch-2025-metapub")
    records = [r for path in sorted(folder.glob("*.xml.gz")) for r in iter_records(path)]
    assert kinds(records) == {"Paper": 215}
    assert sum(1 for r in records if r.is_book) == 1


def test_empty_efetch_response_yields_nothing(real_file):
    assert list(iter_records(real_file("efetch-2025-metapub/37909814.xml.gz"))) == []


def test_2024_dtd_file(real_file):
    papers = list(iter_records(real_file("pubmed24-dtd-4records.xml.gz")))
    assert len(papers) == 4 and all(isinstance(p, Paper) for p in papers)
    assert sum(1 for p in papers if p.abstract) == 3


def test_truncated_gzip_yields_good_records_then_raises(tmp_path, real_file):
    # The first 2 MB of the baseline file: a gzip stream cut mid-record.
    data = real_file("pubmed20n0014.xml.gz").read_bytes()[:2_000_000]
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(data)
    seen: list[Paper] = []
    with pytest.raises(ParseError, match=r"cut\.xml\.gz: truncated gzip"):
        for record in iter_records(cut):
            seen.append(record)
    assert len(seen) > 1000
    assert all(isinstance(r, Paper) and r.pmid for r in seen)


# --- hand-written fixtures --------------------------------------------------------------------


def test_malformed_record_in_the_middle_is_reported_and_skipped(fixtures):
    path = fixtures / "malformed_middle.xml"
    records = list(iter_records(path))
    assert [type(r).__name__ for r in records] == [
        "Paper", "RecordError", "RecordError", "Paper", "Deletion"]
    missing, bad_version = records[1], records[2]
    assert missing == RecordError(str(path), None, 18, "record has no <PMID>")
    assert bad_version.pmid == "1000003" and bad_version.line == 25
    assert "Version='two'" in bad_version.message
    assert records[3].pmid == "1000004" and records[3].version == 2
    assert records[4] == Deletion("1000099")
    assert missing.to_json() == {"file": str(path), "pmid": None, "line": 18,
                                 "message": "record has no <PMID>"}


def test_exception_while_extracting_becomes_record_error(monkeypatch, fixtures):
    from litfeed.pubmed import parse as parse_module

    def broken(elem):
        if elem.findtext(".//PMID") == "1000004":
            raise KeyError("boom")
        return parse_article(elem)

    monkeypatch.setattr(parse_module, "parse_article", broken)
    records = list(iter_records(fixtures / "malformed_middle.xml"))
    error = records[3]
    assert isinstance(error, RecordError)
    assert (error.pmid, error.line, error.message) == ("1000004", 33, "KeyError: 'boom'")
    assert records[4] == Deletion("1000099")


def test_truncated_gzip_fixture(tmp_path, fixtures):
    xml = (fixtures / "malformed_middle.xml").read_bytes()
    start = xml.index(b"<PubmedArticle>")
    end = xml.rindex(b"</PubmedArticle>") + len(b"</PubmedArticle>")
    many = xml[:start] + xml[start:end] * 400 + xml[end:]  # enough for gzip to emit early output
    packed = gzip.compress(many)
    path = tmp_path / "short.gz"
    path.write_bytes(packed[: len(packed) // 2])
    seen = []
    with pytest.raises(ParseError, match=r"short\.gz: truncated gzip file"):
        for record in iter_records(path):
            seen.append(record)
    assert kinds(seen)["Paper"] > 10


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"This is a plain text file.\n", r"notes\.txt: not well-formed XML"),
        ("page.xml", b"<html><body>hi</body></html>",
         r"page\.xml: not PubMed XML \(root element <html>"),
        ("empty.xml", b"", r"empty\.xml: empty file"),
        ("bad.xml.gz", b"\x1f\x8bnot really gzip", r"bad\.xml\.gz: corrupt gzip data"),
        ("cut.xml", b"<PubmedArticleSet><PubmedArticle><MedlineCitation>",
         r"cut\.xml: not well-formed XML"),
        ("error.xml", b"<eFetchResult><ERROR>Empty id list</ERROR></eFetchResult>",
         r"root element <eFetchResult>"),
    ],
)
def test_unreadable_files_raise_parse_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ParseError, match=message) as info:
        list(iter_records(path))
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_fixture_non_xml_and_non_pubmed_files(fixtures):
    with pytest.raises(ParseError, match="not well-formed XML"):
        list(iter_records(fixtures / "not_xml.txt"))
    with pytest.raises(ParseError, match="root element <html>"):
        list(iter_records(fixtures / "not_pubmed.xml"))


def test_missing_file_raises_parse_error(tmp_path):
    with pytest.raises(ParseError, match="cannot open"):
        list(iter_records(tmp_path / "nope.xml"))


def test_gzip_is_sniffed_not_guessed_from_the_suffix(tmp_path, fixtures):
    xml = (fixtures / "medline_legacy.xml").read_bytes()
    disguised = tmp_path / "looks-plain.xml"
    disguised.write_bytes(gzip.compress(xml))
    plain = tmp_path / "looks-packed.xml.gz"
    plain.write_bytes(xml)
    with open_xml(disguised) as stream:
        assert stream.read(5) == b"<?xml"
    assert kinds(iter_records(disguised)) == kinds(iter_records(plain)) == {"Paper": 2,
                                                                            "Deletion": 2}


def test_in_memory_stream_and_gzip_stream(fixtures):
    xml = (fixtures / "edge_cases.xml").read_bytes()
    from_bytes = list(iter_records_from(io.BytesIO(xml), "efetch"))
    from_gzip = list(iter_records_from(io.BytesIO(gzip.compress(xml)), "efetch.gz"))
    assert [p.pmid for p in from_bytes] == ["5000001", "5000002", "5000003"]
    assert from_gzip == from_bytes


def test_legacy_medline_citation_set(fixtures):
    records = list(iter_records(fixtures / "medline_legacy.xml"))
    assert [type(r).__name__ for r in records] == ["Paper", "Paper", "Deletion", "Deletion"]
    first, second = records[0], records[1]
    assert first.pmid == "1" and first.title.startswith("Formate assay")
    assert first.journal.nlm_id == "0151424" and first.published == "1975-06"
    assert second.pmcid == "PMC3062578"  # from OtherID: legacy files have no PubmedData
    assert second.doi == "10.1155/2011/123456"  # from ELocationID
    assert second.published == "2011-03"  # MedlineDate "2011 Spring"
    assert second.authors[0].affiliations == ("Department of Medicine, Example University.",)
    assert second.abstract[0].text == "Legacy abstracts are plain text."
    assert [r.pmid for r in records[2:]] == ["12345", "67890"]


def test_save_as_xml_export_without_doctype_or_declaration(fixtures):
    xml = (fixtures / "edge_cases.xml").read_bytes().split(b"\n", 1)[1]  # drop <?xml ...?>
    assert not xml.startswith(b"<?xml")
    assert [p.pmid for p in iter_records_from(io.BytesIO(xml), "pubmed-export.xml")] == [
        "5000001", "5000002", "5000003"]


def test_single_record_document(fixtures):
    xml = (fixtures / "edge_cases.xml").read_text(encoding="utf-8")
    start = xml.index("<PubmedArticle>")
    end = xml.index("</PubmedArticle>") + len("</PubmedArticle>")
    records = list(iter_records_from(io.BytesIO(xml[start:end].encode()), "one.xml"))
    assert [r.pmid for r in records] == ["5000001"]


# --- hostile XML ------------------------------------------------------------------------------


def test_billion_laughs_is_inert(fixtures):
    """The entities are never expanded: libxml2 rejects the file or we drop the references."""
    records = []
    try:
        records.extend(iter_records(fixtures / "billion_laughs.xml"))
    except ParseError as exc:
        assert "billion_laughs.xml" in str(exc)
    for record in records:
        assert isinstance(record, Paper)
        assert "lollol" not in json.dumps(record.to_json())
        assert len(record.title) < 100


def test_external_entities_are_never_loaded(fixtures):
    records = list(iter_records(fixtures / "xxe.xml"))
    assert len(records) == 1
    paper = records[0]
    dumped = json.dumps(paper.to_json())
    assert "root:" not in dumped and "/bin/" not in dumped
    assert "&xxe;" not in dumped and "&remote;" not in dumped
    assert paper.title == "Leak:"
    assert paper.abstract[0].text == "Remote:  end."
    assert paper.authors[0].fore == "Eve"


def test_script_injection_is_inert(fixtures):
    (paper,) = iter_records(fixtures / "script_injection.xml")
    htmls = [paper.title_html] + [s.html for s in paper.abstract]
    for html in htmls:
        tags = re.findall(r"<[^>]*>", html)
        assert set(tags) <= {"<i>", "</i>", "<sup>", "</sup>"}, html
    assert paper.title_html == "Ca<sup>2+</sup> and  signalling"
    results, conclusions = paper.abstract
    assert results.html == ("We found p &lt; 0.05 in <i>E. coli</i>. Then  and a link.")
    assert results.text == "We found p < 0.05 in E. coli. Then  and a link."
    # Markup that was escaped in the XML is text: shown literally, never interpreted.
    assert conclusions.text == ("Escaped markup stays text: <script>alert(4)</script> & "
                                "<img src=x onerror=alert(5)>")
    assert conclusions.html.startswith("Escaped markup stays text: &lt;script&gt;alert(4)")


def test_parse_article_rejects_other_elements():
    from lxml import etree

    from litfeed.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not a PubMed record"):
        parse_article(etree.fromstring("<Foo/>"))


def test_record_paths_are_reported_as_given(fixtures):
    path = Path(fixtures / "malformed_middle.xml")
    errors = [r for r in iter_records(path) if isinstance(r, RecordError)]
    assert {e.file for e in errors} == {str(path)}
