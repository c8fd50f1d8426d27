"""A tiny PDF writer for the sample Action Pack (Latin-script text, built-in fonts).

Deterministic output (no dates, no ids) so a rebuild changes the file, and so its hash
and Telegram file_id, only when the text changes. Real editions are the organizers'.
"""

from __future__ import annotations

import textwrap
import zlib

__all__ = ["text_to_pdf"]

_PAGE_W, _PAGE_H, _MARGIN = 595, 842, 56  # A4 in points
_BODY, _TITLE, _HEADING = 11, 18, 13
_WRAP = 88


def _escape(line: str) -> bytes:
    data = line.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _layout(text: str) -> list[list[tuple[str, int, str]]]:
    """Split the text into pages of (font, size, line); the first line is the title."""
    lines: list[tuple[str, int, str]] = []
    paragraphs = text.strip().split("\n")
    for index, paragraph in enumerate(paragraphs):
        if index == 0:
            lines.append(("F2", _TITLE, paragraph))
        elif not paragraph.strip():
            lines.append(("F1", _BODY, ""))
        elif len(paragraph) < 60 and not paragraph.rstrip().endswith("."):
            lines.append(("F2", _HEADING, paragraph))
        else:
            lines += [("F1", _BODY, part) for part in textwrap.wrap(paragraph, _WRAP)]
    pages: list[list[tuple[str, int, str]]] = [[]]
    y: float = _PAGE_H - _MARGIN
    for font, size, line in lines:
        step = size * 1.45
        if y - step < _MARGIN:
            pages.append([])
            y = _PAGE_H - _MARGIN
        pages[-1].append((font, size, line))
        y -= step
    return pages


def text_to_pdf(text: str) -> bytes:
    """Return a PDF document of the text, wrapped onto A4 pages."""
    pages = _layout(text)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for page in pages:
        stream = [b"BT"]
        y: float = _PAGE_H - _MARGIN
        for font, size, line in page:
            stream.append(
                b"/%s %d Tf 1 0 0 1 %d %.1f Tm (%s) Tj"
                % (font.encode(), size, _MARGIN, y - size, _escape(line))
            )
            y -= size * 1.45
        stream.append(b"ET")
        body = zlib.compress(b"\n".join(stream), 9)
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(body), body)
        )
        content_ref = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (_PAGE_W, _PAGE_H, content_ref)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
