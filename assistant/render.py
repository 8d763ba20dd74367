"""How an `Answer` is shown: HTML for the web chat, plain text for the API and the CLI.

Web: `[n]` markers become superscript links to the numbered "Nguồn" list under the answer;
each source shows headline, date, file, page (PDF) and paragraph, with the supporting
sentence highlighted, long paragraphs trimmed around it and expandable. Everything taken from an
article or the model is HTML-escaped. Layout and events are in `assistant.web`.
"""

from __future__ import annotations

import html
import itertools
import re

from assistant.types import Answer, Citation

MARKER = re.compile(r"\[(\d+)\]")
TRIM_AT = 360  # paragraphs longer than this are shown trimmed around the highlight
CONTEXT_CHARS = 110  # characters kept on each side of the highlighted sentence

_ids = itertools.count(1)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _highlight(paragraph: str, quote: str) -> tuple[str, str | None]:
    """(shown, full): the paragraph with the quote in <mark>, trimmed around it when long
    (then `full` is the whole paragraph, highlighted, for the expandable part)."""
    at = paragraph.find(quote) if quote else -1
    if at < 0:  # the quote is not verbatim in the paragraph: show the paragraph plainly
        start, end = 0, 0
    else:
        start, end = at, at + len(quote)

    def marked(a: int, b: int) -> str:
        if end <= start or b <= start or a >= end:
            return _esc(paragraph[a:b])
        s, e = max(a, start), min(b, end)
        return (
            _esc(paragraph[a:s])
            + "<mark>"
            + _esc(paragraph[s:e])
            + "</mark>"
            + _esc(paragraph[e:b])
        )

    full = marked(0, len(paragraph))
    if len(paragraph) <= TRIM_AT:
        return full, None
    if end <= start:
        start = end = 0
    a = max(0, start - CONTEXT_CHARS)
    b = min(len(paragraph), max(end + CONTEXT_CHARS, a + TRIM_AT // 2))
    if a > 0:  # cut at a word boundary
        space = paragraph.find(" ", a)
        a = space + 1 if 0 <= space < start else a
    if b < len(paragraph):
        space = paragraph.rfind(" ", end, b)
        b = space if space > end else b
    shown = ("… " if a > 0 else "") + marked(a, b) + (" …" if b < len(paragraph) else "")
    return shown, full


def _source_html(uid: str, c: Citation) -> str:
    shown, full = _highlight(c.text, c.quote)
    meta = " · ".join(
        part
        for part in (
            c.date or "",
            f"<code>{_esc(c.article)}</code>",
            f"trang {c.page}" if c.page is not None else "",
            f"đoạn {c.paragraph}",
        )
        if part
    )
    more = (
        f'<details class="src-full"><summary>Xem cả đoạn</summary><p>{full}</p></details>'
        if full
        else ""
    )
    return (
        f'<li class="src" id="src-{uid}-{c.n}" value="{c.n}">'
        f'<div class="src-head"><b>{_esc(c.title)}</b> <span class="src-meta">{meta}</span></div>'
        f'<blockquote class="src-text">{shown}</blockquote>{more}</li>'
    )


def answer_html(answer: Answer) -> str:
    """The answer with superscript citation links and its "Nguồn" list, as one HTML block
    (no blank lines, so the chat's Markdown renderer leaves it alone)."""
    uid = str(next(_ids))
    known = {c.n for c in answer.citations}

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        if n not in known:
            return match.group(0)
        return f'<sup class="cite"><a href="#src-{uid}-{n}">[{n}]</a></sup>'

    text = MARKER.sub(link, _esc(answer.text))
    css = "answer" if answer.found else "answer not-found"
    if not answer.citations:
        return f'<div class="{css}"><p>{text}</p></div>'
    sources = "".join(_source_html(uid, c) for c in answer.citations)
    return (
        f'<div class="{css}"><p>{text}</p><div class="sources"><div class="sources-title">Nguồn'
        f'</div><ol class="src-list">{sources}</ol></div></div>'
    )


def draft_html(text: str) -> str:
    """What the model has written so far, shown while it streams; marked as not yet
    checked (the checked answer, with its sources, replaces it)."""
    text = re.sub(r"\[\d*(?:\]|$)", "", text).strip()  # markers, and one still being written
    return (
        '<div class="draft"><span class="draft-label">Đang soạn, chưa đối chiếu nguồn…</span>'
        f"<p>{_esc(text)}</p></div>"
    )


def status_html(text: str) -> str:
    return f'<div class="draft"><span class="draft-label">{_esc(text)}</span></div>'


def answer_text(answer: Answer) -> str:
    """Plain text: the answer, then "Nguồn:" with one numbered line per source."""
    if not answer.citations:
        return answer.text
    lines = [answer.text, "", "Nguồn:"]
    for c in answer.citations:
        date = f", {c.date}" if c.date else ""
        page = f", trang {c.page}" if c.page is not None else ""
        lines.append(f"[{c.n}] {c.title}{date} ({c.article}{page}, đoạn {c.paragraph})")
        lines.append(f"    “{c.quote}”")
    return "\n".join(lines)
