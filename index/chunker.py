"""Split articles into citable passages: one per paragraph, or sentence windows for long ones.

Token counts use tiktoken with the encodings that llama-index-core ships (offline: the
cache dir is set before tiktoken is imported). Each passage keeps its article, headline,
date, 1-based paragraph number, page (PDF) and character span. Embedding and storage live
elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.scope import carried_periods, month_of
from assistant.text import fold, split_sentences
from assistant.types import Article, Passage
from index.loader import lead_index

LEAD_MAX = 300
FOLLOWS_MAX = 300
# A paragraph opening like this continues the one before ("Trong đó, TP. Vinh 221 vụ").
_CONTINUES = re.compile(
    r"^\W*(?:trong do|trong so|cu the|rieng|theo dia ban|ve dia ban|"
    r"xet theo dia ban|theo dia phuong|tinh theo|phan theo|chia theo)\b"
)


@dataclass(frozen=True)
class ChunkSettings:
    encoding: str = "o200k_base"
    max_tokens: int = 160
    overlap_sentences: int = 1

    def to_json(self) -> dict:
        return {
            "encoding": self.encoding,
            "max_tokens": self.max_tokens,
            "overlap_sentences": self.overlap_sentences,
        }


def tiktoken_cache_dir() -> Path:
    """The tiktoken BPE files bundled with llama-index-core (no network needed)."""
    import importlib.util

    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed: run `make install`")
    return Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"


@lru_cache(maxsize=4)
def _encoding(name: str):
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(tiktoken_cache_dir()))
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = "o200k_base") -> int:
    return len(_encoding(encoding).encode(text, disallowed_special=()))


def article_context(article: Article) -> str:
    """Text that says what an article is about, added to each passage for retrieval:
    the headline, plus the lead sentence when the headline is a separate line (the lead:
    the first paragraph of news, not a byline or timestamp above it)."""
    first = article.paragraphs[lead_index(article.paragraphs)]
    spans = split_sentences(first)
    lead = first[spans[0][0] : spans[0][1]] if spans else first
    if len(lead) > LEAD_MAX:  # a lead with no sentence end: its first words
        lead = lead[:LEAD_MAX].rsplit(" ", 1)[0] + "…"
    if lead.startswith(article.title.rstrip("…")):
        return lead
    return f"{article.title}. {lead}"


def _pieces(text: str, a: int, b: int, settings: ChunkSettings) -> list[tuple[int, int]]:
    """The span a..b of `text` (one sentence) as is, or, when it is far over the token
    budget (no punctuation for pages), cut at spaces into spans that fit. A long but
    ordinary sentence stays whole (one window)."""
    size = count_tokens(text[a:b], settings.encoding)
    if size <= 3 * settings.max_tokens:
        return [(a, b)]
    n = -(-size // settings.max_tokens) + 1
    step = (b - a) / n
    cuts = [a]
    for k in range(1, n):
        at = text.rfind(" ", cuts[-1] + 1, a + round(k * step))
        if at > cuts[-1]:
            cuts.append(at + 1)
    return [(x, y) for x, y in zip(cuts, [*cuts[1:], b], strict=True) if text[x:y].strip()]


def _windows(paragraph: str, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Consecutive-sentence windows within the token budget, overlapping by N sentences."""
    if count_tokens(paragraph, settings.encoding) <= settings.max_tokens:
        return [(0, len(paragraph))]
    sentences = []
    for a, b in split_sentences(paragraph) or [(0, len(paragraph))]:
        sentences += _pieces(paragraph, a, b, settings)
    sizes = [count_tokens(paragraph[a:b], settings.encoding) for a, b in sentences]
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (j == i or total + sizes[j] <= settings.max_tokens):
            total += sizes[j]
            j += 1
        windows.append((sentences[i][0], sentences[j - 1][1]))
        if j >= len(sentences):
            break
        i = max(j - settings.overlap_sentences, i + 1)
    return windows


def passage_id(article_file: str, paragraph: int, text: str, *scope: str) -> str:
    """Content-addressed: an edit gives changed passages new ids (so old and new can live
    side by side until the manifest switches), unchanged ones keep theirs. `scope`: the
    article context and what the paragraph carries over from the ones before."""
    key = "\x00".join((article_file, str(paragraph), text, *scope))
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def chunk(article: Article, settings: ChunkSettings) -> list[Passage]:
    context = article_context(article)
    lead = article.paragraphs[lead_index(article.paragraphs)]
    carried = carried_periods(f"{article.title}. {lead}", list(article.paragraphs),
                              month_of(article.date))  # fmt: skip
    passages = []
    seen: set[str] = set()
    for number, paragraph in enumerate(article.paragraphs, start=1):
        follows = ""
        if number > 1 and _CONTINUES.match(fold(paragraph)):
            follows = article.paragraphs[number - 2][:FOLLOWS_MAX]
        page = article.page_of(number)
        # the page is part of the id only where there is one (other ids stay as they were)
        where = (str(page),) if page is not None else ()
        for start, end in _windows(paragraph, settings):
            pid = passage_id(article.file, number, paragraph[start:end], context,
                             carried[number - 1], follows, *where)  # fmt: skip
            if pid in seen:  # the same words twice in one paragraph: one passage is enough
                continue
            seen.add(pid)
            passages.append(
                Passage(
                    id=pid,
                    article=article.file,
                    title=article.title,
                    date=article.date,
                    paragraph=number,
                    start=start,
                    end=end,
                    text=paragraph[start:end],
                    paragraph_text=paragraph,
                    context=context,
                    carried=carried[number - 1],
                    follows=follows,
                    page=page,
                )
            )
    return passages
