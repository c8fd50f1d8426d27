"""Build the sample Action Pack PDFs from their text, in any of the bot's languages.

fpdf2 lays the text out, with HarfBuzz (uharfbuzz) shaping it: Arabic letters join and
lines run right to left. The fonts are the Noto subsets under `fonts/` (SIL OFL, see
`fonts/OFL.txt`): Noto Sans for Latin script, Noto Naskh Arabic for Arabic, each the
other's fallback for the odd word in the other script. The output is deterministic (fixed
creation date, producer and file id derived from the content), so a rebuild changes the
file, its hash and its Telegram file_id only when the text does. Real editions are the
organizers'.
"""

from __future__ import annotations

from datetime import UTC, datetime

from babel import Locale
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from jfa_bot.content import FONTS_DIR

__all__ = ["is_rtl", "text_to_pdf"]

_FAMILIES = {
    "sans": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "naskh": ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
}
_SCRIPT = {"ar": ("arab", "ara")}  # HarfBuzz script and OpenType language per locale
# A fixed date: the PDF's bytes depend only on its text (and the fpdf2 version in the lock).
_CREATED = datetime(2025, 1, 1, tzinfo=UTC)
_BODY, _TITLE, _SUBTITLE, _HEADING = 11, 18, 13, 13
_MARGIN = 20  # millimetres


def is_rtl(locale: str) -> bool:
    """Return whether the locale's script runs right to left (Arabic, Hebrew, Persian...)."""
    return bool(Locale.parse(locale).text_direction == "rtl")


def _is_heading(paragraph: str) -> bool:
    # The sample's convention: a short line without a closing full stop is a heading.
    stripped = paragraph.rstrip()
    return len(stripped) < 60 and not stripped.endswith((".", "。", "۔"))


def text_to_pdf(text: str, *, locale: str) -> bytes:
    """Return an A4 PDF of the text: the first line is the title, short lines are headings."""
    rtl = is_rtl(locale)
    main, fallback = ("naskh", "sans") if locale in _SCRIPT else ("sans", "naskh")
    paragraphs = text.strip().split("\n")
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.set_creation_date(_CREATED)
    pdf.set_producer("JFA Bot")
    pdf.set_creator("jfa-bot content pdf")
    pdf.set_title(paragraphs[0].strip())
    pdf.set_lang(locale)
    for family, (regular, bold) in _FAMILIES.items():
        pdf.add_font(family, "", FONTS_DIR / regular)
        pdf.add_font(family, "B", FONTS_DIR / bold)
    pdf.set_fallback_fonts([fallback], exact_match=False)
    script, language = _SCRIPT.get(locale, (None, None))
    pdf.set_text_shaping(
        use_shaping_engine=True,
        direction="rtl" if rtl else "ltr",
        script=script,
        language=language,
    )
    align = Align.R if rtl else Align.L
    pdf.add_page()
    for index, paragraph in enumerate(paragraphs):
        if not paragraph.strip():
            pdf.ln(_BODY * 0.35)
            continue
        if index == 0:
            style, size = "B", _TITLE
        elif index == 1 and _is_heading(paragraph):
            style, size = "", _SUBTITLE
        elif _is_heading(paragraph):
            style, size = "B", _HEADING
            pdf.ln(size * 0.2)
        else:
            style, size = "", _BODY
        pdf.set_font(main, style, size)
        pdf.multi_cell(
            0,
            size * 0.55,
            paragraph.strip(),
            align=align,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    return bytes(pdf.output())
