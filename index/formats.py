"""Text out of the binary article formats: Word (`.docx`, python-docx) and PDF with a text
layer (`.pdf`, pypdf), as paragraph lines that `index.loader` cleans like any article.

- `.docx`: one line per Word paragraph (soft line breaks joined), table rows as cells
  joined by " | ", in document order; a leading "Title"/"Heading 1" paragraph is the
  headline.
- `.pdf`: a PDF's lines are visual lines, so paragraphs are rebuilt from where the lines
  sit: a new paragraph where the font size changes, where the gap to the line above is
  clearly wider than the page's usual line spacing, or after a short line that ends a
  sentence. A paragraph that runs over a page break is one paragraph; each paragraph keeps
  the page it starts on. Bare page numbers ("3", "- 3 -", "Trang 3") are dropped.
  A PDF with no text layer (scanned), or with scanned pages among text pages, is refused
  whole (`UnreadableArticle`): it is never half-indexed. OCR is out of scope.
Cleaning, headline and date rules are `index.loader`'s.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from dataclasses import dataclass

log = logging.getLogger(__name__)

# A paragraph's end: sentence punctuation, possibly inside closing quotes or brackets.
_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
_PAGE_NUMBER = re.compile(r"^(?:[-–—\s]*\d{1,4}[-–—\s]*|(?:trang|page)\s+\d{1,4}(?:\s*/\s*\d+)?"
                          r"|\d{1,4}\s*/\s*\d{1,4})$", re.IGNORECASE)  # fmt: skip
SHORT_LINE = 0.75  # a line under this share of the page's full lines is a paragraph's last
WIDE_GAP = 1.35  # a gap this many times the usual line spacing separates paragraphs


class FormatError(ValueError):
    """The file cannot be read in its format; the message says why (one line)."""


@dataclass(frozen=True)
class Lines:
    """Paragraph lines read from a file, the page each starts on (PDF), the headline if
    the format marks one."""

    lines: list[str]
    pages: list[int] | None = None
    title: str = ""


# -- Word ---------------------------------------------------------------------------------


def read_docx(raw: bytes) -> Lines:
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx raises zip, XML and package errors alike
        raise FormatError(f"not a readable .docx file ({type(exc).__name__}: {exc})") from exc
    lines: list[str] = []
    title = ""
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = []
                for cell in row.cells:  # merged cells repeat: keep each text once
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                if cells:
                    lines.append(" | ".join(cells))
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        style = (block.style.name if block.style is not None else "").lower()
        if not title and not lines and style in ("title", "heading 1"):
            title = text
            continue
        lines.append(text)
    return Lines(lines, None, title)


# -- PDF ----------------------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    y: float | None  # baseline height on the page (PDF units, up is larger)
    size: float | None  # font size


def _page_lines(page) -> list[_Line]:
    """The page's text lines as pypdf extracts them, each with its height and font size
    (from the first piece of text on it)."""
    lines: list[_Line] = []
    current = _Line("", None, None)

    def visit(text, cm, tm, font, size) -> None:
        nonlocal current
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append(current)
                current = _Line("", None, None)
            if piece.strip() and current.y is None:
                current.y = tm[5] * cm[3] + cm[5]
                current.size = abs(size * tm[3] * cm[3]) or size
            current.text += piece

    page.extract_text(visitor_text=visit)
    lines.append(current)
    return [line for line in lines if line.text.strip()]


def _usual_gaps(pages: list[list[_Line]]) -> dict[float, float]:
    """Per font size, the usual spacing between two lines of one paragraph, over the whole
    document: the lower quartile of the gaps between consecutive lines of that size on a
    page (the smallest when there are few)."""
    gaps: dict[float, list[float]] = {}
    for lines in pages:
        for a, b in zip(lines, lines[1:], strict=False):
            if a.y is not None and b.y is not None and a.size == b.size and a.y > b.y:
                gaps.setdefault(round(a.size or 0, 1), []).append(a.y - b.y)
    return {size: statistics.quantiles(g, n=4)[0] if len(g) >= 4 else min(g)
            for size, g in gaps.items()}  # fmt: skip


def _breaks(lines: list[_Line], usual: dict[float, float], full: int) -> list[bool]:
    """For each line of a page: does a new paragraph start with it? `usual`: the line
    spacing per font size; `full`: the length of a full line."""
    out = [True]
    for above, line in zip(lines, lines[1:], strict=False):
        text = above.text.strip()
        short_end = bool(_ENDS_SENTENCE.search(text)) and len(text) < SHORT_LINE * full
        if above.y is None or line.y is None:
            out.append(short_end)
            continue
        size_change = abs((above.size or 0) - (line.size or 0)) > 0.5
        gap = above.y - line.y
        spacing = usual.get(round(above.size or 0, 1), 0)
        wide = spacing > 0 and gap > WIDE_GAP * spacing
        # a jump up the page is a new column: the paragraph goes on unless it had ended
        column = gap <= 0 and bool(_ENDS_SENTENCE.search(text))
        out.append(size_change or wide or short_end or column)
    return out


def read_pdf(raw: bytes) -> Lines:
    try:
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FormatError("an encrypted PDF: save it without a password and add it again")
        pages = list(reader.pages)
    except FormatError:
        raise
    except Exception as exc:  # pypdf's errors for broken files
        raise FormatError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    text_pages: list[list[_Line]] = []
    scanned: list[int] = []
    for number, page in enumerate(pages, start=1):
        try:
            lines = [line for line in _page_lines(page)
                     if not _PAGE_NUMBER.match(line.text.strip())]  # fmt: skip
        except Exception as exc:
            raise FormatError(f"page {number} of the PDF cannot be read ({exc})") from exc
        if not lines and _has_images(page):
            scanned.append(number)
        text_pages.append(lines)
    if scanned and not any(text_pages):
        raise FormatError(
            f"a scanned PDF with no text layer ({len(pages)} page(s) of images): make it "
            "searchable with OCR (e.g. ocrmypdf) and add it again"
        )
    if scanned:
        listed = ", ".join(map(str, scanned[:5])) + ("…" if len(scanned) > 5 else "")
        raise FormatError(
            f"page(s) {listed} of the PDF are scanned images without a text layer: run OCR "
            "on the whole file (e.g. ocrmypdf) and add it again"
        )
    usual = _usual_gaps(text_pages)
    widths = sorted(len(line.text.strip()) for lines in text_pages for line in lines)
    full = widths[int(0.9 * (len(widths) - 1))] if widths else 0
    paragraphs: list[str] = []
    starts: list[int] = []
    for number, lines in enumerate(text_pages, start=1):
        for line, new in zip(lines, _breaks(lines, usual, full), strict=True):
            text = " ".join(line.text.split())
            ended = not paragraphs or bool(_ENDS_SENTENCE.search(paragraphs[-1]))
            if paragraphs and (not new or (line is lines[0] and not ended)):
                paragraphs[-1] = f"{paragraphs[-1]} {text}"  # goes on (over the page break)
            else:
                paragraphs.append(text)
                starts.append(number)
    if not paragraphs:
        raise FormatError("a PDF without any text")
    return Lines(paragraphs, starts)


def _has_images(page) -> bool:
    try:
        return bool(page.images)
    except Exception:  # an image pypdf cannot decode is still an image
        log.debug("cannot list the images of a PDF page", exc_info=True)
        return True
