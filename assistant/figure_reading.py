"""Figure questions ("bao nhiêu"): the model reads the best sentences and gives the figure,
which must be one a cited paragraph writes and nothing there rules out (`fitting.conflict`);
when it finds none it picks from the figures that fit; the same figure at several dates is
answered latest first; comparisons read each part on its own.

People, dates and free answers are read elsewhere (`assistant.person_reading`,
`assistant.answer`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import prompts
from assistant import compose, facts, fitting
from assistant.evidence import Excerpt
from assistant.facts import Figure
from assistant.lexicon import expand
from assistant.places import place_names
from assistant.query import Query
from assistant.reading import NOTHING_FOUND, Reader, in_scope, is_refusal, places_known
from assistant.scope import Period, read_periods
from assistant.text import STOPWORDS, fold, numbers, tokens
from assistant.types import Answer, Passage
from assistant.verify import Verdict, attach_marker, parse_markers, strip_markers

log = logging.getLogger(__name__)


# Candidates this close to the best word score count as equally good answers.
NEAR_BEST = 1.0


# Figures offered to the model to choose from when it found no answer itself.
CHOICES = 4


# Words of a question that say how it asks, not what about (periods are read apart).
_ASKING = set(tokens("bao nhiêu mấy ai nào gì vì do bởi bị được khoảng hiện nay tháng năm quý "
                     "ngày đầu cuối tính đến từ tỉnh huyện xã phường thành phố tp thị quận "
                     "trấn toàn địa bàn tiền"))  # fmt: skip


def accounts_for(query: Query, figure: Figure) -> bool:
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


def _dated(answer: Answer, query: Query, near: list[Figure]) -> Answer:
    """A figure given for a question that named no period (or no year) says when it is for."""
    if query.period is not None and query.period.year is not None:
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


def parts_of(query: Query) -> list[Query]:
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


def both_periods(query: Query) -> list[Query]:
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
    known = places_known(query, [passage])
    figures = [f for f in facts.read_figures(passage, known)
               if f.value in given and not fitting.conflict(query, f)]  # fmt: skip
    return figures[0] if figures else None


def _figure_veto(
    draft: str, passages: list[Passage], query: Query, strict: bool = False
) -> tuple[Verdict, list[Figure]]:
    """The draft's figure, where its cited paragraphs write it, must not be ruled out by
    what its sentence says (see `fitting.conflict`); a figure the reader cannot place in a
    sentence passes (the number check already found it in the paragraph). Also returns the
    figures that pass."""
    given = set(numbers(strip_markers(draft))) - set(numbers(query.text))
    given -= {str(y) for p in query.periods for y in (p.first[0], p.last[0]) if y}
    if not given:
        return Verdict(False, "a figure was asked for and the answer gives none", "figure"), []
    cited = [passages[n - 1] for n in parse_markers(draft) if 1 <= n <= len(passages)]
    known = places_known(query, cited)
    siblings = {p.id: facts.read_figures(p, known) for p in cited}
    figures = [f for p in cited for f in siblings[p.id] if f.value in given]
    if strict:  # one part of a comparison: its figure must come from a paragraph about it
        figures = [f for f in figures if in_scope(query, f.passage)]
        if not figures:
            return Verdict(False, f"no cited figure for {query.places or query.period}"), []
    if not figures:
        return Verdict(True), []
    reasons = [fitting.conflict(query, f) or fitting.outdone(query, f, siblings[f.passage.id])
               for f in figures]  # fmt: skip
    if all(reasons):
        return Verdict(False, reasons[0], "figure"), []
    return Verdict(True), [f for f, r in zip(figures, reasons, strict=True) if not r]


def _sole_figure(draft: str, passages: list[Passage], query: Query) -> Figure | None:
    """The one figure the draft gives, as a cited paragraph writes it, when nothing rules it
    out and it counts what is asked (the tests `_choose` puts its options to); else None."""
    verdict, accepted = _figure_veto(draft, passages, query)
    good = [f for f in accepted if fitting.speaks_of(query, f) and fitting.score(query, f) > 0]
    return good[0] if verdict.ok and len({f.value for f in good}) == 1 else None


class FigureReader(Reader):
    """Reads figures, comparisons and series of reports."""

    # -- figures, read by the model ------------------------------------------------------
    def _figure_read(
        self, query: Query, about: list[Passage], on_token, focus: str = "", wide: bool = False
    ) -> Answer:
        """The model reads the best sentences of the paragraphs about the asked scope and
        gives the figure; the figure must be written in a cited paragraph and nothing
        written there may contradict the question's period, place, kind or role. `focus`:
        which part of a comparison is read ("Chỉ cho biết số liệu của Gia Lai")."""
        shown = self._select(query, about, wide)
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
            return self._refuse(query, NOTHING_FOUND)
        known = places_known(query, about)
        asked_numbers = set(numbers(query.text))
        options: list[Figure] = []
        for e in shown:
            figures = facts.read_figures(e.passage, known)
            for f in figures:
                if f.sentence.strip() not in e.text or fitting.conflict(query, f):
                    continue
                if fitting.outdone(query, f, figures) or not fitting.speaks_of(query, f):
                    continue
                if f.value in asked_numbers:
                    continue  # "đạt 100%" of the question is not its answer
                if fitting.score(query, f) > 0 and all(f.value != o.value for o in options):
                    options.append(f)
        asked = set(tokens(query.text))

        def fit(f: Figure) -> tuple[float, int]:  # then: the question's words in its clause
            return fitting.score(query, f), len(asked & set(tokens(f.clause)))

        options = sorted(options, key=fit, reverse=True)[:CHOICES]
        if not options or (len(options) == 1 and not accounts_for(query, options[0])):
            # a lone option is no choice: a small model takes whatever it is offered, so it
            # must itself say what the question says (on real articles, picks of a lone
            # option were 2 right and 6 wrong; the wrong ones leave out "từ nguồn xã hội
            # hóa", "vụ cháy", "sau đợt sắp xếp")
            return self._refuse(query, f"{NOTHING_FOUND}; {len(options)} figure to choose")
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
            return self._refuse(query, f"{NOTHING_FOUND}; chose none of {len(options)}")
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
        citation (`fitting.same_series`); None when no other date reports it."""
        figures = [f for p in about for f in facts.read_figures(p, places_known(query, about))]
        reports = fitting.same_series(query, figure, figures)
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
            about = [p for p in paragraphs if in_scope(part, p)]
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
            ranked = fitting.candidates(replace(query, counted=counted, also=()), figures)
            near = {f.value for s, f in ranked if s >= ranked[0][0] - NEAR_BEST} if ranked else ()
            if len(near) != 1:
                return self._refuse(query, f"no single figure for {' '.join(counted)}")
            found.append(("", ranked[0][1]))
        if len({(f.passage.id, f.sentence, f.start) for _, f in found}) < len(found):
            # "bao nhiêu vụ, … giải quyết bao nhiêu vụ": one figure is no answer to both
            return self._refuse(query, "one figure for several things asked")
        return self._drafted(compose.comparison_answer(query, found), query, ("several",))
