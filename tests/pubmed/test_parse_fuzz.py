"""Fuzz the PubMed XML parser: a mutated record never takes the file down with it.

A rich real-shaped record (the first of edge_cases.xml) is mutated structurally with lxml
(elements dropped, duplicated, renamed or moved, text and attributes replaced by arbitrary
text, junk children added) and placed between two intact records. Whatever the mutation, the
file parses: the intact records come out as papers and the mutated one as a paper or a
reported RecordError, never an exception. Byte-level damage (ill-formed XML) may end the file,
but only with a ParseError, after the records before the damage.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from litfeed.errors import ParseError
from litfeed.models import Deletion, Paper, RecordError
from litfeed.pubmed import iter_records_from

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pubmed" / "edge_cases.xml"
TEMPLATE = etree.parse(str(FIXTURE)).getroot().find("PubmedArticle")
assert TEMPLATE is not None
TAGS = sorted({el.tag for el in TEMPLATE.iter() if isinstance(el.tag, str)})

#: text XML 1.0 can carry (no control characters but tab/newline, no surrogates)
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"),
                                 blacklist_characters="\ufffe\uffff")
                   | st.sampled_from("\t\n <>&\"'"), max_size=40)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def record(pmid: str) -> etree._Element:
    rec = copy.deepcopy(TEMPLATE)
    pmid_el = rec.find(".//PMID")
    assert pmid_el is not None
    pmid_el.text = pmid
    return rec


@st.composite
def mutated_record(draw: st.DrawFn) -> etree._Element:
    rec = record("2000002")
    for _ in range(draw(st.integers(1, 8))):
        elements = [el for el in rec.iter() if isinstance(el.tag, str)]
        target = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(
            ["drop", "text", "attr", "rename", "duplicate", "junk", "move", "empty"]))
        parent = target.getparent()
        if action == "drop" and parent is not None:
            parent.remove(target)
        elif action == "text":
            target.text = draw(XML_TEXT)
        elif action == "attr":
            target.set(draw(st.sampled_from(["ValidYN", "EIdType", "DateType", "UI", "Version",
                                             "Status", "IdType"])), draw(XML_TEXT))
        elif action == "rename" and parent is not None:
            target.tag = draw(st.sampled_from([*TAGS, "Unknown", "i", "sup"]))
        elif action == "duplicate" and parent is not None:
            parent.insert(parent.index(target), copy.deepcopy(target))
        elif action == "junk":
            child = etree.SubElement(target, draw(st.sampled_from([*TAGS, "Junk", "b"])))
            child.text = draw(XML_TEXT)
        elif action == "move" and parent is not None:
            others = [el for el in elements if el is not target
                      and target not in el.iterancestors() and el is not rec]
            if others:
                parent.remove(target)
                draw(st.sampled_from(others)).append(target)
        elif action == "empty":
            for child in list(target):
                target.remove(child)
            target.text = None
    return rec


def document(*records: etree._Element) -> bytes:
    root = etree.Element("PubmedArticleSet")
    for rec in records:
        root.append(rec)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


@FUZZ
@given(middle=mutated_record())
def test_a_mutated_record_is_a_paper_or_a_reported_error(middle: etree._Element) -> None:
    body = document(record("1000001"), middle, record("3000003"))
    records = list(iter_records_from(io.BytesIO(body), "fuzz.xml"))
    papers = [r.pmid for r in records if isinstance(r, Paper)]
    errors = [r for r in records if isinstance(r, RecordError)]
    assert papers[0] == "1000001" and papers[-1] == "3000003"
    assert all(not isinstance(r, Deletion) for r in records)
    # the mutated record: one paper, or one error that names the file (a renamed record
    # element may also make it vanish, or split it into two)
    assert len(records) <= 4
    for error in errors:
        assert error.file == "fuzz.xml" and error.message


@FUZZ
@given(cut=st.integers(0, 10_000), junk=st.binary(max_size=20))
def test_damaged_bytes_end_the_file_with_a_parse_error_only(cut: int, junk: bytes) -> None:
    body = document(record("1000001"), record("2000002"), record("3000003"))
    cut = cut % len(body)
    damaged = body[:cut] + junk + body[cut:]
    seen: list[object] = []
    try:
        seen.extend(iter_records_from(io.BytesIO(damaged), "damaged.xml"))
    except ParseError as exc:
        assert "damaged.xml" in str(exc)
    for rec in seen:
        assert isinstance(rec, Paper | RecordError | Deletion)
    # what ends before the damage is still delivered
    first_end = body.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")
    if cut > first_end + 200:
        assert isinstance(seen[0], Paper) and seen[0].pmid == "1000001"
