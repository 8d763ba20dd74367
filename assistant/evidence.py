"""Choose what the model reads: the sentences of the retrieved paragraphs that matter.

Prompt length dominates answer time on a CPU (about 70 prompt tokens/s for the default
model), so instead of whole chunks the model gets, for each of the best passages, only
its sentences that share the most (rare) words with the question, within a token budget.
Retrieval itself is in `assistant.retrieve`; checks in `assistant.verify`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from assistant.lexicon import expand
from assistant.text import STOPWORDS, looks_like_instruction, numbers, split_sentences, tokens
from assistant.types import Passage
from index.chunker import count_tokens


@dataclass(frozen=True)
class Excerpt:
    passage: Passage
    text: str


def _terms(text: str) -> list[str]:
    toks = expand(tokens(text))  # "TNGT" meets "tai nạn giao thông"
    words = [t for t in toks if t not in STOPWORDS]
    bigrams = [f"{a}_{b}" for a, b in zip(toks, toks[1:], strict=False)
               if a not in STOPWORDS or b not in STOPWORDS]  # fmt: skip
    return words + bigrams


def select(
    question: str,
    passages: list[Passage],
    token_budget: int,
    max_sentences: int = 2,
    encoding: str = "o200k_base",
    min_share: float = 0.0,
    names: list[str] | tuple = (),
    weigh: Callable[[Passage, str], float] | None = None,
) -> list[Excerpt]:
    """Per passage (in rank order), its best `max_sentences` sentences in reading order,
    stopping when `token_budget` would be exceeded (the first passage always fits).

    `min_share` drops what the question hardly touches: a sentence scoring below that
    share of the best sentence's score, and a passage after the first whose best sentence
    does (every token read costs prompt time). The question's `names` (folded places,
    people) do not count: every passage shown already names them. `weigh(passage,
    sentence)` scales a sentence's score (down for one whose figures are all for another
    period, place or kind than the one asked)."""
    q_terms = set(_terms(question))
    if min_share > 0:
        for name in names:
            q_terms -= set(_terms(name))
    wants_number = bool(numbers(question)) or any(
        w in tokens(question) for w in ("nhieu", "many", "much", "may")
    )
    sentences = []
    kept = []
    for p in passages:
        spans = split_sentences(p.text) or [(0, len(p.text))]
        group = [p.text[a:b].strip() for a, b in spans]
        group = [x for x in group if x and not looks_like_instruction(x)]
        if group:  # a passage made only of instructions is not shown at all
            kept.append(p)
            sentences.append(group)
    passages = kept
    doc_freq: dict[str, int] = {}
    total = sum(len(s) for s in sentences) or 1
    for group in sentences:
        for sentence in group:
            for term in set(_terms(sentence)):
                doc_freq[term] = doc_freq.get(term, 0) + 1

    def score(sentence: str) -> float:
        terms = set(_terms(sentence)) & q_terms
        value = sum(math.log(1 + total / doc_freq.get(t, 1)) for t in terms)
        if wants_number and numbers(sentence):
            value += 0.5
        return value

    scores = [[score(x) * (weigh(p, x) if weigh else 1.0) for x in group]
              for p, group in zip(passages, sentences, strict=True)]  # fmt: skip
    floor = min_share * max((max(g) for g in scores), default=0.0)
    out: list[Excerpt] = []
    used = 0
    for p, group, marks in zip(passages, sentences, scores, strict=True):
        best = sorted(range(len(group)), key=lambda i: -marks[i])[:max_sentences]
        if out and marks[best[0]] < floor:
            continue
        best = [i for i in best if i == best[0] or marks[i] >= floor]
        text = " … ".join(group[i] for i in sorted(best))
        cost = count_tokens(text, encoding)
        if out and used + cost > token_budget:
            # Try the single best sentence before giving up on this passage.
            text = group[best[0]]
            cost = count_tokens(text, encoding)
            if used + cost > token_budget:
                continue
        out.append(Excerpt(p, text))
        used += cost
    return out
