"""How well a figure read from a paragraph (`assistant.facts.Figure`) answers a `Query`.

`score` ranks figures by what they count, their place and period; `candidates` keeps the
best; `conflict` says what written in the figure's sentence rules it out (another period,
place, kind or role), `outdone` when a sibling figure of the same paragraph answers better
(a part asked and its whole, what happened vs what was dealt with), `speaks_of` whether it
speaks of what the question asks; `same_series` finds the same figure reported at other
dates. Reading the figures themselves is in `assistant.facts`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant import scope
from assistant.facts import LEVEL_ORDER, UNIT_STOP_FOLDED, Figure, words_of
from assistant.lexicon import expand, same_unit
from assistant.places import read_places, same_level
from assistant.query import Query
from assistant.scope import Period
from assistant.text import STOPWORDS, fold, tokens
from assistant.types import Passage


def place_fits(query: Query, figure: Figure) -> bool:
    """The figure is given for a place the question names (any place when it names none).
    A figure whose place is not known fits only when its paragraph or the article's
    headline/lead names the asked place."""
    if not query.places:
        return True
    if figure.place is not None:
        return any(figure.place == name and same_level(level, figure.place_level, name)
                   for name, level in zip(query.places, query.levels, strict=True))  # fmt: skip
    text = f" {' '.join(tokens(figure.passage.context + ' ' + figure.sentence))} "
    return any(f" {p} " in text for p in query.places)


def names_fit(query: Query, figure: Figure) -> bool:
    """The names and identifiers the question gives ("chuyên án 1124T", "Trường THCS Võ Thị
    Sáu") are written in the figure's paragraph or its article's headline/lead."""
    text = f" {' '.join(tokens(figure.passage.context + ' ' + figure.passage.paragraph_text))} "
    return all(f" {n} " in text for n in (*query.names, *query.codes))


def _same_base(asked: Period | None, written: Period | None) -> bool:
    """A change's base fits the asked one unless both are known and share no month ("so
    với cùng kỳ năm 2024" of a six-month figure is read as the year 2024: it overlaps the
    asked first half of 2024; the month before does not overlap a year earlier)."""
    a, b = (asked.span() if asked else None), (written.span() if written else None)
    return a is None or b is None or (a[0] <= b[1] and b[0] <= a[1])


def role_fits(query: Query, figure: Figure) -> bool:
    """A target answers nothing; a change answers "tăng/giảm bao nhiêu" (compared with what
    the question compares with, when both say), a level everything else; a rate answers
    "tỷ lệ", "%"."""
    if figure.role == "plan":
        return False
    if figure.role == "growth":
        return query.percent or query.delta or "truong" in query.words
    if query.delta != figure.role.startswith("delta"):
        return False
    if not _same_base(query.versus, figure.versus):
        return False
    if query.percent:
        return figure.is_rate
    return True


def period_fit(query: Query, figure: Figure) -> int:
    """3 same period, 2 inside it (a count on a day, an event), 1 unknown but plausible,
    0 no (see scope.fits)."""
    published = scope.month_of(figure.passage.date)
    return scope.fits(query.period, figure.period, published, query.measure)


def _shared_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def score(query: Query, figure: Figure) -> float:
    """How well the figure's words match what is asked: what it counts (the unit word
    weighs most), then the question's other words near it. 0: it counts something else."""
    unit, before = set(figure.unit), set(figure.before)
    sentence = set(words_of(figure.sentence))
    # The classifier both write ("vụ", "đối tượng", "trường") and the kind after it: a
    # figure naming its own kind must name the asked one ("vụ cháy" is not "vụ tai nạn giao
    # thông", "trường THPT" not "trường tiểu học"); a bare "14 vụ" takes its kind from
    # its sentence or paragraph ("Trong đó, huyện A 14 vụ").
    shared = max(1, _shared_prefix(figure.unit, query.counted))
    own_kind = set(figure.unit[shared:])
    if query.counted:  # "tỷ USD" for "bao nhiêu vốn": all of it is the unit, no kind
        own_kind = {w for w in own_kind if not same_unit(query.counted[0], w)}
    near = 1.0 if own_kind else 1.5  # "tai nạn nghiêm trọng 15 vụ": the kind is before it

    inherited = set(figure.inherited)

    def weight(w: str) -> float:
        if w in unit:
            return 1.5
        if w in before:
            return near
        return 1.0 if w in inherited else 0.3 if w in sentence else 0.0

    def context(w: str) -> float:  # the question's other words: the subject, the verb
        return 0.5 if w in unit or w in before else 0.3 if w in sentence else 0.0

    value = 0.0
    if query.counted:
        head = query.counted[0]
        units = figure.unit[:1] + (("nguoi",) if figure.unit[:2] == ("doi", "tuong") else ())
        if not (
            any(same_unit(head, u) for u in units)
            or head in figure.unit[:2]
            or _bare_turns(figure, head)
        ) and not (query.percent and figure.is_rate):
            return 0.0
        kind = [w for w in query.counted[shared:] if w not in STOPWORDS]
        if kind:
            # (the kind may also come after a list: "31 đối tượng tàng trữ, mua bán … ma túy")
            # (a figure naming only part of the asked kind, "10 vụ rất nghiêm trọng" for "vụ
            # TNGT rất nghiêm trọng", counts no other kind: the rest is looked for around it)
            named_kind = own_kind | set(figure.tail)
            other_kind = own_kind - STOPWORDS - set(kind)
            if own_kind and len(set(kind) & named_kind) < len(kind) / 2 and other_kind:
                return 0.0
            # a bare "14 vụ" names its kind in its clause, earlier in its sentence ("Về tội
            # phạm ma túy, … bắt 7 vụ và 13 đối tượng") or through the total it breaks down
            prefix = set(words_of(figure.sentence[: figure.start]))
            around = set(figure.tail) | set(figure.inherited) | (sentence if own_kind else prefix)
            if sum(w in unit | before | around for w in kind) < len(kind) / 2:
                return 0.0
        value += 3.0 + sum(weight(w) for w in query.counted[1:])
    elif query.percent and figure.is_rate:
        value += 2.0
    if not query.counted and query.topic:
        # "tổng thu ngân sách … đạt bao nhiêu": what is measured must be written next to
        # the figure (or, for a bare number or rate, in its sentence), not only near it:
        # "thiệt hại tài sản khoảng bao nhiêu" is not the "124 vụ" of its sentence
        near_words = unit | before | (sentence if figure.unit in ((), ("%",)) else set())
        if sum(w in near_words for w in set(query.topic)) < 2 * len(set(query.topic)) / 3:
            return 0.0
    value += sum(context(w) for w in query.words - set(query.counted))
    if query.delta and figure.role.startswith("delta"):
        value += 2.0
    return value


def _bare_turns(figure: Figure, head: str) -> bool:
    """A bare "lượt" (visits, turns: it names no one) counts what its clause named before
    it: "tổng lượng du khách … là trên 6,8 triệu lượt" counts "du khách"."""
    bare = figure.unit == ("luot",) or (
        figure.unit[:1] == ("luot",)
        and re.match(r"\s*lượt\s*(?:[,.;)]|$)", figure.sentence[figure.end :])
    )
    return bool(bare) and head in figure.before


@lru_cache(maxsize=1024)
def _paragraph_words(passage: Passage) -> frozenset[str]:
    return frozenset(words_of(f"{passage.context} {passage.follows} {passage.paragraph_text}"))


def candidates(query: Query, figures: list[Figure]) -> list[tuple[float, Figure]]:
    """Figures that can answer the question (right role, period and place), best first:
    by period fit, then word score."""
    out = []
    for f in figures:
        if not (role_fits(query, f) and place_fits(query, f) and names_fit(query, f)):
            continue
        fit = period_fit(query, f)
        if fit == 0:
            continue
        s = score(query, f)
        if s <= 0:
            continue
        if query.period is None and f.primary:
            s += 2.0  # no period asked: the one the article reports on, not a part of it
        if query.places and f.place_written:
            s += 1.0  # the asked place written next to it, not only the article's
        out.append((fit * 100 + s, f))
    out.sort(key=lambda x: -x[0])
    return out


def _when_key(figure: Figure) -> int:
    """Month number of what a figure reports: the end of its period, else its article's."""
    span = figure.period.span() if figure.period is not None else None
    if span is not None:
        return span[1]
    published = scope.month_of(figure.passage.date)
    return published[0] * 12 + published[1] if published else 0


_OUTCOME_WORDS = {"chet", "thuong", "tich"}  # killed, injured, missing (folded, expanded)
# Words after a number that say what kind of thing it counts: when the question's and the
# figure's differ, the figure counts something else ("36 vụ" for "bao nhiêu trường hợp").
_CLASSIFIERS = {
    "vu", "nguoi", "doi", "tuong", "truong", "hop", "ho", "camera", "xe", "phuong", "tien",
    "ty", "trieu", "dong", "%", "luot", "khach", "lan", "hoc", "sinh", "can", "bo", "nha",
    "ha", "kg", "gam", "tan", "banh", "vien", "don", "tin", "km", "m2", "km2", "xa",
    # counters: tờ (rơi), buổi, chiếc, cuộc, đợt, mô (hình), lớp, tàu, cá (nhân), tập (thể)
    "to", "buoi", "chiec", "cuoc", "dot", "mo", "lop", "diem", "tau", "thuyen", "ca", "tap",
}  # fmt: skip


# Classifiers English does not tell apart: a translated "cases" may be "vụ" or "trường hợp",
# "people" "người" or "đối tượng", "times" "lần" or "lượt"
_ONE_IN_ENGLISH = [{"vu", "truong"}, {"nguoi", "doi"}, {"lan", "luot"}]


def _place_fits(figure: Figure, name: str, level: str) -> bool:
    """The figure's written place is the asked one; or its sentence names the asked place
    as where the event happened (no figure of it is that place's own); or the figure is a
    unit's ("Phòng Cảnh sát hình sự … bắt giữ 26 đối tượng") and a commune or district is
    asked: a unit of the provincial police acts there, it is no territory of its own."""
    if figure.place == name and same_level(level, figure.place_level, name):
        return True
    if name in figure.locus:
        return True
    return figure.place_level == "unit" and level in ("commune", "district", "town")


def _dated_event(query: Query, figure: Figure, published: scope.Month | None) -> bool:
    """A figure no period is written for is what was reported at its article's date (an
    event, a cost): of a year, month or day asked when that date is in it; of one case
    asked about also when the article came out just after ("chiều 31-8" told on 1-9). Not
    of a span of months ("9 tháng đầu năm"): a count for it is written as such."""
    if not figure.undated or query.period is None:
        return False
    fit = scope.fits(query.period, None, published, "event")
    return fit >= 1 if query.incident else fit == 2 and query.period.kind in _CALENDAR


_CALENDAR = ("year", "month", "day")


def conflict(query: Query, figure: Figure) -> str:
    """Why `figure` cannot answer `query`, read from what its sentence says, in words the
    model is told when asked again ("" when nothing contradicts it). Only what is written
    counts against a figure: a period, place or kind that is not known never rules it out.
    This is the check a model's reading must pass, not a ranking: the model chooses, this
    vetoes."""
    if figure.role == "plan":
        return "đó là chỉ tiêu, kế hoạch, không phải kết quả"
    if query.delta != figure.role.startswith("delta") and figure.role != "growth":
        if figure.role.startswith("delta"):
            return "đó là mức tăng, giảm, không phải tổng số"
        return "đó là tổng số, không phải mức tăng, giảm"
    if query.percent and not figure.is_rate and figure.role != "ratio_total":
        return "đó không phải tỷ lệ"
    if not _same_base(query.versus, figure.versus):
        return "đó là so sánh với kỳ khác"
    if query.period is not None and figure.period is not None:
        published = scope.month_of(figure.passage.date)
        if not _dated_event(query, figure, published) and (
            scope.fits(query.period, figure.period, published, query.measure) == 0
        ):
            return f"đó là số liệu {figure.period.label()}, không phải {query.period.label()}"
    # (one case asked about: its places say where it happened, not whose total is asked)
    if query.places and figure.place is not None and not query.incident:
        if figure.place_written and not any(
            _place_fits(figure, name, level)
            for name, level in zip(query.places, query.levels, strict=True)
        ):
            return "đó là số liệu của địa bàn khác"
        narrower = "" if figure.place_written else _narrower_asked(query, figure)
        if narrower:
            return f"đó là số liệu chung của cả địa bàn, không riêng {narrower}"
    if query.counted:
        head = query.counted[0]
        unit = figure.unit[:1]
        if (
            unit
            and head in _CLASSIFIERS
            and unit[0] in _CLASSIFIERS
            and not same_unit(head, unit[0])
            and head not in figure.unit[:3]
            and not _bare_turns(figure, head)
            and not (query.percent and figure.is_rate)
            and not (query.english and {head, unit[0]} in _ONE_IN_ENGLISH)
        ):
            return "đó là số liệu về thứ khác"
        # a compound counter: "lượt người (tham dự)" is not "lượt phát động"
        if (
            len(query.counted) > 1
            and head in _CLASSIFIERS
            and query.counted[1] in _CLASSIFIERS
            and unit
            and same_unit(head, unit[0])
            and len(figure.unit) > 1
            and query.counted[1] not in figure.unit[:3]
        ):
            return "đó là số liệu về thứ khác"
        asked = _OUTCOME_WORDS & set(query.counted)
        written = _OUTCOME_WORDS & set(figure.unit + figure.before)
        if asked and written and not asked & written:
            return "đó là số liệu về thứ khác (người chết, bị thương, mất tích)"
        joined = _OUTCOME_WORDS & set(figure.unit)
        if asked and len(joined) > 1 and not joined <= asked:
            return "đó là tổng số gộp nhiều loại (chết và mất tích), không riêng loại được hỏi"
    # one kind of a whole split by kinds ("trên đường bộ 21.512 vụ", "đường sắt 123 vụ"):
    # a figure that does not name the asked kind is the whole or another kind
    mode = _MODE.search(" ".join(tokens(query.text)))
    if mode and mode.group(1) not in " ".join(figure.before + figure.unit + figure.tail):
        return f"đó không phải số liệu riêng {_MODE_WRITTEN[mode.group(1)]}"
    return ""


# Kinds a whole is split by, each written as such in the question and in the figure's clause
# ("đường thủy nội địa" asked: the kind is "đường thủy")
_MODE = re.compile(r"\b(duong (?:bo|sat|thuy))(?: noi dia)?\b")
_MODE_WRITTEN = {"duong bo": "đường bộ", "duong sat": "đường sắt", "duong thuy": "đường thủy"}


# Words of where and when, said of any figure: they do not tell what one counts.
_SCOPE_WORDS = {"tinh", "huyen", "thanh", "pho", "xa", "phuong", "quan", "thi", "tran", "thang",
                "quy", "dau", "cuoi", "ky", "toan", "dia", "ban", "cong", "tp", "ubnd"}  # fmt: skip


def _bigrams(text: str) -> set[tuple[str, str]]:
    words = tokens(text)
    return set(zip(words, words[1:], strict=False))


def speaks_of(query: Query, figure: Figure) -> bool:
    """The figure's own words (its clause, the words before it, the kind it inherits) hold
    something the question asks beyond the bare counter: "175 nguồn tin có giá trị" for
    "bao nhiêu nguồn tin có giá trị", not a bare "35/36 vụ". A parts-of-a-whole figure
    ("687/776 vụ") only for a question about a share."""
    if "/" in figure.sentence[figure.start : figure.end] and not query.percent:
        return False
    places = {w for name in query.places for w in name.split()}
    asked = {w for w in tokens(query.text) if not w[:1].isdigit()}
    asked -= STOPWORDS | places | _SCOPE_WORDS | set(query.counted[:1])
    clause = tokens(figure.clause)  # in order: "tử vong" is spelt "chết" only as a phrase
    own = {*clause, *expand(clause), *figure.before[-4:], *figure.inherited}
    return bool(asked & own)


def outdone(query: Query, figure: Figure, figures: list[Figure]) -> str:
    """Why another figure of the same sentence, counting the same kind of thing, answers
    the question better: its clause has at least two more of the question's word pairs ("hơn
    507 tin báo tố giác …, trong đó có hơn 346 tin có giá trị" asked "tin có giá trị": the
    346). "" when none does."""
    asked = _bigrams(query.text)  # word pairs: "giá trị", not "gia" of "Gia Lai"
    mine = _bigrams(figure.clause)
    for g in figures:
        if g.sentence != figure.sentence or g.value == figure.value or not g.unit:
            continue
        if not figure.unit or not same_unit(g.unit[0], figure.unit[0]):
            continue
        theirs = _bigrams(g.clause)
        gain, loss = len(asked & (theirs - mine)), len(asked & (mine - theirs))
        if (gain >= 2 and gain > loss) or _contrasted(query, figure.unit, g.unit):
            return f"câu hỏi hỏi về {g.clause}, không phải {figure.clause}"
    return (
        _other_deed(query, figure)
        or _unacted(query, figure, figures)
        or _unpaired(query, figure, figures)
    )


# What happened and what was done about it are counted apart in every review: "xảy ra
# 4.409 vụ" and "điều tra khám phá 3.220 vụ" answer different questions.
_HAPPENED = (("xay", "ra"), ("phat", "sinh"), ("ghi", "nhan"))
_DEALT = (("dieu", "tra"), ("kham", "pha"), ("lam", "ro"), ("triet", "pha"), ("bat", "giu"),
          ("khoi", "to"), ("xu", "ly"))  # fmt: skip


def _deeds(words: tuple[str, ...]) -> tuple[bool, bool]:
    """Whether `words` say what happened, and what was dealt with."""
    return any(_holds(words, v) for v in _HAPPENED), any(_holds(words, v) for v in _DEALT)


def _other_deed(query: Query, figure: Figure) -> str:
    """The question asks how many happened and the figure's clause counts what was dealt
    with (investigated, solved, prosecuted), or the other way round."""
    if not figure.unit:
        return ""
    happened, dealt = _deeds(words_of(query.text))
    own = _deeds(figure.before[-8:])
    if happened == dealt or own[0] == own[1]:
        return ""
    if happened and own[1]:
        return "câu hỏi hỏi số xảy ra, đó là số đã xử lý, điều tra"
    if dealt and own[0]:
        return "câu hỏi hỏi số đã xử lý, điều tra, đó là số xảy ra"
    return ""


def _unacted(query: Query, figure: Figure, figures: list[Figure]) -> str:
    """What is done to the counted things, asked right before "bao nhiêu" ("điều tra, làm
    rõ bao nhiêu vụ"), is written before another figure of the same counter in the
    paragraph and not before this one: "xảy ra 956 vụ … Lực lượng Công an đã điều tra, làm
    rõ 828 vụ" asked what was solved is the 828, not the cases that happened."""
    if len(query.topic) < 2 or not figure.unit or not query.counted:
        return ""
    done = query.topic[-2:]  # the verb: "lam ro", "khoi to", "bat giu", "triet pha"
    if not same_unit(query.counted[0], figure.unit[0]) or _holds(figure.before[-6:], done):
        return ""
    before = figure.before
    own = before[len(before) - before[::-1].index("va") :] if "va" in before else before
    place = set(expand(tokens(figure.place or "")))
    if not set(own[-6:]) - STOPWORDS - _SCOPE_WORDS - place:
        # a list's next item ("… 188 đối tượng … và 1.525 vụ", "TP. Kon Tum phát hiện 38
        # vụ, H. Ngọc Hồi 17 vụ"): its verb is the list's
        return ""
    for g in figures:
        if (
            g.value != figure.value
            and g.unit
            and g.role == figure.role
            and g.period == figure.period  # another period's count is not its rival
            and same_unit(g.unit[0], figure.unit[0])
            and _holds(g.before[-6:], done)
        ):
            return f"câu hỏi hỏi về số {' '.join(done)}: {g.clause}, không phải {figure.clause}"
    return ""


def _holds(words: tuple[str, ...], run: tuple[str, ...]) -> bool:
    n = len(run)
    return any(words[i : i + n] == run for i in range(len(words) - n + 1))


def _unpaired(query: Query, figure: Figure, figures: list[Figure]) -> str:
    """A follow-up asking what goes with the figure just given ("1.525 vụ", then "Với bao
    nhiêu đối tượng?"): where that figure's sentence lists more of the asked kind, the
    first one after it is the one ("… 188 đối tượng … và 1.525 vụ với 1.827 đối tượng")."""
    if not query.prior or not figure.unit:
        return ""
    same = [g for g in figures if g.sentence == figure.sentence]
    for anchor in (g for g in same if g.value in query.prior and g.unit):
        if same_unit(anchor.unit[0], figure.unit[0]):
            continue  # a part of what was given ("Trong đó bao nhiêu vụ trộm?"): not paired
        paired = next((g for g in same if g.start > anchor.start), None)
        if (
            paired is not None
            and paired.unit
            and same_unit(paired.unit[0], figure.unit[0])
            and paired.start != figure.start
        ):
            return f"câu hỏi hỏi về số đi cùng {anchor.clause}: {paired.clause}"
    return ""


def _contrasted(query: Query, mine: tuple[str, ...], theirs: tuple[str, ...]) -> bool:
    """Two figures of one list count the same thing told apart by the words after it
    ("45 ngôi nhà sập, 2.412 ngôi nhà tốc mái"): the question holds the other's words
    ("bị tốc mái") and none of this one's ("sập")."""
    common = _shared_prefix(mine, theirs)
    if not common or not query.counted or not same_unit(query.counted[0], mine[0]):
        return False
    plain = STOPWORDS | UNIT_STOP_FOLDED | _SCOPE_WORDS
    own, other = set(mine[common:]) - plain, set(theirs[common:]) - plain
    if not own or not other:
        return False
    asked = query.words | set(query.counted)
    return bool(other & asked) and not own & asked


def _narrower_asked(query: Query, figure: Figure) -> str:
    """The asked place, as the figure's passage writes it, when it lies inside the place the
    figure is for by default (the article's: its sentence names none): "Pleiku" asked, a
    Gia Lai article's "551 mắt camera" sentence. A part is never given its whole's figure."""
    if figure.place in query.places:
        return ""
    text = f"{figure.passage.context}\n{figure.passage.paragraph_text}"
    levels = {p.name: p.level for p in read_places(text, query.places) if p.name and p.level}
    whole = (
        LEVEL_ORDER.index(figure.place_level)
        if figure.place_level in LEVEL_ORDER
        else len(LEVEL_ORDER)
    )
    for name, level in zip(query.places, query.levels, strict=True):
        level = level or levels.get(name, "")
        if level in LEVEL_ORDER[:-1] and LEVEL_ORDER.index(level) < whole:
            return name
    return ""


def _kind_words(f: Figure) -> set[str]:
    return {w for w in (*f.unit, *f.before, *f.tail, *f.inherited) if w not in STOPWORDS}


def _is_part(f: Figure) -> bool:
    """The figure is written after "trong đó" in its sentence: a part of one before it."""
    return bool(re.search(r"\btrong do\b", fold(f.sentence[: f.start])))


def same_series(
    query: Query, anchor: Figure, figures: list[Figure], share: float = 0.6
) -> list[Figure] | None:
    """When the question gives no period: the figure `anchor` (the one answered) and the
    figures other articles report for the same thing and place at other dates (same unit
    and role, most of the anchor's words around them, nothing in their sentence ruling
    them out), latest first, at most three. None when no other article reports it
    differently."""
    # ("6 tháng đầu năm" with no year: the same months of each year are reports too)
    if (query.period is not None and query.period.year is not None) or query.delta:
        return None
    words = _kind_words(anchor)
    if not words:
        return None
    best: dict[str, tuple[float, Figure]] = {anchor.passage.article: (1.0, anchor)}
    for g in figures:
        if g.passage.article == anchor.passage.article or g.role != anchor.role:
            continue
        if g.unit[:1] != anchor.unit[:1] or conflict(query, g):
            continue
        if anchor.place and g.place and g.place != anchor.place:
            continue
        if _is_part(g) and not _is_part(anchor):
            continue  # "Trong đó … án rất nghiêm trọng đạt hơn 92%": a part, not the rate
        theirs = _kind_words(g)
        # the shorter description inside the longer one: "có 420 camera an ninh" is the
        # series of "có hơn 515 camera an ninh kết nối về trung tâm"
        overlap = len(words & theirs) / max(1, min(len(words), len(theirs)))
        if overlap >= share and overlap > best.get(g.passage.article, (0.0, None))[0]:
            best[g.passage.article] = (overlap, g)
    found = sorted((f for _, f in best.values()), key=_when_key, reverse=True)
    if (
        len(found) < 2
        or len({f.value for f in found}) < 2
        or len({_when_key(f) for f in found}) < 2
    ):
        return None
    return found[:3]
