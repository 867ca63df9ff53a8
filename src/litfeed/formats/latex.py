"""Text into BibTeX field values, in the two encodings BibTeX users meet.

``utf-8`` (the default) writes letters as they are and escapes only LaTeX's special characters;
this is what biblatex with biber expects, and what pdfLaTeX reads too when the document loads
``inputenc`` (the default since LaTeX 2018) — only symbols its fonts lack (Greek letters, ``≥``)
then need ``\\usepackage{textgreek}``-style help, or XeLaTeX/LuaLaTeX. ``latex`` writes every
non-ASCII character as a LaTeX command (``{\\"U}nal``), for classic BibTeX and old toolchains.
"""

from __future__ import annotations

import re
from typing import Literal

from pylatexenc.latexencode import UnicodeToLatexEncoder

Encoding = Literal["utf-8", "latex"]

# Braces are handled first (see _braces); the others have one safe spelling each.
_SPECIALS = {
    "\\": r"\textbackslash{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile(r"[\\%&$#_~^{}]")

# a word's opening brackets/quotes, its core, and its closing punctuation
_PUNCTUATED = re.compile(r"^([\[(\"'`]*)(.*?)([\])\"'.,;:!?]*)$", re.DOTALL)

_ASCII_ENCODER = UnicodeToLatexEncoder(
    non_ascii_only=True, replacement_latex_protection="braces-all", unknown_char_policy="keep"
)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def escape(text: str, encoding: Encoding = "utf-8") -> str:
    """``10% of A&E`` → ``10\\% of A\\&E``; with ``latex`` also ``Ü`` → ``{\\"U}``.

    Literal braces become ``\\{``/``\\}`` only when they pair up, because BibTeX counts every
    brace (escaped or not) when it looks for the end of a field.
    """
    balanced = _balanced(text)

    def replace(match: re.Match[str]) -> str:
        char = match.group(0)
        if char in "{}":
            if balanced:
                return "\\" + char
            return r"\textbraceleft{}" if char == "{" else r"\textbraceright{}"
        return _SPECIALS[char]

    escaped = _SPECIAL_RE.sub(replace, text)
    if encoding == "latex":
        escaped = _ASCII_ENCODER.unicode_to_latex(escaped)
    return escaped


def protect_case(escaped: str) -> str:
    """Brace every word with a capital after the title's first letter: ``{COVID}-19``, ``{mRNA}``.

    BibTeX styles lower-case titles; PubMed titles are already in sentence case, so only the
    capitals that must survive (acronyms, names, genes) are protected, and the first word keeps
    its capital either way.
    """
    out = []
    for index, word in enumerate(escaped.split(" ")):
        lead, core, trail = _PUNCTUATED.match(word).groups()  # type: ignore[union-attr]
        letters = re.sub(r"\\[A-Za-z]+", "", core)  # ignore command names like \textbackslash
        check = letters[1:] if index == 0 else letters
        if any(c.isupper() for c in check) and not (core.startswith("{") and core.endswith("}")):
            core = "{" + core + "}"
        out.append(lead + core + trail)
    return " ".join(out)
