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
from assistant import compose, facts
from assistant.compose import Drafted
from assistant.evidence import Excerpt, select
from assistant.facts import Figure
from assistant.lexicon import ABBREVIATIONS, expand
from assistant.llm import LLM, LLMError
from assistant.people import (
    MILITARY_RANKS,
    Person,
    does,
    holds_roles,
    office_place,
    part_asked,
    read_people,
    role_words,
    same_body,
)
from assistant.places import PROVINCES, place_names, read_places
from assistant.query import Query, read_query
from assistant.retrieve import Retriever
from assistant.scope import Period, dates_in, fits, month_of, read_periods
from assistant.text import (
    STOPWORDS,
    content_tokens,
    fold,
    instructions_in,
    looks_english,
    names_phrase,
    nfc,
    numbers,
    shared_runs,
    tokens,
)
from assistant.types import Answer, Citation, Passage
from assistant.verify import (
    Verdict,
    attach_marker,
    best_sentence,
    check_draft,
    entities,
    mentions,
    names_in,
    parse_markers,
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
NOT_FOUND_VI = "Không tìm thấy thông tin này trong các bài báo."
NOT_FOUND_EN = "I could not find this information in the articles."
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
# Candidates this close to the best word score count as equally good answers.
NEAR_BEST = 1.0
# Figures offered to the model to choose from when it found no answer itself.
CHOICES = 4
# A sentence with a figure of the asked kind that nothing rules out weighs this much more
# when choosing what the model reads (3 measured best: gold shown 69/100 vs 67 at 1).
KIND_WEIGHT = 3.0


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


def cite(n: int, p: Passage, quote: str) -> Citation:
    return Citation(n=n, article=p.article, title=p.title, date=p.date, paragraph=p.paragraph,
                    text=p.paragraph_text, quote=quote, page=p.page)  # fmt: skip


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


def _about(query: Query, p: Passage) -> bool:
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


class Assistant:
    def __init__(self, retriever: Retriever, llm: LLM, config) -> None:
        self.retriever = retriever
        self.llm = llm
        self.config = config
        self._system = prompts.text("answer_system")
        self._rewrite_system = prompts.text("rewrite_system")
        self._translate_system = prompts.text("translate_system")

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

    def _refuse(self, query: Query | None, note: str, english: bool = False) -> Answer:
        log.info("not found: %s", note)
        english = query.english if query is not None else english
        return Answer(NOT_FOUND_EN if english else NOT_FOUND_VI, False, notes=(note,))

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
        about = [p for p in paragraphs if _about(query, p)]
        if not about:
            return self._refuse(query, "no paragraph about the asked place")
        if query.wants == "figure" or (query.compare and len(query.subjects) > 1):
            parts = _parts(query)
            if len(parts) > 1:
                return self._compare_read(query, parts, paragraphs, on_token)
            if query.also:
                return self._several(query, about)
            answer = self._figure_read(query, about, on_token)
            both = _both_periods(query)
            if not answer.found and both:  # no change written for that base: from both counts
                return self._compare_read(query, both, paragraphs, on_token)
            return answer
        if _AUTHOR.search(fold(query.text)) or _AUTHOR.search(query.asked.lower()):
            return self._byline(query, about)
        if query.wants in ("person", "rank"):
            return self._person(query, about, on_token)
        return self._free(query, about, on_token)

    # -- figures, read by the model ------------------------------------------------------
    def _figure_read(self, query: Query, about: list[Passage], on_token, focus: str = "") -> Answer:
        """The model reads the best sentences of the paragraphs about the asked scope and
        gives the figure; the figure must be written in a cited paragraph and nothing
        written there may contradict the question's period, place, kind or role. `focus`:
        which part of a comparison is read ("Chỉ cho biết số liệu của Gia Lai")."""
        shown = self._select(query, about)
        if not shown:
            return self._refuse(query, "no paragraph about the asked scope")
        draft = self._generate(query, shown, on_token, focus)
        if _no_figure(draft, query):
            return self._choose(query, shown, about, focus)
        passages = [e.passage for e in shown]
        draft = attach_marker(draft, passages, query.text, [e.text for e in shown])
        verdict = self._check(draft, passages, query)
        accepted: list[Figure] = []
        if verdict.ok:
            verdict, accepted = _figure_veto(draft, passages, query)
        if not verdict.ok and verdict.kind == "figure":
            # the figure read is ruled out: once more, told so
            wrong = ", ".join(sorted(set(numbers(strip_markers(draft))) - set(numbers(query.text))))
            reason = f"Con số {wrong} không đúng với câu hỏi ({verdict.reason})"
            again = self._again(query, shown, draft, reason, "con số đúng", focus)
            if again is None or _no_figure(again[0], query):
                return self._choose(query, shown, about, focus)  # ruled-out figures not offered
            draft, verdict = again
            if verdict.ok:
                verdict, accepted = _figure_veto(draft, passages, query)
        if not verdict.ok and verdict.kind == "name":
            # the figure fits but the wording adds a name no cited paragraph writes ("Trụ
            # lý" for "thụ lý"): the answer is worded from that figure's own clause
            figure = _sole_figure(draft, passages, query)
            if figure is not None:
                log.info("draft reworded (%s): %r", verdict.reason, draft)
                return self._worded(query, figure, about, "reworded")
        if not verdict.ok:
            log.info("draft rejected (%s): %r", verdict.reason, draft)
            return self._refuse(query, f"rejected: {verdict.reason}")
        reports = self._reports(query, accepted[0], about, "reports") if accepted else None
        if reports is not None:
            return reports
        answer = self._finish(draft, passages, query)
        return _dated(answer, query, accepted)

    def _choose(
        self, query: Query, shown: list[Excerpt], about: list[Passage], focus: str = ""
    ) -> Answer:
        """The model found no answer in the excerpts: it is shown the figures they hold
        that nothing rules out and that count what is asked, and picks one by its number
        (a 1.5B model that will not write an answer from a long sentence often picks it
        from a list); 0, or no such figure, or a lone one that leaves out what the
        question says, is the refusal."""
        if query.english:  # a loose translation is no ground to pick a figure on
            return self._refuse(query, "model found no answer")
        known = _known_places(query, about)
        asked_numbers = set(numbers(query.text))
        options: list[Figure] = []
        for e in shown:
            figures = facts.read_figures(e.passage, known)
            for f in figures:
                if f.sentence.strip() not in e.text or facts.conflict(query, f):
                    continue
                if facts.outdone(query, f, figures) or not facts.speaks_of(query, f):
                    continue
                if f.value in asked_numbers:
                    continue  # "đạt 100%" of the question is not its answer
                if facts.score(query, f) > 0 and all(f.value != o.value for o in options):
                    options.append(f)
        asked = set(tokens(query.text))

        def fit(f: Figure) -> tuple[float, int]:  # then: the question's words in its clause
            return facts.score(query, f), len(asked & set(tokens(f.clause)))

        options = sorted(options, key=fit, reverse=True)[:CHOICES]
        if not options or (len(options) == 1 and not _accounts_for(query, options[0])):
            # a lone option is no choice: a small model takes whatever it is offered, so it
            # must itself say what the question says (on real articles, picks of a lone
            # option were 2 right and 6 wrong; the wrong ones leave out "từ nguồn xã hội
            # hóa", "vụ cháy", "sau đợt sắp xếp")
            return self._refuse(query, f"model found no answer; {len(options)} figure to choose")
        lines, quoted = [], set()
        for i, f in enumerate(options, 1):  # each sentence quoted once, after its first figure
            sentence = f.sentence.strip()
            lines.append(f"{i}. {f.clause}" + ("" if sentence in quoted else f" — «{sentence}»"))
            quoted.add(sentence)
        question = f"{query.text} ({focus})" if focus else query.text
        user = prompts.render("choose_user", question=question,
                              options="\n".join(lines))  # fmt: skip
        messages = [{"role": "system", "content": prompts.text("choose_system")},
                    {"role": "user", "content": user}]  # fmt: skip
        reply = self.llm.chat(messages, max_tokens=4)
        picked = re.match(r"\s*(\d+)", reply or "")
        n = int(picked.group(1)) if picked else 0
        if not 1 <= n <= len(options):
            return self._refuse(query, f"model found no answer; chose none of {len(options)}")
        return self._worded(query, options[n - 1], about, "chosen")

    def _worded(self, query: Query, figure: Figure, about: list[Passage], note: str) -> Answer:
        """The answer worded from the figure itself (its clause, place and period), with
        the same figure's reports at other dates when there are."""
        reports = self._reports(query, figure, about, note)
        if reports is not None:
            return reports
        drafted = compose.figure_answer(query, figure, query.period is None)
        return self._drafted(drafted, query, (note,))

    def _reports(
        self, query: Query, figure: Figure, about: list[Passage], note: str
    ) -> Answer | None:
        """The same figure reported at other dates, latest first, each with its date and
        citation (`facts.same_series`); None when no other date reports it."""
        figures = [f for p in about for f in facts.read_figures(p, _known_places(query, about))]
        reports = facts.same_series(query, figure, figures)
        if not reports:
            return None
        return self._drafted(compose.reports_answer(query, reports), query, (note,))

    def _compare_read(
        self, query: Query, parts: list[Query], paragraphs: list[Passage], on_token
    ) -> Answer:
        """Two or more places or periods compared: each part's figure is read on its own
        (as a single question, focused on that part, vetoed and chosen the same way), then
        the answer gives each one's figure and, when asked, which is larger."""
        found: list[tuple[str, Figure]] = []
        for part in parts:
            label = _part_label(query, part)
            about = [p for p in paragraphs if _about(part, p)]
            if not about:
                return self._refuse(query, f"no paragraph about {label}")
            focus = f"Chỉ cho biết số liệu của {label}"
            answer = self._figure_read(part, about, None, focus)
            figure = _figure_of(answer, part, about) if answer.found else None
            if figure is None:
                return self._refuse(query, f"no figure for {label}: {'; '.join(answer.notes)}")
            found.append((label, figure))
        # two periods: how much the later differs from the earlier, computed from both
        over_time = len(query.places) < 2 and len(found) == 2 and not parts[0].delta
        drafted = compose.comparison_answer(query, found, difference=over_time)
        return self._drafted(drafted, query, ("compared",))

    def _several(self, query: Query, about: list[Passage]) -> Answer:
        """Several figures asked at once ("bao nhiêu vụ, làm chết bao nhiêu người"): each
        the single figure that fits its part best, quoted from its sentence."""
        known = {n for p in about for n in place_names(f"{p.context} {p.paragraph_text}")}
        figures = [f for p in about for f in facts.read_figures(p, known)]
        found = []
        for counted in (query.counted, *query.also):
            ranked = facts.candidates(replace(query, counted=counted, also=()), figures)
            near = {f.value for s, f in ranked if s >= ranked[0][0] - NEAR_BEST} if ranked else ()
            if len(near) != 1:
                return self._refuse(query, f"no single figure for {' '.join(counted)}")
            found.append(("", ranked[0][1]))
        return self._drafted(compose.comparison_answer(query, found), query, ("several",))

    # -- people ------------------------------------------------------------------------
    def _byline(self, query: Query, about: list[Passage]) -> Answer:
        """Who wrote the article: only a byline — a paragraph that is a name and nothing
        else — answers it; a person the article is about never does."""
        for p in about:
            if _BYLINE.fullmatch(p.paragraph_text.strip()):
                name = p.paragraph_text.strip()
                text = f"Author: {name} [1]." if query.english else f"Tác giả: {name} [1]."
                return self._drafted(Drafted(text, (p,), (name,)), query, ("byline",))
        return self._refuse(query, "no byline among the retrieved paragraphs")

    def _person(self, query: Query, about: list[Passage], on_token) -> Answer:
        if query.period is not None:
            about = [p for p in about if _period_possible(query, p)]
        people = [x for p in about for x in read_people(p)]
        fitting = _people_fitting(query, people)
        if query.wants == "rank":
            # the rank written before the name the question gives (or, when it names
            # nobody, before the holder of the office it asks about)
            ranked = [x for x in people if x.title in MILITARY_RANKS
                      and names_phrase(query.text, " ".join(tokens(x.name)))]  # fmt: skip
            ranked = ranked or [x for x in fitting if x.title in MILITARY_RANKS and query.roles]
            if ranked:
                return self._drafted(compose.rank_answer(ranked[0]), query, ("rank",))
        holders = _holders(fitting) if query.roles and query.period is None else []
        if len(holders) > 1:  # the office changed hands: latest first, each with its date
            return self._drafted(compose.holders_answer(query, holders), query, ("holders",))
        shown = self._select(query, about)
        if not shown:
            return self._refuse(query, "no paragraph about the asked scope")
        draft = self._generate(query, shown, on_token)
        passages = [e.passage for e in shown]
        notes: list[str] = []
        if not is_refusal(draft):
            draft = attach_marker(draft, passages, query.text, [e.text for e in shown])
            verdict = self._check(draft, passages, query)
            if verdict.ok:
                verdict = _person_verdict(draft, passages, people, fitting, query)
            if verdict.ok:
                return self._finish(draft, passages, query)
            notes.append(f"rejected: {verdict.reason}")
            log.info("draft rejected (%s): %r", verdict.reason, draft)
        else:
            notes.append("model found no answer")
        if query.roles or part_asked(query.text):
            if len({x.name for x in fitting}) == 1:
                return self._drafted(compose.person_answer(fitting[0]), query, (*notes, "quoted"))
        return self._refuse(query, "; ".join(notes))

    # -- everything else ---------------------------------------------------------------
    def _free(self, query: Query, about: list[Passage], on_token) -> Answer:
        shown = self._select(query, about)
        if not shown:
            return self._refuse(query, "no paragraph about the asked period")
        draft = self._generate(query, shown, on_token)
        if is_refusal(draft):
            return self._refuse(query, "model found no answer")
        passages = [e.passage for e in shown]
        draft = attach_marker(draft, passages, query.text, [e.text for e in shown])
        verdict = self._check(draft, passages, query)
        if not verdict.ok and verdict.kind in ("date", "place"):
            # a day no cited paragraph writes, no place named for "phường nào"
            again = self._again(query, shown, draft, verdict.reason, "câu trả lời")
            if again is None:
                return self._refuse(query, "model found no answer when asked again")
            draft, verdict = again
        if verdict.ok:
            return self._finish(draft, passages, query)
        log.info("draft rejected (%s): %r", verdict.reason, draft)
        return self._refuse(query, f"rejected: {verdict.reason}")

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

    def _select(self, query: Query, about: list[Passage]) -> list[Excerpt]:
        """Best sentences of the paragraphs that can speak of the asked period."""
        # the places known as the choice list and the series read them (before the period
        # narrows what is shown)
        known = _known_places(query, about) if query.wants == "figure" else set()
        if query.period is not None:
            about = [p for p in about if _period_possible(query, p)]
        weigh = None
        if query.wants == "figure":
            # a paragraph that writes no figure (a byline, a photo caption) cannot answer
            about = [p for p in about if facts.read_figures(p, known)]
            weigh = _figure_weights(query, about[: self.config.context_passages])
        return select(
            query.text,
            about[: self.config.context_passages],
            self.config.context_tokens,
            self.config.context_sentences,
            self.config.chunk_encoding,
            self.config.context_min_share if not query.english else 0.0,
            query.places,
            weigh,
        )

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
        return _decimal_commas(draft) if query.english else draft

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
    if not query.counted and not query.topic and query.wants in ("other", previous.wants):
        changes.update(counted=previous.counted, topic=previous.topic, wants=previous.wants,
                       measure=previous.measure, words=query.words | previous.words)  # fmt: skip
    return replace(query, **changes) if changes else query


# Words of a question that say how it asks, not what about (periods are read apart).
_ASKING = set(tokens("bao nhiêu mấy ai nào gì vì do bởi bị được khoảng hiện nay tháng năm quý "
                     "ngày đầu cuối tính đến từ tỉnh huyện xã phường thành phố tp thị quận "
                     "trấn toàn địa bàn tiền"))  # fmt: skip


def _accounts_for(query: Query, figure: Figure) -> bool:
    """The figure's sentence, with its article's headline and lead, writes every word the
    question asks with but one (places, periods and question words apart)."""
    places = {w for p in (*query.places, *query.area) for w in p.split()}
    text = query.text
    for m in read_periods(text):  # "Quý I năm 2023": the period is checked apart
        text = text[: m.start] + " " * (m.end - m.start) + text[m.end :]
    asked = set(expand(tokens(text))) - STOPWORDS - _ASKING - places
    asked = {w for w in asked if not w.isdigit()}
    written = tokens(f"{figure.passage.context} {figure.sentence}")
    seen = set(written) | set(expand(written))
    return len(asked - seen) <= 1


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


def _decimal_commas(text: str) -> str:
    """An English "308.7" (or "2.9 billion") as the articles write it, "308,7": read as a
    thousands separator it would be 3087, a number no paragraph writes."""
    return re.sub(r"\b(\d+)\.(\d{1,2})\b(?![.,]\d)", r"\1,\2", text)


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


def _label(query: Query, e: Excerpt) -> str:
    """What the reader of an excerpt must know that it may not say: the place the
    article is about (only a place the question asks and the headline/lead or the shown
    sentence names) and when the article came out."""
    seen = f"{e.passage.context} {e.text}"
    named = [compose._written(query.text, n) for n in query.places if names_phrase(seen, n)]
    return ", ".join([*named, e.passage.date or ""]).strip(", ")


def _period_possible(query: Query, p: Passage) -> bool:
    """The paragraph names the asked period (or a day in it); or it names none of its own
    and its article came out in that period or just after it (an event then, a review of
    it). A period carried from earlier paragraphs does not rule it out."""
    published = month_of(p.date)
    own = [m.period for m in read_periods(p.paragraph_text, published)
           if not (m.reference or m.plan)]  # fmt: skip
    carried = [m.period for m in read_periods(p.carried, published)]
    if any(fits(query.period, s, published, "event") >= 2 for s in own + carried):
        return True
    return not own and fits(query.period, None, published, "event") > 0


def _dated(answer: Answer, query: Query, near: list[Figure]) -> Answer:
    """A figure given for a question that named no period says when it is for."""
    if query.period is not None:
        return answer
    given = set(numbers(strip_markers(answer.text)))
    figure = next((f for f in near if f.value in given), None)
    when = compose.when(figure, query.english) if figure is not None else ""
    year = re.search(r"\d{4}", when)
    if not when or (year and year.group() in answer.text):
        return answer
    text = re.sub(r"\s*(\[\d+\])?\.?$", lambda m: f" ({when}) {m.group(1) or ''}".rstrip() + ".",
                  answer.text, count=1)  # fmt: skip
    return replace(answer, text=text)


def _known_places(query: Query, passages: list[Passage]) -> set[str]:
    """Names known to be places when reading these paragraphs: those they write after an
    administrative word, and those the question asks about ("Huyện Bảo Yên" makes the bare
    "Bảo Yên 109" of a breakdown a place)."""
    known = {n for p in passages for n in place_names(f"{p.context} {p.paragraph_text}")}
    return known | set(query.places) | set(query.area)


def _figure_weights(query: Query, passages: list[Passage]):
    """A sentence whose every figure is ruled out for the question (another period,
    place, kind or role: `facts.conflict`) weighs less when choosing what the model reads;
    one with a figure of the asked kind that nothing rules out weighs more."""
    known = _known_places(query, passages)
    ruled: dict[tuple[str, str], list[bool]] = {}
    kind: set[tuple[str, str]] = set()
    for p in passages:
        for f in facts.read_figures(p, known):
            ruled.setdefault((p.id, f.sentence.strip()), []).append(bool(facts.conflict(query, f)))
            if not facts.conflict(query, f) and facts.score(query, f) > 0:
                kind.add((p.id, f.sentence.strip()))  # counts what is asked

    def weigh(p: Passage, sentence: str) -> float:
        marks = ruled.get((p.id, sentence.strip()))
        if not marks:
            return 1.0
        if all(marks):
            return 0.3
        return KIND_WEIGHT if (p.id, sentence.strip()) in kind else 1.0

    return weigh


def _parts(query: Query) -> list[Query]:
    """The single-scope questions a comparison is made of: one per place ("Gia Lai và Kon
    Tum"), else one per period ("năm 2022 và năm 2023"); [query] when it compares nothing."""
    if len(query.places) > 1:
        return [replace(query, places=(p,), levels=(lv,), compare=False)
                for p, lv in list(zip(query.places, query.levels, strict=True))[:3]]  # fmt: skip
    # one period written twice ("Quý I/2023 (3 tháng đầu năm)") is one part
    periods = list({p.span() or p: p for p in query.periods}.values())
    if (  # "4 tháng đầu năm 2023 so với 4 tháng đầu năm 2020 thế nào?": both are asked
        len(periods) == 1
        and query.versus is not None
        and not query.delta
        and query.versus.span() not in (None, periods[0].span())
        and _HOW_COMPARED.search(fold(query.text))
    ):
        periods.append(query.versus)
    if len(periods) > 1:
        periods = sorted(periods[:3], key=lambda p: p.span() or (0, 0))  # oldest first
        # "GRDP 6 tháng 2022 và 6 tháng 2023 tăng lần lượt bao nhiêu %": each period's own
        # change is asked (with no "so với", the change is not one between them)
        own_change = query.delta and query.versus is None and len(periods) == len(query.periods)
        return [replace(_period_part(query, p), delta=own_change) for p in periods]
    return [query]


def _both_periods(query: Query) -> list[Query]:
    """A change between two periods ("tháng 2/2024 so với tháng 2/2023 tăng bao nhiêu"),
    as the two counts to read, oldest first; [] when it names no other period."""
    if not query.delta or query.percent or query.versus is None or query.period is None:
        return []  # a rate's change is not the difference of two rates
    base, span = query.versus.span(), query.period.span()
    if base is None or span is None or base == span:
        return []
    return [_period_part(query, p) for p in (query.versus, query.period)]


def _period_part(query: Query, period: Period) -> Query:
    """One period of a comparison, asked as a single question: its count, not a change."""
    return replace(query, period=period, periods=(period,), versus=None, compare=False,
                   delta=False)  # fmt: skip


# "… so với … thế nào / ra sao": how two periods compare, not by how much one changed
_HOW_COMPARED = re.compile(r"\b(?:the nao|ra sao|so sanh|hon hay|khac gi)\b")


# "Ai là tác giả bài viết?", "who wrote …": the byline is asked, not a person of the story
_AUTHOR = re.compile(r"\b(?:tac gia|ai viet|phong vien nao|but danh|author|who wrote)\b")
_BYLINE = re.compile(r"[A-ZĐÀ-Ỹ][\wÀ-ỹ]+(?: [A-ZĐÀ-Ỹ][\wÀ-ỹ]+){1,3}")


def _no_figure(draft: str, query: Query) -> bool:
    """The draft gives no figure: NOT_FOUND, or only numbers the question itself holds."""
    return is_refusal(draft) or not set(numbers(strip_markers(draft))) - set(numbers(query.text))


def _part_label(query: Query, part: Query) -> str:
    """How the answer names one compared part: the place as the question writes it, or
    the period."""
    if len(query.places) > 1:
        return compose._written(query.text, part.places[0])
    return part.period.label() if part.period is not None else ""


def _figure_of(answer: Answer, query: Query, about: list[Passage]) -> Figure | None:
    """The figure an answer gives, read from the paragraph it cites first."""
    cited = answer.citations[0]
    passage = next((p for p in about if (p.article, p.paragraph) == (cited.article,
                    cited.paragraph)), None)  # fmt: skip
    if passage is None:
        return None
    given = set(numbers(strip_markers(answer.text))) - set(numbers(query.text))
    known = _known_places(query, [passage])
    figures = [f for f in facts.read_figures(passage, known)
               if f.value in given and not facts.conflict(query, f)]  # fmt: skip
    return figures[0] if figures else None


def _figure_veto(
    draft: str, passages: list[Passage], query: Query, strict: bool = False
) -> tuple[Verdict, list[Figure]]:
    """The draft's figure, where its cited paragraphs write it, must not be ruled out by
    what its sentence says (see `facts.conflict`); a figure the reader cannot place in a
    sentence passes (the number check already found it in the paragraph). Also returns the
    figures that pass."""
    given = set(numbers(strip_markers(draft))) - set(numbers(query.text))
    given -= {str(y) for p in query.periods for y in (p.first[0], p.last[0]) if y}
    if not given:
        return Verdict(False, "a figure was asked for and the answer gives none", "figure"), []
    cited = [passages[n - 1] for n in parse_markers(draft) if 1 <= n <= len(passages)]
    known = _known_places(query, cited)
    siblings = {p.id: facts.read_figures(p, known) for p in cited}
    figures = [f for p in cited for f in siblings[p.id] if f.value in given]
    if strict:  # one part of a comparison: its figure must come from a paragraph about it
        figures = [f for f in figures if _about(query, f.passage)]
        if not figures:
            return Verdict(False, f"no cited figure for {query.places or query.period}"), []
    if not figures:
        return Verdict(True), []
    reasons = [facts.conflict(query, f) or facts.outdone(query, f, siblings[f.passage.id])
               for f in figures]  # fmt: skip
    if all(reasons):
        return Verdict(False, reasons[0], "figure"), []
    return Verdict(True), [f for f, r in zip(figures, reasons, strict=True) if not r]


def _sole_figure(draft: str, passages: list[Passage], query: Query) -> Figure | None:
    """The one figure the draft gives, as a cited paragraph writes it, when nothing rules it
    out and it counts what is asked (the tests `_choose` puts its options to); else None."""
    verdict, accepted = _figure_veto(draft, passages, query)
    fitting = [f for f in accepted if facts.speaks_of(query, f) and facts.score(query, f) > 0]
    return fitting[0] if verdict.ok and len({f.value for f in fitting}) == 1 else None


def _people_fitting(query: Query, people: list[Person]) -> list[Person]:
    """People the paragraphs give the asked office (not only a deputy's) of the asked place,
    or the asked part ("chủ trì"); latest article first."""
    part = part_asked(query.text)
    out = []
    for x in people:
        if query.roles:
            if not holds_roles(x.offices, query.roles):
                continue
            if not same_body(query.text, x.offices, query.roles):
                continue  # "Giám đốc Sở Giao thông Vận tải" for "Giám đốc Công an tỉnh"
            place = office_place(x, query.roles)
            if place and query.places and place not in query.places:
                continue  # "Trưởng Công an xã Ia Pal" is not the head of the district's police
        elif not does(x, part):
            continue  # no office asked: the part ("chủ trì") is what names the person
        out.append(x)
    # who holds the office and also did the asked part first, then the latest article
    return sorted(out, key=lambda x: (does(x, part), x.passage.date or ""), reverse=True)


def _holders(fitting: list[Person]) -> list[Person]:
    """One mention per person, latest article first, when they come from articles of
    different dates (else [])."""
    out: list[Person] = []
    for x in fitting:
        if all(x.name != y.name for y in out):
            out.append(x)
    return out if len({x.passage.date for x in out}) > 1 else []


def _person_verdict(
    draft: str,
    passages: list[Passage],
    people: list[Person],
    fitting: list[Person],
    query: Query,
) -> Verdict:
    """A "who" answer must name a person of the cited paragraphs, and, when the question
    asks for an office or a part ("chủ trì"), one they give that office or part."""
    cited = {passages[n - 1].id for n in parse_markers(draft) if 1 <= n <= len(passages)}
    plain = f" {' '.join(tokens(strip_markers(draft)))} "
    named = [x for x in people if x.passage.id in cited
             and f" {' '.join(tokens(x.name))} " in plain]  # fmt: skip
    if not named:
        return Verdict(False, "the answer names no person of the cited paragraphs")
    if query.roles or part_asked(query.text):
        if not any(x in fitting for x in named):
            return Verdict(False, "no cited clause gives the person named the asked office")
    return Verdict(True)
