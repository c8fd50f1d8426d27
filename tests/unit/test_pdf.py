"""The Action Pack PDFs carry their text in every language, Arabic shaped and right to left."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from jfa_bot.content import SAMPLE_DIR
from jfa_bot.content.pdf import text_to_pdf

SOURCES = sorted(SAMPLE_DIR.glob("*/action-pack.txt"))
ARABIC = """العدالة للجميع - حقيبة العمل
استخدام موجز السياسات

اختر قضية محلية
اكتب المشكلة التي يواجهها الناس في مجتمعك مع القانون في جملة واحدة، ثم شارك العريضة \
بالوسم \u2066#JusticeForAll\u2069 وأرسل الأمر \u2066/mydata\u2069 إلى البوت."""


def _page_text(pdf: bytes) -> str:
    """Return the text of every page, presentation forms folded back into letters."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _words(line: str) -> list[str]:
    return [word for word in re.findall(r"\w+", line) if len(word) >= 4]


def test_the_sample_covers_every_language_but_arabic_at_least() -> None:
    locales = {source.parent.name for source in SOURCES}
    assert {"en", "fr", "es", "pt", "sw"} <= locales


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.parent.name)
def test_each_action_pack_pdf_is_the_rebuild_of_its_text(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    pdf = text_to_pdf(text, locale=source.parent.name)
    assert pdf == text_to_pdf(text, locale=source.parent.name), "the build is not deterministic"
    assert pdf == source.with_suffix(".pdf").read_bytes(), "run `jfa-bot content pdf`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.parent.name)
def test_a_reader_finds_the_words_of_each_heading_in_the_pdf(source: Path) -> None:
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    headings = [lines[0]] + [line for line in lines[1:] if not line.rstrip().endswith(".")]
    read_back = _page_text(source.with_suffix(".pdf").read_bytes())
    expected = [word for heading in headings for word in _words(heading)]
    assert len(expected) >= 5
    missing = [word for word in expected if unicodedata.normalize("NFKC", word) not in read_back]
    assert missing == []


def test_an_arabic_action_pack_reads_back_in_arabic() -> None:
    read_back = _page_text(text_to_pdf(ARABIC, locale="ar"))
    for word in ("العدالة", "للجميع", "حقيبة", "قضية", "محلية", "العريضة", "JusticeForAll"):
        assert word in read_back
    assert "Action Pack" not in read_back


def _arabic_font(pdf: bytes) -> tuple[str, dict[str, int]]:
    """Return the Arabic font's name and how many glyphs it maps to each character."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        if "Naskh" in str(font["/BaseFont"]):
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            glyphs: dict[str, int] = {}
            for _glyph, code in re.findall(r"<([0-9A-Fa-f]+)> <([0-9A-Fa-f]{4})>", cmap):
                char = chr(int(code, 16))
                glyphs[char] = glyphs.get(char, 0) + 1
            return str(font["/BaseFont"]), glyphs
    raise AssertionError("no Arabic font in the PDF")


def test_arabic_letters_are_joined_by_the_shaping_engine() -> None:
    # Shaped text draws a letter with a different glyph at the start, middle and end of a
    # word; without shaping each letter would have one (isolated) glyph.
    name, glyphs = _arabic_font(text_to_pdf(ARABIC, locale="ar"))
    assert "NotoNaskhArabic" in name
    assert glyphs["ع"] >= 2  # العدالة (medial), مجتمعك (medial), جملة ... at least two forms
    assert glyphs["ل"] >= 2


def test_arabic_lines_are_set_from_the_right_margin() -> None:
    page = PdfReader(io.BytesIO(text_to_pdf(ARABIC, locale="ar"))).pages[0]
    starts: dict[str, float] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip() and "حقيبة" in text:
            starts[text] = tm[4]

    page.extract_text(visitor_text=visit)
    width = float(page.mediabox.width)
    # The short title is right-aligned: it starts well past the middle of an A4 page.
    assert starts and min(starts.values()) > width / 2
