"""Figures read from paragraphs, each with what it counts and the period and place it is for.

`read_figures(passage, known_places)` reads every number of a paragraph once into a
`Figure`: the value as written (with "gần/hơn/khoảng"), the words after it (what it
counts: "vụ tai nạn giao thông") and before it in its clause ("làm chết"), its role (a
count, a change "tăng 8 vụ", a rate "88,2%", the numerator of "9/17", a target), the
period that governs it (its own sentence's, else one stated earlier in the paragraph, else
the article's, from the headline/lead) and its place (the nearest place named before it in
the sentence, "toàn tỉnh" meaning the article's province, else the article's place).
How well a figure answers a `Query` is in `assistant.fitting`; reading periods and places
is in `assistant.scope` / `assistant.places`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from assistant import scope
from assistant.lexicon import expand, unit_form
from assistant.places import Place, read_places
from assistant.scope import Mention, Period
from assistant.text import numbers, split_sentences, tokens
from assistant.types import Passage

# A number ("9.890", "2,9", "9/17"), possibly with its unit glued on ("2.225,93g").
_NUMBER = re.compile(
    r"(?<![\w/.,])(\d+(?:[.,]\d+)*(?:\s*/\s*\d+)?)(kg|mg|g|ha|km2|km|m2|m3|m)?(?![\w/])"
)
_QUALIFIER = re.compile(r"(?:gần|hơn|trên|khoảng|gần như|xấp xỉ|chừng|ước|ước tính|"
                        r"dưới|tới|đến|hàng|ít nhất|tối thiểu|tổng cộng|tổng số)\s*$",
                        re.IGNORECASE)  # fmt: skip
# Words after a number that end what it counts (linking words, verbs of the next clause).
_UNIT_STOP = set(
    "trong của cho được với tại ở và để trên từ do có đã là đến nhằm giúp so khi nhưng "
    "thì vì theo bằng tương cùng này đó".split()
)
UNIT_STOP_FOLDED = frozenset(tokens(" ".join(_UNIT_STOP)))
# Outcomes counted together ("330 người chết và mất tích"): one figure for both, so "và"
# before another outcome (no number of its own) does not end what the number counts.
_JOINED_OUTCOME = re.compile(r"\s*và\s+(?:bị\s+|người\s+)?(?:chết|tử vong|mất tích|thương|"
                             r"bị thương)\b(?!\s*\d)", re.IGNORECASE)  # fmt: skip
# A change ("giảm 12 vụ"); not a level reached by one ("giảm còn 9,8%", "tăng lên 500").
_DELTA = re.compile(r"\b(?:tăng|giảm|ít hơn|nhiều hơn|cao hơn|thấp hơn|vượt|gấp|chênh lệch)\b"
                    r"(?! trưởng| còn| xuống| lên)", re.IGNORECASE)  # fmt: skip
_GROWTH = re.compile(r"\btăng trưởng\b", re.IGNORECASE)
_PLAN = re.compile(r"\b(?:phấn đấu|chỉ tiêu|mục tiêu|kế hoạch|dự kiến|đề nghị|yêu cầu|"
                   r"đặt ra|sẽ)\b", re.IGNORECASE)  # fmt: skip
# ";", ". " and ":" end a clause, but not "khách quốc tế đạt: 600.000 lượt"
_CLAUSE_END = re.compile(r";|\.\s|:(?!\s*\d)")


@dataclass(frozen=True)
class Figure:
    passage: Passage
    sentence: str
    start: int  # offsets of the number in `sentence`
    end: int
    value: str  # canonical digits: "9890", "2.9"
    qualifier: str  # "gần", "hơn", … as written ("" when exact)
    unit: tuple[str, ...]  # folded, expanded words after the number: what it counts
    before: tuple[str, ...]  # folded, expanded words before it in its clause
    role: str  # count, delta, percent, ratio_total, plan
    period: Period | None
    place: str | None  # folded place name; None when not known
    place_level: str = ""  # province, city, district, …, unit ("Phòng …", "Đội …")
    place_written: bool = False  # named in its sentence, not the article's place by default
    # places its sentence names that none of its figures is for: where the event it tells
    # of happened ("… điều tra vụ mất trộm 65 lượng vàng xảy ra tại phường 6")
    locus: tuple[str, ...] = ()
    undated: bool = False  # no period written for it: it is as of its article's date
    primary: bool = False  # for the period the article reports on (its main one)
    versus: Period | None = None  # for a change: what it is compared with ("so với năm 2022")
    tail: tuple[str, ...] = ()  # the rest of its clause, up to the next figure
    # what the total it breaks down counts ("Toàn tỉnh xảy ra 95 vụ TNGT. Trong đó, huyện A
    # 14 vụ"): the words around the nearest earlier figure with the same unit
    inherited: tuple[str, ...] = ()

    @property
    def is_rate(self) -> bool:
        return self.role in ("percent", "delta_percent", "growth")

    @property
    def clause(self) -> str:
        """The figure with the words after it up to the end of its clause ("403 tin có giá
        trị"): what it counts, as the article says it."""
        rest, written = self.sentence[self.start :], self.end - self.start
        at = written
        while end := re.search(r"[,;:.!?…()]|\s(?:và|với|trong đó|so với)\s", rest[at:]):
            joined = _JOINED_OUTCOME.match(rest, at + end.start())
            if not joined:
                return rest[: at + end.start()].strip()
            at = joined.end()  # "330 người chết và mất tích": one count of both
        return rest.strip()

    @property
    def phrase(self) -> str:
        """The figure as the article writes it, with its qualifier and counted words
        ("gần 300 mắt camera")."""
        tail = self.sentence[self.end :]
        text = self.sentence[self.start : self.end] + tail[: _phrase_end(tail)]
        return f"{self.qualifier} {text.rstrip()}".strip()


def _resolve_place(
    place: Place | None, article_places: list[Place], default: tuple[str, str] | None
) -> tuple[str | None, str, bool]:
    """(name, level, written in the figure's sentence) of the place a figure is for: the
    place named there, "toàn tỉnh" as the article's province, else the article's place."""
    if place is None:
        return (*default, False) if default else (None, "", False)
    if place.name:
        return place.name, place.level, True
    same = [p for p in article_places if p.name and p.level == place.level]
    if not same and place.level == "city":  # "thành phố" in an article about "TP Bảo Lộc"
        same = [p for p in article_places if p.name and p.level in ("town", "district")]
    return (same[0].name, place.level, True) if same else (None, place.level, True)


LEVEL_ORDER = ("unit", "commune", "town", "district", "city", "province", "")


@lru_cache(maxsize=4096)
def _article_scope(context: str, title: str, date: str | None, known: frozenset[str]):
    """From the headline/lead: the places it names, the place the article is about (the
    most specific one its headline names, else its lead names other than as the venue of
    an event: "tại phường Quy Nhơn, Công an tỉnh Gia Lai …"), and its main period."""
    ref = scope.month_of(date)
    places = read_places(context, known)
    named = [p for p in places if p.name and p.level != "unit"]
    in_title = [p for p in named if p.end <= len(title)] if context.startswith(title) else []
    # "tại phường Quy Nhơn, Công an tỉnh Gia Lai tổ chức hội nghị": where a meeting was held
    # is not what it reports on (where a fire broke out is)
    meeting = re.search(r"\b(?:tổ chức|hội nghị|họp|lễ|hội thảo|đại hội)\b", context, re.I)
    venue = re.compile(r"(?:tại|ở)\s*$", re.IGNORECASE)
    subjects = (
        in_title
        or [p for p in named if not (meeting and venue.search(context[: p.start]))]
        or named
    )
    default = None
    if subjects:
        # the most specific level that names one place: a lead naming two districts
        # ("huyện Lệ Thủy và huyện Quảng Ninh" in a report on Quảng Bình) is about neither
        levels = sorted({p.level for p in subjects}, key=LEVEL_ORDER.index)
        single = [lv for lv in levels if len({p.name for p in subjects if p.level == lv}) == 1]
        level = single[0] if single else levels[0]
        best = next(p for p in subjects if p.level == level)
        default = (best.name, best.level)
    main = next((m.period for m in scope.read_periods(context, ref) if not m.reference
                 and m.period.kind not in ("day", "range", "as_of")
                 and m.period.year is not None), None)  # fmt: skip
    return places, default, main


def words_of(text: str) -> tuple[str, ...]:
    return tuple(expand(tokens(text)))


def read_figures(passage: Passage, known: Iterable[str] = ()) -> list[Figure]:
    """Every number of the passage's paragraph (see the module docstring). Read once per
    paragraph and set of known place names: one answer asks for the same paragraph's
    figures at several steps (what is shown, the choice list, the checks)."""
    return list(_read_figures(passage, frozenset(known)))


@lru_cache(maxsize=2048)
def _read_figures(passage: Passage, known: frozenset[str]) -> tuple[Figure, ...]:
    article_places, default_place, main_period = _article_scope(
        passage.context, passage.title, passage.date, known
    )
    text = passage.paragraph_text
    ref = scope.month_of(passage.date)
    periods = scope.read_periods(text, ref)
    places = read_places(text, known)
    out: list[Figure] = []
    written = scope.read_periods(passage.carried, ref)
    carried: Period | None = written[0].period if written else main_period
    for a, b in split_sentences(text) or [(0, len(text))]:
        sentence = text[a:b]
        own = [replace(m, start=m.start - a, end=m.end - a) for m in periods if a <= m.start < b]
        spots = [replace(p, start=p.start - a, end=p.end - a) for p in places if a <= p.start < b]
        busy = [(m.start, m.end) for m in own] + [(p.start, p.end) for p in spots]
        found = [m for m in _NUMBER.finditer(sentence)
                 if not any(x <= m.start() < y for x, y in busy)]  # fmt: skip
        mine: list[Figure] = []
        previous_end, previous_role = 0, ""
        for i, m in enumerate(found):
            begin = max([0] + [c.end() for c in _CLAUSE_END.finditer(sentence, 0, m.start())])
            clause_start = max(previous_end, begin)
            between = sentence[clause_start : m.start()]
            next_start = found[i + 1].start() if i + 1 < len(found) else len(sentence)
            after = sentence[m.end() : next_start]
            counted_end = m.end() + _counted_end(after)
            unit = _unit(after)
            if m.group(2):  # "2.225,93g"
                unit = (unit_form(m.group(2)), *unit)
            if len(unit) > 1 and unit[0] in _MULTIPLIERS and unit[1] not in _MONEY:
                unit = unit[1:]  # "1,85 triệu lượt khách" counts "lượt khách"
            # a change lists on within its clause ("tăng 8 vụ, 11 người bị thương"), not past it
            role = _role(
                unit, after, between, previous_role if clause_start == previous_end else ""
            )
            if _PLAN.search(sentence[: m.start()][-60:]) and not role.startswith("delta"):
                role = "plan"
            period = _period_at(own, m.start(), sentence, carried)
            undated = period is None and not passage.carried and ref is not None
            if undated:
                # an article reporting no period (an event, a count "hiện có"): as of its date
                period = Period(ref, ref, "as_of")
            if _after(period, ref) and not role.startswith("delta"):
                role = "plan"  # a period not over when the article came out: a target
            qualifier = _QUALIFIER.search(between)
            place_name, place_level, place_written = _resolve_place(
                _place_at(spots, m.start(), counted_end, sentence), article_places, default_place
            )
            clause = _CLAUSE_END.search(sentence, m.end())
            versus = _versus(own, sentence, (begin, m.start(), m.end()), clause, period)
            mine.append(
                Figure(
                    passage=passage,
                    sentence=sentence,
                    start=m.start(),
                    end=m.end(),
                    value=numbers(m.group(1).split("/")[0])[0],
                    qualifier=qualifier.group().strip() if qualifier else "",
                    unit=unit,
                    tail=words_of(re.split(r"[;:]|\.\s", sentence[counted_end:next_start])[0]),
                    before=words_of(between),
                    role=role,
                    period=period,
                    place=place_name,
                    place_level=place_level,
                    place_written=place_written,
                    primary=period is None
                    or period.kind == "as_of"
                    or (main_period is not None and scope.fits(main_period, period) == 3),
                    versus=versus if role.startswith("delta") else None,
                    undated=undated,
                )
            )
            previous_end, previous_role = counted_end, role
        own_places = {f.place for f in mine if f.place_written}
        locus = tuple(p.name for p in spots if p.name and p.name not in own_places)
        mine = [replace(f, locus=locus) for f in mine]
        out.extend(_share_kinds(mine))
        stated = [x.period for x in own if not (x.reference or x.plan) and x.period.kind != "day"]
        if stated:
            carried = stated[-1]
    earlier = []
    if passage.follows:
        earlier = read_figures(replace(passage, paragraph_text=passage.follows, follows=""), known)
    return tuple(_inherit_kinds(earlier, out))


def _described(f: Figure) -> tuple[str, ...]:
    return (*f.unit, *f.before, *f.tail, *f.inherited)


def _inherit_kinds(earlier: list[Figure], figures: list[Figure]) -> list[Figure]:
    """A figure that counts what an earlier one counts (same unit) inherits the words
    around it: a breakdown ("Trong đó, TP. Vinh xảy ra 221 vụ") counts what its total
    ("1.351 vụ vi phạm pháp luật về trật tự xã hội") counts."""
    out: list[Figure] = []
    for f in figures:
        total = next((g for g in reversed(earlier + out) if g.unit[:1] == f.unit[:1]
                      and len(_described(g)) > len(f.unit) + len(f.before)), None)  # fmt: skip
        out.append(replace(f, inherited=_described(total)) if total is not None else f)
    return out


_MULTIPLIERS = {"nghin", "ngan", "trieu", "ty", "ti"}
_MONEY = {"dong", "usd", "vnd", "dola"}


def _role(unit: tuple[str, ...], after: str, between: str, previous: str) -> str:
    """count, percent, delta or delta_percent (a change: "tăng 8 vụ", and the figures
    listed right after it: "tăng 8 vụ, 11 người bị thương")."""
    role = "percent" if unit[:1] == ("%",) or after.lstrip().startswith("%") else "count"
    if role == "percent" and _GROWTH.search(between):
        return "growth"  # a growth rate: a level and a change at once
    if _DELTA.search(between):
        return "delta" if role != "percent" else "delta_percent"
    # ... but not past the end of a parenthesis: "(so với năm 2022, ít hơn 24 vụ, nhiều
    # hơn 12 đối tượng) và 1.525 vụ" lists a total again
    if (
        previous.startswith("delta")
        and ")" not in between
        and (len(between.split()) <= 2 or between.strip() == "(")
    ):
        return "delta_percent" if role == "percent" else "delta"
    return role


def _share_kinds(figures: list[Figure]) -> list[Figure]:
    """ "95 vụ, 156 đối tượng phạm tội về ma túy": the kind written after the last figure
    of a list (two words or more after its classifier: not "14 người chết") is also that
    of the bare ones before it."""
    out = list(figures)
    for i in range(len(out) - 2, -1, -1):
        f, g = out[i], out[i + 1]
        gap = f.sentence[f.end : g.start]
        # the kind is what follows the last figure up to the item that leads to the next
        # figure ("161 vụ, 217 bị can, tổng số tiền … 1.200 tỷ": "tổng số tiền" is another
        # item; "… phạm tội về kinh tế, tham nhũng, chức vụ" lists one kind)
        rest = re.split(r"[;:(]|\.\s", f.sentence[g.end :])[0]
        following = [h for h in out[i + 2 :] if h.start < g.end + len(rest)]
        if following:
            rest = rest[: following[0].start - g.end].rsplit(",", 1)[0]
        written = len(words_of(rest))
        if (
            len(f.unit) == 1
            and written >= 4
            and re.fullmatch(r"\s*\w+\s*(?:,|và|với|cùng)(?:\s+\w+){0,2}\s*", gap)
        ):
            out[i] = replace(f, unit=f.unit + (g.unit + g.tail)[2:written])
    return out


def _after(period: Period | None, published: scope.Month | None) -> bool:
    """The period had not begun when the article came out (a plan for "năm 2025" in a 2024
    report). One under way ("tháng 2.2022" read as the year 2022 in a March 2022 report, a
    school year just opened) is not a plan."""
    span = period.span() if period is not None else None
    if span is None or published is None or period.kind in ("to_date", "as_of", "dates"):
        return False
    return span[0] > published[0] * 12 + published[1]


def _versus(
    own: list[Mention], sentence: str, at: tuple[int, int, int], clause, period: Period | None
) -> Period | None:
    """What a change is compared with, as its clause writes it: a period named after "so
    với" after it ("tăng 5 vụ so với năm 2022"), else before it ("So với cùng kỳ năm 2023,
    tăng 5 vụ"), else a base named from its own period ("so với tháng trước liền kề").
    `at`: where the change's clause begins, and the number's start and end."""
    begin, start, end = at
    stop = clause.start() if clause else len(sentence)
    later = [x.period for x in own if x.reference and end <= x.start < stop]
    earlier = [x.period for x in own if x.reference and begin <= x.start < start]
    if later:
        return later[0]
    if earlier:
        return earlier[-1]
    return scope.relative_base(sentence[begin:stop], period)


def _counted_end(after: str, limit: int = 6) -> int:
    """Where the words saying what a number counts end in the text `after` it: at
    punctuation, a linking word or after `limit` words ("%" alone for a rate)."""
    if after.lstrip().startswith("%"):
        return after.index("%") + 1
    end, n = 0, 0
    for m in re.finditer(r"\w+", after):
        if re.search(r"[,;:()\[\]“”\"]|\.\s", after[end : m.start()]) or n == limit:
            break
        if n and m.group().lower() in _UNIT_STOP and not _JOINED_OUTCOME.match(after, end):
            break
        end, n = m.end(), n + 1
    return end


def _phrase_end(after: str, most: int = 14) -> int:
    """Where a figure's quoted words end: where its words end ("1.390 đợt phát động phong
    trào toàn dân bảo vệ an ninh Tổ quốc") when that is within `most` words, else the 6
    words that say what it counts."""
    end = _counted_end(after, most)
    return end if len(re.findall(r"\w+", after[:end])) < most else _counted_end(after)


def _unit(after: str) -> tuple[str, ...]:
    """Folded, expanded words saying what a number counts (see `_counted_end`)."""
    if after.lstrip().startswith("%"):
        return ("%",)
    return words_of(after[: _counted_end(after)])


def _period_at(own: list[Mention], at: int, sentence: str, carried: Period | None) -> Period | None:
    """The period governing offset `at`: the nearest stated before it in the sentence, else
    one after it in its clause, else the one carried from earlier in the article."""
    before = [m for m in own if m.end <= at and not m.reference]
    if before:
        return before[-1].period
    clause = _CLAUSE_END.search(sentence, at)
    stop = clause.start() if clause else len(sentence)
    # (a plan after it is the plan's: "đạt 11.555 tỷ đồng, … đạt 64,5% kế hoạch cả năm")
    after = [m for m in own if at < m.start < stop and not (m.reference or m.plan)]
    if after:
        return after[0].period
    return carried


def _place_at(spots: list[Place], at: int, counted_end: int, sentence: str) -> Place | None:
    """The place governing the number at offset `at`: one named in what it counts ("1.605
    cơ sở giáo dục tỉnh Lâm Đồng"), else the nearest named before it in the sentence, else
    one introduced by "tại/ở/trên địa bàn" after it in its clause."""
    inside = [p for p in spots if at < p.start < counted_end]
    if inside:
        return inside[0]
    before = [p for p in spots if p.end <= at]
    if before:
        return before[-1]
    clause = _CLAUSE_END.search(sentence, at)
    stop = clause.start() if clause else len(sentence)
    for p in spots:
        if at < p.start < stop and re.search(
            r"(?:tại|ở|trên địa bàn|thuộc)\s*$", sentence[: p.start], re.IGNORECASE
        ):
            return p
    return None
