"""The read path: question (+ conversation) -> retrieved paragraphs -> checked, cited answer.

Steps: clean the question; rewrite a follow-up into a standalone question (an English one
is also translated); retrieve; read the question once into a `Query` (what is asked, for
which places and period); refuse when a place or name it asks about is in no retrieved
paragraph; then by kind of question:

- figures ("bao nhiêu"): read every figure of the paragraphs about the asked place with its
  period, place and what it counts (`assistant.facts`); keep those that fit the question.
  The same figure reported at several dates is answered latest first, each with its date;
  comparisons take each subject's own figure; otherwise the model words the answer from the
  sentences holding the best figures, and its figure must be one of them.
- people ("ai là …", "ai chủ trì …"), ranks, dates and the rest: the model answers from the
  best sentences of the paragraphs about the asked place and period, and the checks hold it
  to what the cited paragraphs say (`assistant.verify`).
A draft that fails is replaced by what the paragraphs themselves give, else the reply is
the refusal. Nothing unchecked is returned.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import prompts
from assistant.figure_reading import FigureReader, both_periods, parts_of
from assistant.lexicon import ABBREVIATIONS
from assistant.llm import LLMError
from assistant.people import role_words
from assistant.person_reading import PersonReader, asks_author
from assistant.places import PROVINCES, place_names, read_places
from assistant.query import Query, read_query
from assistant.reading import NOTHING_FOUND, cite, in_scope, is_refusal
from assistant.scope import Period, read_periods
from assistant.text import content_tokens, fold, looks_english, names_phrase, nfc, numbers, tokens
from assistant.types import Answer, Passage
from assistant.verify import (
    attach_marker,
    best_sentence,
    entities,
    mentions,
    names_in,
    question_names,
    strip_markers,
    surface,
    vietnamese_name,
)

log = logging.getLogger(__name__)

PRONOUNS = {"ong", "ay", "ba", "ho", "no", "do", "day", "kia", "he", "she", "they", "it", "there"}
# Words that point back into the conversation; a question naming its own subject without
# any of them stands on its own and is not rewritten.
ANAPHORA = PRONOUNS | {"nay", "this", "that", "these", "those", "its", "his", "her",
                       "their", "them", "then", "same", "rieng"}  # fmt: skip
MAX_QUESTION_CHARS = 2000
SOURCES_ONLY_VI = (
    "Không gọi được mô hình ngôn ngữ nên chưa có câu trả lời đã kiểm chứng. "
    "Các đoạn liên quan nhất tìm được:"
)
SOURCES_ONLY_EN = (
    "The language model could not be reached, so there is no checked answer. "
    "The most relevant paragraphs found:"
)
# Paragraphs read per question (figures and people are read from all of them).
READ_PARAGRAPHS = 10


_WHAT_ABOUT = re.compile(
    r"^(?:va |the |vay )?(?:con|rieng) (?P<x>.+?)(?P<ask> (?:thi |la |co )?(?:sao|the nao|"
    r"nhu the nao|ra sao|sao a|bao nhieu(?: \w+){0,4}|may(?: \w+){0,3}))?\W*$"
    r"|^(?:and |so )?(?:what|how) about (?P<y>.+?)\W*$"
)


def swap_subject(question: str, previous: str, known_places=()) -> str | None:
    """ "Còn tỉnh Gia Lai thì sao?" after "Bảo Lộc có bao nhiêu mắt camera?" ->
    "Tỉnh Gia Lai có bao nhiêu mắt camera?"; "Còn năm 2023?" after "Năm 2022 Cao Bằng …"
    -> "Năm 2023 Cao Bằng …": the previous question with its place (or period) replaced.
    None when the question is not of that form or the previous names no such thing."""
    question = question.strip()
    folded = fold(question)
    match = _WHAT_ABOUT.match(folded)
    if not match or len(folded) != len(question):
        return None
    group = "x" if match.group("x") else "y"
    new = question[match.start(group) : match.end(group)]
    new_period = read_periods(new)
    if new_period:  # another period: replace the previous one
        old_periods = [m for m in read_periods(previous) if not m.reference]
        if not old_periods:
            return None
        at, end = old_periods[0].start, old_periods[0].end
    else:
        if not any(p.name for p in read_places(new, known_places, True)) and not (
            entities(new) and not role_words(new)
        ):
            return None  # "Còn bao nhiêu vụ …?", "Còn Bí thư Tỉnh ủy?": for the model to read
        old_places = [p for p in read_places(previous, known_places, True) if p.name]
        names = entities(previous)
        if old_places:
            at, end = old_places[0].start, old_places[0].end
        elif names:
            old = surface(previous, names[0])
            at = previous.find(old)
            end = at + len(old)
            if at < 0:
                return None
        else:
            return None
    swapped = previous[:at] + new + previous[end:]
    return swapped[0].upper() + swapped[1:]


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, too long); the message says why."""


@dataclass
class Turn:
    question: str
    answer: str
    standalone: str = ""  # the question as it was understood (after rewriting)


def clean_question(question: str) -> str:
    text = nfc(question or "")
    text = re.sub(r"[\u0000-\u001f\u007f]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("the question is empty: type a question about the articles")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(text)} characters long; ask in at most {MAX_QUESTION_CHARS}"
        )
    return text


def _paragraphs(hits, limit: int) -> list[Passage]:
    """One passage per paragraph, best first."""
    seen: set[tuple[str, int]] = set()
    out = []
    for h in hits:
        key = (h.passage.article, h.passage.paragraph)
        if key not in seen:
            seen.add(key)
            out.append(h.passage)
        if len(out) == limit:
            break
    return out


class Assistant(FigureReader, PersonReader):
    """Answers a question (with its conversation) from the index, checked and cited."""

    # -- follow-ups ---------------------------------------------------------------------
    def standalone(self, question: str, history: list[Turn]) -> str:
        """Rewrite a follow-up into a question that stands on its own (no history, or a
        question naming its own subject: as is)."""
        if not self.is_followup(question, history):
            return question
        previous = history[-1].standalone or history[-1].question
        swapped = swap_subject(question, previous)
        if swapped:
            return swapped
        lines = []
        for turn in history[-3:]:
            lines.append(f"User: {turn.question}")
            lines.append(f"Assistant: {strip_markers(turn.answer)[:300]}")
        user = prompts.render("rewrite_user", history="\n".join(lines), question=question)
        messages = [
            {"role": "system", "content": self._rewrite_system},
            {"role": "user", "content": user},
        ]
        lines = self.llm.chat(messages, max_tokens=80).strip().splitlines()
        rewritten = lines[0].strip().strip('"“”') if lines else ""
        kept = content_tokens(question) - PRONOUNS
        plausible = (
            rewritten.endswith("?")
            and rewritten != question
            and len(rewritten) <= len(question) + len(previous) + 40
            and len(kept & content_tokens(rewritten)) >= 0.5 * len(kept)
        )
        # A small model sometimes answers instead of rewriting, or changes nothing: then
        # keep the question and carry the previous one along as context.
        return rewritten if plausible else f"{question} ({previous})"

    @staticmethod
    def is_followup(question: str, history: list[Turn]) -> bool:
        """A question that leans on the conversation: it names no subject of its own, or
        points back ("ông ấy", "trong đó", "còn …")."""
        if not history:
            return False
        if swap_subject(question, history[-1].standalone or history[-1].question):
            return True
        return not entities(question) or bool(set(tokens(question)) & ANAPHORA)

    # -- answering ----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        started = time.perf_counter()
        question = clean_question(question)
        try:
            standalone = self.standalone(question, history or [])
            english = looks_english(question)
            vietnamese = self.translate(standalone) if english else None
            if english:
                log.info("translated: %r", vietnamese)
            # a follow-up keeps the place, period and subject it does not change
            previous, prior = None, ()
            if self.is_followup(question, history or []):
                previous = history[-1].standalone or history[-1].question
                prior = tuple(numbers(strip_markers(history[-1].answer)))
            answer = self._answer(question, standalone, vietnamese, on_token, previous, prior)
            if answer.found and not _each_given(vietnamese or standalone, answer.text):
                log.info("asked for each of several, answered one: %r", answer.text)
                answer = self._refuse(None, "asked for each of several, answered one", english)
        except LLMError as exc:
            log.warning("generation failed: %s", exc)
            standalone = question
            answer = self.sources_only(question, history or [], exc)
        return Answer(
            text=answer.text,
            found=answer.found,
            citations=answer.citations,
            seconds=time.perf_counter() - started,
            standalone_question=standalone,
            notes=answer.notes,
        )

    def sources_only(self, question: str, history: list[Turn], error: Exception) -> Answer:
        """When the model cannot be reached: say so, and list the paragraphs retrieval
        found (no answer is claimed, so `found` is False)."""
        query = question if not history else f"{question} ({history[-1].question})"
        citations = [
            cite(i, p, best_sentence(p.paragraph_text, query, ""))
            for i, p in enumerate(
                _paragraphs(self.retriever.search(query), self.config.context_passages), 1
            )
        ]
        text = SOURCES_ONLY_EN if looks_english(question) else SOURCES_ONLY_VI
        return Answer(f"{text} ({error})", False, tuple(citations), notes=("llm failed",))

    def translate(self, question: str) -> str | None:
        """An English question in Vietnamese, for reading what it asks (the answer itself
        stays in English). None when the model gives no usable line."""
        messages = [
            {"role": "system", "content": self._translate_system},
            {"role": "user", "content": question},
        ]
        lines = self.llm.chat(messages, max_tokens=80).strip().splitlines()
        text = lines[0].strip().strip('"“”') if lines else ""
        if not text or looks_english(text) or len(text) > 3 * len(question) + 40:
            return None
        return text

    def read(
        self, question: str, standalone: str, vietnamese: str | None, previous: str | None = None
    ):
        """Retrieve, then read the question against what was retrieved: (query, paragraphs).
        `previous`: the question a follow-up continues, whose scope it inherits."""
        hits = self.retriever.search(standalone)
        paragraphs = _paragraphs(hits, READ_PARAGRAPHS)
        texts = [f"{p.context} {p.paragraph_text}" for p in paragraphs]
        known_places = {n for t in texts for n in place_names(t)}
        text = vietnamese or standalone
        if previous and standalone == f"{question} ({previous})":
            text = question  # no usable rewrite: what it asks is read from it alone
        names = question_names(text, names_in(texts), self.retriever.vocabulary)
        names = [_bare(n, known_places) for n in names]
        names = [n for n in names if n]
        if vietnamese or looks_english(question):  # "Fatherland Front" is not a name to look for
            names = [n for n in names if vietnamese_name(n) or any(names_phrase(t, n)
                                                                   for t in texts)]  # fmt: skip
        query = read_query(text, question, known_places, names, role_words(text))
        if vietnamese:  # places and periods read from the English itself, where the
            own = read_query(standalone, question, known_places)  # translation lost them
            if not query.places and own.places:
                query = replace(query, places=own.places, levels=own.levels, area=own.area)
            if query.period is None and own.period is not None:
                query = replace(query, period=own.period, periods=own.periods)
            counted = _counted_in_english(question)
            if counted:
                query = replace(query, counted=counted)
        if previous:
            query = inherit(query, read_query(previous, known_places=known_places))
        return query, paragraphs

    def _answer(
        self,
        question: str,
        standalone: str,
        vietnamese: str | None,
        on_token,
        previous: str | None = None,
        prior: tuple[str, ...] = (),
    ) -> Answer:
        query, paragraphs = self.read(question, standalone, vietnamese, previous)
        query = replace(query, prior=tuple(v for v in prior if v not in numbers(query.text)))
        if not paragraphs:
            return self._refuse(query, "nothing retrieved")
        unknown = [e for e in (*query.places, *query.names, *query.codes)
                   if not any(mentions(p, e) for p in paragraphs)]  # fmt: skip
        if unknown:
            return self._refuse(query, f"no paragraph mentions {unknown}")
        about = [p for p in paragraphs if in_scope(query, p)]
        if query.incident:  # the case's article: its place is named once, where it happened
            cases = {p.article for p in about}
            about = [p for p in paragraphs if p.article in cases]
        if not about:
            return self._refuse(query, "no paragraph about the asked place")
        if query.wants == "figure" or (query.compare and len(query.subjects) > 1):
            parts = parts_of(query)
            if len(parts) > 1:
                return self._compare_read(query, parts, paragraphs, on_token)
            if query.also:
                return self._several(query, about)
            answer = self._reread(self._figure_read, query, about, on_token)
            both = both_periods(query)
            if not answer.found and both:  # no change written for that base: from both counts
                return self._compare_read(query, both, paragraphs, on_token)
            return answer
        if asks_author(query):
            return self._byline(query, about)
        if query.wants in ("person", "rank"):
            return self._reread(self._person, query, about, on_token)
        return self._reread(self._free, query, about, on_token)

    # -- everything else ---------------------------------------------------------------
    def _free(self, query: Query, about: list[Passage], on_token, wide: bool = False) -> Answer:
        shown = self._select(query, about, wide)
        if not shown:
            return self._refuse(query, "no paragraph about the asked period")
        draft = self._generate(query, shown, on_token)
        if is_refusal(draft):
            return self._refuse(query, NOTHING_FOUND)
        passages = [e.passage for e in shown]
        draft = attach_marker(draft, passages, query.text, [e.text for e in shown])
        verdict = self._check(draft, passages, query)
        if not verdict.ok and verdict.kind in ("date", "place"):
            # a day no cited paragraph writes, no place named for "phường nào"
            again = self._again(query, shown, draft, verdict.reason, "câu trả lời")
            if again is None:
                return self._refuse(query, f"{NOTHING_FOUND} when asked again")
            draft, verdict = again
        if verdict.ok:
            return self._finish(draft, passages, query)
        log.info("draft rejected (%s): %r", verdict.reason, draft)
        return self._refuse(query, f"rejected: {verdict.reason}")


def inherit(query: Query, previous: Query) -> Query:
    """A follow-up's scope: what it does not say, it keeps from the question before ("Trong
    đó có mấy vụ trộm?" keeps the place and period; "Cùng kỳ năm 2022 thì sao?" keeps the
    period's months in another year; "Còn Lâm Đồng?" keeps what was counted)."""
    changes: dict = {}
    if not query.places and not query.area:
        changes.update(places=previous.places, area=previous.area, levels=previous.levels)
    if query.period is None and previous.period is not None:
        period, shift = previous.period, query.shift
        if query.versus is not None and not query.delta and query.versus.year:
            # "cùng kỳ năm 2022": the same months of another year
            shift = query.versus.year - (period.last[0] or query.versus.year)
            changes.update(versus=None)
        if shift:  # "năm sau đó", "cùng kỳ năm 2022"
            period = Period((period.first[0] and period.first[0] + shift, period.first[1]),
                            (period.last[0] and period.last[0] + shift, period.last[1]),
                            period.kind)  # fmt: skip
        changes.update(period=period, periods=(period,))
    n = len(query.counted)
    if 0 < n < len(previous.counted) and previous.counted[:n] == query.counted:
        # "Giảm bao nhiêu vụ …?" after "… bao nhiêu vụ tai nạn giao thông?": the same kind
        changes.update(counted=previous.counted)
    if not query.counted and not query.topic and query.wants in ("other", previous.wants):
        changes.update(counted=previous.counted, topic=previous.topic, wants=previous.wants,
                       measure=previous.measure, words=query.words | previous.words)  # fmt: skip
    return replace(query, **changes) if changes else query


# "… lần lượt là bao nhiêu / là ai", "respectively": one answer for each thing named
_RESPECTIVELY = re.compile(r"\b(?:lan luot|respectively)\b")


def _each_given(question: str, answer: str) -> bool:
    """An answer to a question asking for several things in turn ("lần lượt") gives at
    least two figures or two names; one ("54 [1]") answers only part of it."""
    if not _RESPECTIVELY.search(fold(question)):
        return True
    text = strip_markers(answer)
    values = set(numbers(text)) - set(numbers(question))
    return len(values) >= 2 or len(entities(text)) >= 2


def _counted_in_english(question: str) -> tuple[str, ...]:
    """What "how many …" counts, through the translation prompt's own word list ("how many
    traffic accidents" -> "tai nạn giao thông", where the model's translation wrote "bao
    nhiêu lần"); () when the words after it are not in the list."""
    asked = re.search(r"\bhow (?:many|much) ([a-z][a-z ,'-]*)", question.lower())
    if not asked:
        return ()
    words = asked.group(1)
    for english, vietnamese in prompts.glossary():
        if re.match(rf"{re.escape(english)}(?:e?s)?\b", words):
            return read_query(f"Có bao nhiêu {vietnamese}?").counted
    return ()


def _bare(name: str, places: set[str]) -> str:
    """A name without the abbreviations and places it was written with ("CSGT Gia Lai"
    -> ""), so that only what names something else is looked for in the paragraphs."""
    for place in sorted(places | PROVINCES, key=len, reverse=True):
        name = f" {name} ".replace(f" {place} ", " ").strip()
    place_words = {w for p in places | PROVINCES for w in p.split()}
    words = [w for w in name.split() if w not in ABBREVIATIONS]
    if all(w in place_words for w in words):
        return ""  # what is left of a place name ("Nghệ" of "GD&ĐT Nghệ An")
    return " ".join(words) if len(words) > 1 or (words and len(words[0]) >= 4) else ""
