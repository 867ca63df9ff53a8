"""The transcript as a PDF (ReportLab): a page a CME office can file or a board can read.

Set in Bitstream Vera, which ships with ReportLab and covers Latin accents and ™ — the PDF looks
the same on every server and keeps names like "Ayşe Ünal" intact. Text stays text (no images),
so it can be searched and extracted.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from litfeed.cme.credits import format_credits
from litfeed.cme.transcript import Entry, Transcript

FONT, BOLD = "LitfeedVera", "LitfeedVera-Bold"
_fonts_lock = threading.Lock()
_fonts_ready = False
INK = colors.HexColor("#15201f")
MUTED = colors.HexColor("#5b6866")
LINE = colors.HexColor("#dde3e0")


def _register_fonts() -> None:
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        folder = Path(reportlab.__file__).resolve().parent / "fonts"
        pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(folder / "VeraBd.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT,
                                      boldItalic=BOLD)
        _fonts_ready = True


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5, textColor=INK)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=16, leading=20,
                                spaceAfter=2 * mm),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=11.5, leading=15,
                             spaceBefore=4 * mm, spaceAfter=2 * mm),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11,
                                textColor=MUTED),
        "cite": ParagraphStyle("cite", parent=base, fontSize=8.5, leading=11, leftIndent=4 * mm,
                               bulletIndent=0),
    }


def _p(text: str | None, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _entry(number: int, entry: Entry, st: dict[str, ParagraphStyle]) -> KeepTogether:
    head = (f"<b>{number}. {escape(entry.date)}</b> · {escape(format_credits(entry.credits))} "
            f"credit · {escape(entry.credit_type)}")
    rows: list[list[object]] = [
        [_p("Clinical question", st["small"]), _p(entry.question, st["body"])],
    ]
    if entry.query:
        rows.append([_p("Search", st["small"]), _p(entry.query, st["body"])])
    rows.append([_p("Sources", st["small"]),
                 [Paragraph(escape(c), st["cite"], bulletText=f"{i}.")
                  for i, c in enumerate(entry.citations, 1)]])
    application = entry.application + (f": {entry.application_text}"
                                       if entry.application_text else "")
    rows.append([_p("Application to practice", st["small"]), _p(application, st["body"])])
    table = Table(rows, colWidths=[40 * mm, None])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return KeepTogether([Paragraph(head, st["body"]), Spacer(0, 1.5 * mm), table,
                         Spacer(0, 4 * mm)])


def _totals(transcript: Transcript, st: dict[str, ParagraphStyle]) -> Table:
    rows: list[list[object]] = [[_p("Year", st["small"]), _p("Credit type", st["small"]),
                                 _p("Activities", st["small"]), _p("Credits", st["small"])]]
    for t in transcript.totals:
        rows.append([_p(str(t.year), st["body"]), _p(t.credit_type, st["body"]),
                     _p(str(t.activities), st["body"]), _p(format_credits(t.credits), st["body"])])
    rows.append([_p("", st["body"]), Paragraph("<b>Total</b>", st["body"]),
                 Paragraph(f"<b>{len(transcript.entries)}</b>", st["body"]),
                 Paragraph(f"<b>{format_credits(transcript.total_credits)}</b>", st["body"])])
    table = Table(rows, colWidths=[18 * mm, None, 22 * mm, 20 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, LINE),
        ("LINEABOVE", (0, -1), (-1, -1), 0.6, LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def to_pdf(transcript: Transcript) -> bytes:
    """The transcript as PDF bytes (A4; fits US Letter margins too)."""
    _register_fonts()
    st = _styles()
    scope = f"Year {transcript.year}" if transcript.year else "All years"
    who = transcript.reader_name + (f" ({transcript.reader_email})"
                                    if transcript.reader_email != transcript.reader_name else "")
    story: list[object] = [
        _p("CME transcript — Internet point-of-care learning", st["title"]),
        _p(f"Physician: {who}", st["body"]),
        _p(f"{scope} · dates in {transcript.timezone} · generated {transcript.generated_on}",
           st["small"]),
    ]
    if transcript.provider_name:
        role = "Accredited provider" if transcript.accredited else "Submitted to"
        story.append(_p(f"{role}: {transcript.provider_name}", st["body"]))
    story += [_p("Activities", st["h2"])]
    if not transcript.entries:
        story.append(_p("No completed learning cycles in this period.", st["body"]))
    story += [_entry(i, e, st) for i, e in enumerate(transcript.entries, 1)]
    story += [_p("Totals", st["h2"]), _totals(transcript, st),
              _p("Statement", st["h2"]), _p(transcript.statement, st["body"])]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm,
                            title=f"CME transcript — {transcript.reader_name}",
                            author="litfeed", subject=scope)
    doc.build(story)
    return buffer.getvalue()
