"""Deterministic readers: answers taken word for word from the shown paragraphs.

Used when the model's draft is refused by the checks or the model gives up although the
paragraphs hold the answer, and for comparisons across articles, which a small model gets
wrong. Each reader returns an `Extracted` (paragraph, supporting sentence, answer text
with `[1]`-style markers) or None; it never invents a figure or a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.figures import FIGURE, counted_phrase, figure_score, unit_words
from assistant.text import fold, names_phrase, numbers, split_sentences, tokens
from assistant.types import Passage
from assistant.verify import (
    ADMIN_WORDS,
    MILITARY_RANKS,
    asks_for_number,
    asks_for_rank,
    content_tokens,
    holds_roles,
    introduces,
    is_who_question,
    mentions,
    role_words,
    surface,
)

_RANKS = (*MILITARY_RANKS, "Đồng chí", "Ông", "Bà")
_COMPARE = re.compile(r"\b(nhieu|it|cao|thap|lon|nho|more|fewer|less|higher|lower)\b.*\bhon\b"
                      r"|\b(more|fewer|less|higher|lower|larger|smaller)\b")  # fmt: skip
_LESS = re.compile(r"\b(it|thap|nho|fewer|less|lower|smaller)\b")


@dataclass(frozen=True)
class Extracted:
    passages: tuple[Passage, ...]
    quotes: tuple[str, ...]
    text: str


def _sentences(p: Passage) -> list[str]:
    spans = split_sentences(p.paragraph_text) or [(0, len(p.paragraph_text))]
    return [p.paragraph_text[a:b].strip() for a, b in spans]


def best_figure(
    question: str, passages: list[Passage], subjects: list[str] | tuple = ()
) -> tuple[Passage, str, str] | None:
    """(paragraph, sentence, number) of the figure that counts what "bao nhiêu X" asks,
    given for one of `subjects` (folded names) when there are any."""
    if not asks_for_number(question) or not unit_words(question):
        return None
    want = content_tokens(question)
    asked = set(numbers(question))
    best = None
    for rank, p in enumerate(passages):
        for sentence in _sentences(p):
            overlap = len(want & content_tokens(sentence)) / max(1, len(want))
            for n in set(numbers(sentence)) - asked:
                if subjects and not any(introduces(p, e, n) for e in subjects):
                    continue
                score = figure_score(question, sentence, n)
                if score and overlap >= 0.3:
                    key = (score, overlap, -rank)
                    if best is None or key > best[0]:
                        best = (key, p, sentence, n)
    return None if best is None else best[1:]


def _quoted_figure(found: tuple[Passage, str, str] | None) -> Extracted | None:
    """An answer quoting (paragraph, sentence, number): "gần 300 mắt camera [1]."."""
    if found is None:
        return None
    p, sentence, n = found
    return Extracted((p,), (sentence,), f"{counted_phrase(sentence, n)} [1].")


def figure(
    question: str, passages: list[Passage], subjects: list[str] | tuple = ()
) -> Extracted | None:
    return _quoted_figure(best_figure(question, passages, subjects))


def person(question: str, passages: list[Passage]) -> Extracted | None:
    """For "Ai là <chức vụ> …?": the person named in a sentence that holds every rank/office
    word of the question, preferring sentences sharing more words with it. For "Ai <làm gì>
    …?" (no office named): a person introduced by a rank or title ("Đại tá …", "ông …") in a
    clause sharing at least half of the question's words."""
    roles = role_words(question)
    if not is_who_question(question):
        return None
    want = content_tokens(question)
    asked = set(tokens(question))
    best = None
    for rank, p in enumerate(passages):
        for sentence in _sentences(p):
            if roles and not holds_roles(sentence, roles):
                continue
            for start, run in _capital_runs(sentence):
                words = [w for w in run if fold(w) not in ADMIN_WORDS]
                if len(words) < 2 or any(fold(w) in asked for w in words):
                    continue
                clause = _clause_around(sentence, start)
                name = " ".join(words)
                before = sentence[: sentence.find(words[0], start)].rstrip()
                title = next((r for r in _RANKS if before.lower().endswith(r.lower())), "")
                if roles:
                    # The office must be the one next to this name (same ';'-clause, up to
                    # the next name), and not a deputy's when the question asks for the head.
                    if not holds_roles(clause, roles):
                        continue
                elif not title or len(want & content_tokens(clause)) < 0.5 * len(want):
                    continue
                key = (len(want & content_tokens(sentence)), -rank, -start)
                if best is None or key > best[0]:
                    best = (key, p, sentence, f"{title} {name}".strip())
    if best is None:
        return None
    _, p, sentence, name = best
    return Extracted((p,), (sentence,), f"{name} [1].")


def rank(question: str, passages: list[Passage]) -> Extracted | None:
    """For "… cấp bậc / quân hàm gì?" about a person the question names: the rank the
    paragraphs write right before that name ("Thượng tá Phan Nhật Toàn")."""
    if not asks_for_rank(question):
        return None
    for p in passages:
        for sentence in _sentences(p):
            for start, run in _capital_runs(sentence):
                name = " ".join(run)
                before = sentence[:start].rstrip()
                title = next((r for r in MILITARY_RANKS if before.endswith(r)), "")
                if title and len(run) >= 2 and names_phrase(question, " ".join(tokens(name))):
                    return Extracted((p,), (sentence,), f"{name} mang cấp bậc {title} [1].")
    return None


def _clause_around(sentence: str, start: int) -> str:
    """The text from the clause start (after ';' or ':') before `start` to the next ';'."""
    left = max(sentence.rfind(";", 0, start), sentence.rfind(":", 0, start)) + 1
    right = sentence.find(";", start)
    return sentence[left : right if right >= 0 else len(sentence)]


def _capital_runs(sentence: str) -> list[tuple[int, list[str]]]:
    """Runs of consecutive capitalised words, with the offset where each starts."""
    runs: list[tuple[int, list[str]]] = []
    last_end = None
    for m in re.finditer(r"\w+", sentence):
        word = m.group()
        if word[0].isupper() and word.isalpha():
            if runs and last_end is not None and sentence[last_end : m.start()] == " ":
                runs[-1][1].append(word)
            else:
                runs.append((m.start(), [word]))
            last_end = m.end()
        else:
            last_end = None
    return runs


def comparison(question: str, names: list[str], passages: list[Passage]) -> Extracted | None:
    """For "X và Y, nơi nào có nhiều Z hơn?" (or "X và Y có bao nhiêu Z?"): each name's
    figure for Z, from paragraphs that mention it, compared when the question compares."""
    if len(names) < 2:
        return None
    folded = " ".join(tokens(question))
    compares = bool(_COMPARE.search(folded))
    joined = re.search(r"\b(va|hay|hoac|voi|and|or|versus|vs)\b", folded) or "," in question
    if not joined:
        return None
    unit = _unit_phrase(question, folded)
    if not unit:
        return None
    found = []
    for name in names:
        # Paragraphs of articles about this place first (their headline/lead names it);
        # a passing mention in another place's article is only a fallback.
        about = [p for p in passages if names_phrase(p.context, name)]
        own = about or [p for p in passages if mentions(p, name)]
        hit = best_figure(f"{name} có bao nhiêu {unit}", own)
        if hit is None:
            return None
        found.append((name, *hit))
    parts = []
    for i, (name, _p, sentence, n) in enumerate(found, start=1):
        parts.append(f"{_title(question, name)}: {counted_phrase(sentence, n)} [{i}]")
    text = "; ".join(parts) + "."
    if compares:
        values = [float(n) for _, _, _, n in found]
        pick = min if _LESS.search(folded) else max
        if values.count(pick(values)) == 1:
            winner = found[values.index(pick(values))][0]
            text = f"{_title(question, winner)}. {text}"
    return Extracted(tuple(p for _, p, _, _ in found), tuple(s for _, _, s, _ in found), text)


def _unit_phrase(question: str, folded: str) -> str:
    """The words naming what is compared or counted, as folded text."""
    words = unit_words(question)
    if words:
        return " ".join(words)
    match = re.search(r"\b(?:nhieu|it|more|fewer|less)\b (.+?)(?: hon\b|$)", folded)
    return match.group(1) if match else ""


def _title(question: str, name: str) -> str:
    """The name as the question writes it, else capitalised."""
    written = surface(question, name)
    return written if written != name else " ".join(w.capitalize() for w in name.split())


_EN_UNIT = re.compile(
    r"\bhow (?:many|much) (.+?)(?: (?:did|does|do|were|was|are|is|have|has|had|in|at|of|"
    r"for|by|were)\b|\?|$)"
)


def described_figures(passages: list[Passage]) -> list[tuple[Passage, str, str, str]]:
    """(paragraph, sentence, number, what the number describes) for every figure: the
    description runs from the number to the next figure within its clause."""
    out = []
    for p in passages:
        for sentence in _sentences(p):
            for clause in sentence.split(";"):
                found = list(FIGURE.finditer(clause))
                for i, m in enumerate(found):
                    end = found[i + 1].start() if i + 1 < len(found) else len(clause)
                    words = clause[m.end() : end].split()[:8]
                    if words and re.fullmatch(r"\d+(?:[.,]\d+)*", m.group()) is not None:
                        out.append((p, sentence, numbers(m.group())[0], " ".join(words)))
    return out


def english_unit(question: str) -> str:
    """ "criminal cases" from "How many criminal cases did …?" ("" if none)."""
    match = _EN_UNIT.search(question.lower())
    return match.group(1).strip() if match else ""


def best_figure_by_meaning(question: str, passages: list[Passage], embedder):
    """For an English "how many X" question: the figure whose description is closest to X
    in the multilingual embedding space (Vietnamese word matching cannot help here)."""
    unit = english_unit(question)
    figures = described_figures(passages)
    if not unit or not figures:
        return None
    import numpy as np

    query = np.asarray(embedder.embed_query(unit))
    docs = np.asarray(embedder.embed_documents([d for *_, d in figures], [""] * len(figures)))
    scores = docs @ query
    best = int(scores.argmax())
    return figures[best][:3]


def figure_by_meaning(question: str, passages: list[Passage], embedder) -> Extracted | None:
    return _quoted_figure(best_figure_by_meaning(question, passages, embedder))
