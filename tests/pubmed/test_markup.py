"""Inline markup: plain text with markup removed, html with only the five inline tags."""

from __future__ import annotations

import pytest
from lxml import etree

from litfeed.pubmed.markup import escape_text, plain_text, text_and_html


def element(xml: str):
    return etree.fromstring(xml)


@pytest.mark.parametrize(
    ("xml", "text", "html"),
    [
        ("<T>p &lt; 0.05 &amp; n &gt; 10</T>", "p < 0.05 & n > 10", "p &lt; 0.05 &amp; n &gt; 10"),
        ("<T>  padded  </T>", "padded", "padded"),
        ("<T/>", "", ""),
        ("<T>10<sup>-3</sup> M</T>", "10-3 M", "10<sup>-3</sup> M"),
        ('<T><i class="x" style="y">E. coli</i> <b>and</b> <u>u</u> H<sub>2</sub>O</T>',
         "E. coli and u H2O", "<i>E. coli</i> <b>and</b> <u>u</u> H<sub>2</sub>O"),
        ("<T>a<span>b<i>c</i></span>d</T>", "abcd", "ab<i>c</i>d"),
        ("<T>x<!-- note -->y<?pi data?>z</T>", "xyz", "xyz"),
        ("<T>before<script>alert(1)</script>after</T>", "beforeafter", "beforeafter"),
        ("<T>a &lt;b&gt; <i>&lt;c&gt;</i></T>", "a <b> <c>", "a &lt;b&gt; <i>&lt;c&gt;</i>"),
        ('<T>T<m:msub xmlns:m="http://www.w3.org/1998/Math/MathML"><m:mi>x</m:mi>'
         "<m:mn>1</m:mn></m:msub></T>", "Tx1", "Tx1"),
        ("<T>R&#233;sum&#233; &#174;</T>", "Résumé ®", "Résumé ®"),
    ],
)
def test_text_and_html(xml, text, html):
    assert text_and_html(element(xml)) == (text, html)


def test_plain_text():
    assert plain_text(element("<K>edge <i>cases</i></K>")) == "edge cases"
    assert plain_text(element("<K> plain </K>")) == "plain"
    assert plain_text(element("<K/>")) == ""


def test_escape_text():
    assert escape_text("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape_text("nothing to do") == "nothing to do"
