"""llama-index `Document`s, from any llama-index reader, as `Article`s, and indexed.

`build_from_documents(documents, index_dir, embedder, settings)` indexes them the way
`assistant index` indexes a folder (see `index.build.build_from_articles`). How a
Document maps to an article:

- Documents from the same file (`metadata["file_path"]`, else `file_name`, else the
  Document's id) are parts of one article, in page order when they give a page
  (`page_label`, `page`, `page_number`: a PDF reader's one Document per page), else in the
  order given; each paragraph then keeps the page it starts on;
- the article's name (what citations show) is the file name, or the whole path where two
  files share a name;
- the text is cleaned like a file's (`index.loader`; HTML and Markdown by the name's
  extension); `metadata["title"]` and a `metadata["date"]` ("2023-03", "2023-03-14…") win
  over what the text says.
A Document with no text left after cleaning is skipped with its reason, as a bad file is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path, PurePath
from typing import Any

from assistant.types import Article
from index.build import IndexReport, build_from_articles
from index.chunker import ChunkSettings
from index.embedder import Embedder
from index.loader import UnreadableArticle, from_lines, text_lines

log = logging.getLogger(__name__)

PAGE_KEYS = ("page_label", "page", "page_number")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})\b")


def _source(document: Any) -> str:
    meta = document.metadata or {}
    return str(meta.get("file_path") or meta.get("file_name") or document.doc_id)


def _name(document: Any) -> str:
    meta = document.metadata or {}
    if meta.get("file_name"):
        return str(meta["file_name"])
    return PurePath(_source(document)).name or _source(document)


def _page(meta: dict) -> int | None:
    for key in PAGE_KEYS:
        value = str(meta.get(key, "")).strip()
        if value.isdigit():
            return int(value)
    return None


def _article(name: str, parts: list[Any]) -> Article:
    pages = [_page(d.metadata or {}) for d in parts]
    paged = all(p is not None for p in pages) and len(parts) > 0
    if paged:
        order = sorted(range(len(parts)), key=lambda i: pages[i])
        parts, pages = [parts[i] for i in order], [pages[i] for i in order]
    suffix = PurePath(name).suffix.lower()
    lines: list[str] = []
    line_pages: list[int] = []
    title = ""
    for document, page in zip(parts, pages, strict=True):
        part_lines, part_title = text_lines(document.text or "", suffix)
        title = title or part_title
        lines += part_lines
        line_pages += [page or 0] * len(part_lines)
    meta = parts[0].metadata or {}
    title = str(meta.get("title") or title)
    article = from_lines(lines, name, title, line_pages if paged else None)
    if m := _DATE.match(str(meta.get("date") or "")):
        article = replace(article, date=f"{m.group(1)}-{int(m.group(2)):02d}")
    return article


def articles_from_documents(
    documents: Iterable[Any],
) -> tuple[list[Article], list[tuple[str, str]]]:
    """(articles, skipped): one Article per name; (name, reason) for those with no text."""
    groups: dict[str, list[Any]] = {}
    for document in documents:
        groups.setdefault(_source(document), []).append(document)
    names = {source: _name(parts[0]) for source, parts in groups.items()}
    shared = {n for n in names.values() if list(names.values()).count(n) > 1}
    named = {(names[s] if names[s] not in shared else s): parts for s, parts in groups.items()}
    articles, skipped = [], []
    for name, parts in named.items():
        try:
            articles.append(_article(name, parts))
        except UnreadableArticle as exc:
            skipped.append((name, str(exc)))
    return articles, skipped


def build_from_documents(
    documents: Iterable[Any],
    index_dir: Path,
    embedder: Embedder,
    settings: ChunkSettings,
    rebuild: bool = False,
    progress: bool = False,
    chroma_url: str = "",
) -> IndexReport:
    """Index exactly these Documents into `index_dir` (new ones added, changed ones
    re-chunked, articles no longer among them removed); what changed, and what was skipped
    and why."""
    articles, skipped = articles_from_documents(documents)
    report = build_from_articles(articles, index_dir, embedder, settings, rebuild=rebuild,
                                 progress=progress, chroma_url=chroma_url)  # fmt: skip
    report.skipped[:0] = skipped
    return report
