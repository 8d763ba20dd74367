"""Read article files (.txt, .md, .html, .docx, .pdf) into clean `Article`s.

Covers: decoding (UTF-8 with/without BOM, UTF-16 with BOM, Windows-1258 fallback), NFC
normalisation, the `date YYYY-MM` marker some articles start with (else the month of the
lead's dateline, "Chiều 14/3/2023"), the headline, scraping
debris (`.jpg) |`, lone `|`), odd whitespace, Markdown/HTML markup. Photo captions stay
as text. Word and PDF files are read into lines by `index.formats` (a PDF's paragraphs
keep their page), then cleaned by the same rules (`from_lines`). It does not chunk (see
`index.chunker`).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from assistant.scope import article_month, latest_month
from assistant.text import nfc, split_sentences
from assistant.types import Article
from index.formats import FormatError, read_docx, read_pdf

SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
BINARY_READERS = {".docx": read_docx, ".pdf": read_pdf}

_DATE = re.compile(r"^\s*date\s+(\d{4})-(\d{1,2})(?:-\d{1,2})?\b\s*")
_DEBRIS = re.compile(
    r"^(?:[|\s]*|\S*\.(?:jpe?g|png|gif|webp)\)?\s*\|?\s*|[\W_]+)$", re.IGNORECASE | re.UNICODE
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff\u200c-\u200f]")
_TITLE_MAX = 220
# A "paragraph" longer than this (a whole file on one line, say) is cut into several at
# sentence ends, and sentences longer than _SENTENCE_MAX at spaces: every passage and
# every cited paragraph then stays a readable size.
PARAGRAPH_MAX = 3000
_SENTENCE_MAX = 600
MAX_ARTICLE_BYTES = 20_000_000


class UnreadableArticle(ValueError):
    """The file is not an article we can read; the message says why."""


def decode(raw: bytes) -> str:
    """Bytes to text: BOM-marked UTF-8/UTF-16, then UTF-8, then Windows-1258."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw[:4096]:
        raise UnreadableArticle("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1258")
        except UnicodeDecodeError as exc:
            raise UnreadableArticle("not UTF-8, UTF-16 or Windows-1258 text") from exc


class _HTMLText(HTMLParser):
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "figcaption",
              "section", "article", "header", "footer", "blockquote", "title"}  # fmt: skip
    _SKIP = {"script", "style", "noscript", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._SKIP:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag == "h1":
            self._in_h1 = True
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag == "h1":
            self._in_h1 = False
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title or (self._in_h1 and not self.title):
            self.title += data
        if not self._skip:
            self.parts.append(data)


def _html_to_text(text: str) -> tuple[str, str]:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    body = "".join(parser.parts)
    title = parser.title.strip()
    if title and body.lstrip().startswith(title):
        body = body.lstrip()[len(title) :]
    return body, title


def _markdown_to_text(text: str) -> tuple[str, str]:
    title = ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            heading = re.match(r"^\s*#{1,6}\s+(.*)$", line)
            if heading:
                title = heading.group(1).strip()
                lines = lines[i + 1 :]
            break
    body = "\n".join(lines)
    body = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", body)  # images: keep alt text
    body = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", body)  # links: keep text
    body = re.sub(r"^\s*#{1,6}\s+", "", body, flags=re.MULTILINE)
    body = re.sub(r"(\*\*|__|`)", "", body)
    return body, title


def _clean_line(line: str) -> str:
    return _SPACES.sub(" ", _CONTROL.sub("", line)).strip()


def _looks_like_headline(line: str, rest: list[str]) -> bool:
    return (
        bool(rest)
        and len(line) <= _TITLE_MAX
        and not re.search(r"[.!?…:;,]$", line)
        and not re.match(r"^\(", line)
    )


def _cut(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at spaces where there are any."""
    pieces = []
    while len(text) > limit:
        at = text.rfind(" ", 0, limit + 1)
        at = at if at > limit // 2 else limit
        pieces.append(text[:at].strip())
        text = text[at:].strip()
    return [*pieces, text] if text else pieces


def split_long(paragraph: str) -> list[str]:
    """A paragraph over PARAGRAPH_MAX characters as several, each at most that long."""
    if len(paragraph) <= PARAGRAPH_MAX:
        return [paragraph]
    sentences = []
    for a, b in split_sentences(paragraph) or [(0, len(paragraph))]:
        sentences += _cut(paragraph[a:b], _SENTENCE_MAX)
    out, current = [], ""
    for sentence in sentences:
        if current and len(current) + 1 + len(sentence) > PARAGRAPH_MAX:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    return [*out, current] if current else out


def _paragraphs(lines: list[str], pages: list[int] | None = None) -> tuple[list[str], list[int]]:
    """Non-empty lines are paragraphs; a line starting in lower case continues the last one
    (a caption or sentence broken over two lines). Over-long ones are split. With `pages`
    (one per line), also the page each paragraph starts on."""
    out: list[str] = []
    starts: list[int] = []
    for i, line in enumerate(lines):
        if not line or _DEBRIS.match(line):
            continue
        if out and line[0].islower() and not re.search(r"[.!?…]$", out[-1]):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
            starts.append(pages[i] if pages else 0)
    pieces = [(piece, page) for paragraph, page in zip(out, starts, strict=True)
              for piece in split_long(paragraph)]  # fmt: skip
    return [p for p, _ in pieces], [page for _, page in pieces] if pages else []


def lead_index(paragraphs: list[str] | tuple[str, ...]) -> int:
    """The first paragraph that is a sentence of news, not a byline or a timestamp
    ("NGUYỄN NGHĨA 06:38, 31/03/2023"): twelve words or more."""
    return next((i for i, p in enumerate(paragraphs[:4]) if len(p.split()) >= 12), 0)


def text_lines(text: str, suffix: str = ".txt") -> tuple[list[str], str]:
    """Raw article text as lines without markup (HTML, Markdown by `suffix`), and the
    headline the markup names ("" if none)."""
    text = nfc(text.replace("\r\n", "\n").replace("\r", "\n"))
    title = ""
    if suffix in (".html", ".htm"):
        text, title = _html_to_text(text)
        title = html.unescape(title)
    elif suffix == ".md":
        text, title = _markdown_to_text(text)
    return text.split("\n"), title


def parse(text: str, file: str, suffix: str = ".txt") -> Article:
    """Turn raw article text into an `Article` (raises UnreadableArticle if it has no text)."""
    lines, title = text_lines(text, suffix)
    return from_lines(lines, file, title)


def from_lines(
    lines: list[str], file: str, title: str = "", pages: list[int] | None = None
) -> Article:
    """An `Article` from its text lines (a known headline, and the page of each line for
    paged formats): cleaning, date marker, headline and paragraphs as for any article."""
    cleaned = [(_clean_line(nfc(line)), pages[i] if pages else 0) for i, line in enumerate(lines)]
    kept = [(line, page) for line, page in cleaned if line and not _DEBRIS.match(line)]
    lines, pages = [line for line, _ in kept], ([page for _, page in kept] if pages else None)

    def drop(i: int) -> None:
        del lines[i]
        if pages:
            del pages[i]

    title = nfc(title)
    date = None
    if lines and (m := _DATE.match(lines[0])):
        date = f"{m.group(1)}-{int(m.group(2)):02d}"
        lines[0] = lines[0][m.end() :].strip()
        if not lines[0]:
            drop(0)
    else:  # a line of its own under the headline: "Headline / date 2022-03 / text"
        for i, line in enumerate(lines[1:3], start=1):
            if (m := _DATE.match(line)) and m.end() == len(line):
                date = f"{m.group(1)}-{int(m.group(2)):02d}"
                drop(i)
                break
    # site crumbs above the headline ("Hà Nội", "Xã hội"): a line of three words or fewer
    while not title and len(lines) > 2 and len(lines[0].split()) <= 3:
        drop(0)
    if not title and lines and _looks_like_headline(lines[0], lines[1:]):
        title = lines[0]
        drop(0)
    paragraphs, starts = _paragraphs(lines, pages)
    if not paragraphs:
        raise UnreadableArticle("no text after cleaning")
    if not title:
        first = paragraphs[0]
        a, b = split_sentences(first)[0]
        title = first[a:b]
        if len(title) > _TITLE_MAX:
            title = title[: _TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
    if date is None:  # no date line: the dateline of the lead ("Chiều 14/3/2023, …")
        # the lead with a byline's timestamp above it and the paragraphs just after
        lead = " ".join(paragraphs[: lead_index(paragraphs) + 2])
        found = article_month(lead[:800], title) or latest_month(paragraphs)
        date = f"{found[0]}-{found[1]:02d}" if found else None
    return Article(file=file, title=_clean_line(title), date=date, paragraphs=tuple(paragraphs),
                   pages=tuple(starts))  # fmt: skip


def load(path: Path, name: str | None = None) -> Article:
    """Read and parse one article file; `name` (default: the file name) identifies it."""
    size = path.stat().st_size
    if size > MAX_ARTICLE_BYTES:
        raise UnreadableArticle(
            f"too large for an article ({size / 1e6:.1f} MB; the limit is "
            f"{MAX_ARTICLE_BYTES / 1e6:.0f} MB)"
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise UnreadableArticle("empty file")
    name = name or path.name
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if suffix in BINARY_READERS:
        try:
            read = BINARY_READERS[suffix](raw)
        except FormatError as exc:
            raise UnreadableArticle(str(exc)) from exc
        article = from_lines(read.lines, name, read.title, read.pages)
    else:
        article = parse(decode(raw), name, suffix)
    return replace(article, sha256=hashlib.sha256(raw).hexdigest())


def article_files(folder: Path) -> list[Path]:
    """Article files directly in `folder` or below it, sorted by name."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in SUFFIXES
        and (p.is_file() or p.is_symlink())  # broken links: reported
    )
