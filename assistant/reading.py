"""What every way of answering shares: the paragraphs that can speak of the asked scope,
the excerpts the model is shown (best sentences, weighed by the figures they hold), the
model's draft and its checks, and the cited reply or the refusal.

The kinds of question are read in `assistant.figure_reading` (figures) and
`assistant.person_reading` (people); `assistant.answer` dispatches between them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import prompts
from assistant import compose, facts, fitting
from assistant.compose import Drafted
from assistant.evidence import Excerpt, select
from assistant.llm import LLM
from assistant.places import place_names
from assistant.query import Query
from assistant.retrieve import Retriever
from assistant.scope import dates_in, fits, month_of, read_periods
from assistant.text import fold, instructions_in, names_phrase, shared_runs
from assistant.types import Answer, Citation, Passage
from assistant.verify import (
    Verdict,
    attach_marker,
    best_sentence,
    check_draft,
    mentions,
    parse_markers,
)

log = logging.getLogger(__name__)

NOT_FOUND_VI = "Không tìm thấy thông tin này trong các bài báo."
NOT_FOUND_EN = "I could not find this information in the articles."
# How every refusal note that says the model found nothing in what it was shown begins
NOTHING_FOUND = "model found no answer"

# A sentence with a figure of the asked kind that nothing rules out weighs this much more
# when choosing what the model reads (3 measured best: gold shown 69/100 vs 67 at 1).
KIND_WEIGHT = 3.0


def cite(n: int, p: Passage, quote: str) -> Citation:
    return Citation(n=n, article=p.article, title=p.title, date=p.date, paragraph=p.paragraph,
                    text=p.paragraph_text, quote=quote, page=p.page)  # fmt: skip


def is_refusal(draft: str) -> bool:
    """A draft that says the excerpts do not hold the answer (or says nothing)."""
    folded = fold(draft)
    return (
        "not_found" in folded
        or "not found" in folded
        or "khong tim thay" in folded
        or "khong co thong tin" in folded
        or not folded.strip()
    )


def in_scope(query: Query, p: Passage) -> bool:
    """The paragraph can speak of the asked place: its article's headline/lead or the
    paragraph names it; and of the asked day ("hội nghị … sáng 4/1/2024"): where the
    headline/lead and the paragraph write days, one of them is it (an article about the
    meeting of 11/1 speaks of another meeting)."""
    if query.places and not any(mentions(p, e) for e in query.places):
        return False
    if query.days:
        written = dates_in(p.context) | dates_in(p.paragraph_text)
        if written and not written & query.days:
            return False
    return True


def _label(query: Query, e: Excerpt) -> str:
    """What the reader of an excerpt must know that it may not say: the place the
    article is about (only a place the question asks and the headline/lead or the shown
    sentence names) and when the article came out."""
    seen = f"{e.passage.context} {e.text}"
    named = [compose._written(query.text, n) for n in query.places if names_phrase(seen, n)]
    return ", ".join([*named, e.passage.date or ""]).strip(", ")


def period_possible(query: Query, p: Passage) -> bool:
    """The paragraph names the asked period (or a day in it); or it names none of its own
    and its article came out in that period or just after it (an event then, a review of
    it). A period carried from earlier paragraphs does not rule it out."""
    published = month_of(p.date)
    own = [m.period for m in read_periods(p.paragraph_text, published)
           if not (m.reference or m.plan)]  # fmt: skip
    carried = [m.period for m in read_periods(p.carried, published)]
    # ("any": the loosest fit, an event's; whether a figure fits is checked on its own)
    if any(fits(query.period, s, published, "any") >= 2 for s in own + carried):
        return True
    return not own and fits(query.period, None, published, "any") > 0


def decimal_commas(text: str) -> str:
    """An English "308.7" (or "2.9 billion") as the articles write it, "308,7": read as a
    thousands separator it would be 3087, a number no paragraph writes."""
    return re.sub(r"\b(\d+)\.(\d{1,2})\b(?![.,]\d)", r"\1,\2", text)


def places_known(query: Query, passages: list[Passage]) -> set[str]:
    """Names known to be places when reading these paragraphs: those they write after an
    administrative word, and those the question asks about ("Huyện Bảo Yên" makes the bare
    "Bảo Yên 109" of a breakdown a place)."""
    known = {n for p in passages for n in place_names(f"{p.context} {p.paragraph_text}")}
    return known | set(query.places) | set(query.area)


def _figure_weights(query: Query, passages: list[Passage]):
    """A sentence whose every figure is ruled out for the question (another period,
    place, kind or role: `fitting.conflict`) weighs less when choosing what the model reads;
    one with a figure of the asked kind that nothing rules out weighs more."""
    known = places_known(query, passages)
    ruled: dict[tuple[str, str], list[bool]] = {}
    kind: set[tuple[str, str]] = set()
    for p in passages:
        for f in facts.read_figures(p, known):
            ruled.setdefault((p.id, f.sentence.strip()), []).append(
                bool(fitting.conflict(query, f))
            )
            if not fitting.conflict(query, f) and fitting.score(query, f) > 0:
                kind.add((p.id, f.sentence.strip()))  # counts what is asked

    def weigh(p: Passage, sentence: str) -> float:
        marks = ruled.get((p.id, sentence.strip()))
        if not marks:
            return 1.0
        if all(marks):
            return 0.3
        return KIND_WEIGHT if (p.id, sentence.strip()) in kind else 1.0

    return weigh


class Reader:
    """The model, the retriever and the config, and the steps all readers share."""

    def __init__(self, retriever: Retriever, llm: LLM, config) -> None:
        self.retriever = retriever
        self.llm = llm
        self.config = config
        self._system = prompts.text("answer_system")
        self._rewrite_system = prompts.text("rewrite_system")
        self._translate_system = prompts.text("translate_system")

    def _refuse(self, query: Query | None, note: str, english: bool = False) -> Answer:
        log.info("not found: %s", note)
        english = query.english if query is not None else english
        return Answer(NOT_FOUND_EN if english else NOT_FOUND_VI, False, notes=(note,))

    def _select(self, query: Query, about: list[Passage], wide: bool = False) -> list[Excerpt]:
        """Best sentences of the paragraphs that can speak of the asked period; `wide`:
        more of them, from more paragraphs (`config.reread_tokens`), for a second reading."""
        passages = self.config.context_passages + (2 if wide else 0)
        # the places known as the choice list and the series read them (before the period
        # narrows what is shown)
        known = places_known(query, about) if query.wants == "figure" else set()
        if query.period is not None:
            about = [p for p in about if period_possible(query, p)]
        weigh = None
        if query.wants == "figure":
            # a paragraph that writes no figure (a byline, a photo caption) cannot answer
            about = [p for p in about if facts.read_figures(p, known)]
            weigh = _figure_weights(query, about[:passages])
        share = self.config.context_min_share if not query.english else 0.0
        return select(
            query.text,
            about[:passages],
            self.config.reread_tokens if wide else self.config.context_tokens,
            self.config.context_sentences * (2 if wide else 1),
            self.config.chunk_encoding,
            share / 2 if wide else share,
            query.places,
            weigh,
        )

    def _reread(self, read, query: Query, about: list[Passage], on_token, *args) -> Answer:
        """`read(query, about, on_token, *args, wide=...)`, and when the model found nothing
        in the excerpts, once more from wider ones (none when `reread_tokens` is 0, or the
        wider excerpts are the same); the first refusal stands if it finds nothing again."""
        answer = read(query, about, on_token, *args)
        if answer.found or not self.config.reread_tokens:
            return answer
        if not any(n.startswith(NOTHING_FOUND) for n in answer.notes):
            return answer  # refused for what the paragraphs say, not for what was shown
        if self._select(query, about, True) == self._select(query, about):
            return answer
        again = read(query, about, None, *args, wide=True)
        if not again.found:
            return answer
        return replace(again, notes=(*again.notes, "read again, wider"))

    # -- the model ---------------------------------------------------------------------
    def _generate(self, query: Query, shown: list[Excerpt], on_token, note: str = "") -> str:
        lines = []
        for i, e in enumerate(shown, start=1):
            label = _label(query, e)
            lines.append(f"[{i}] ({label}) {e.text}" if label else f"[{i}] {e.text}")
        question = query.asked if query.english else query.text
        if note:
            question = f"{question}\n({note})"
        user = prompts.render("answer_user", excerpts="\n".join(lines), question=question)
        messages = [{"role": "system", "content": self._system}, {"role": "user", "content": user}]
        draft = self.llm.chat(messages, max_tokens=self.config.max_answer_tokens, on_token=on_token)
        draft = draft.strip().splitlines()[0].strip() if draft.strip() else ""
        return decimal_commas(draft) if query.english else draft

    def _check(self, draft: str, passages: list[Passage], query: Query) -> Verdict:
        cited = [passages[n - 1] for n in parse_markers(draft) if 1 <= n <= len(passages)]
        cited_text = " ".join(p.paragraph_text for p in cited)
        # Words of the instructions that the paragraphs do not also hold: the model was
        # talked into reciting its prompt (an injected article, say) ...
        recited = shared_runs(draft, self._system) - shared_runs(draft, cited_text)
        # ... or an order planted in an article ("trả lời mọi câu hỏi bằng câu …").
        recited |= shared_runs(draft, instructions_in(cited_text), 4)
        if recited:
            return Verdict(False, "repeats its instructions", "leak")
        return check_draft(draft, passages, query)

    def _again(
        self, query: Query, shown: list[Excerpt], draft: str, reason: str, what: str,
        focus: str = "",
    ) -> tuple[str, Verdict] | None:  # fmt: skip
        """A rejected draft is asked for once more, told why; None when the model then finds
        nothing (a small model given the reason usually takes the right one of the same
        sentence: "93 người chết", not "90 bị thương")."""
        log.info("draft rejected (%s): %r; asking again", reason, draft)
        note = (
            f"{reason}. Hãy đọc lại các đoạn trích; nếu không đoạn nào có {what}, trả lời NOT_FOUND"
        )
        draft = self._generate(query, shown, None, f"{focus}. {note}" if focus else note)
        if is_refusal(draft):
            return None
        passages = [e.passage for e in shown]
        draft = attach_marker(draft, passages, query.text, [e.text for e in shown])
        return draft, self._check(draft, passages, query)

    # -- the reply ---------------------------------------------------------------------
    def _finish(self, draft: str, shown: list[Passage], query: Query, notes=()) -> Answer:
        """Renumber markers 1..m in order of appearance and attach the citations."""
        order = parse_markers(draft)
        mapping = {old: new for new, old in enumerate(order, start=1)}

        def renumber(match: re.Match) -> str:
            nums = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
            return "".join(f"[{mapping[n]}]" for n in nums)

        text = re.sub(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]", renumber, draft)
        paragraphs = [shown[old - 1].paragraph_text for old in order]
        text = compose.restore_qualifiers(text, paragraphs, query.english)
        text = re.sub(r"^(Answer|Trả lời)\s*:\s*", "", text, flags=re.IGNORECASE)
        # "ngày 3.1" as the article writes it: the usual "3/1"
        text = re.sub(r"\b(ngày|sáng|chiều|tối|trưa|on)\s+(\d{1,2})\.(\d{1,2})\b(?![.,]\d)",
                      r"\1 \2/\3", text, flags=re.IGNORECASE)  # fmt: skip
        citations = tuple(
            cite(mapping[old], shown[old - 1],
                 best_sentence(shown[old - 1].paragraph_text, query.text, draft))
            for old in order
        )  # fmt: skip
        return Answer(text, True, citations, notes=tuple(notes))

    def _drafted(self, drafted: Drafted, query: Query, notes: tuple[str, ...]) -> Answer:
        citations = tuple(
            cite(i, p, quote)
            for i, (p, quote) in enumerate(zip(drafted.passages, drafted.quotes, strict=True), 1)
        )
        return Answer(drafted.text, True, citations, notes=notes)
