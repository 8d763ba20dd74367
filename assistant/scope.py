"""Time scope: the periods a Vietnamese news text speaks of, as month intervals.

"năm 2021", "6 tháng đầu năm 2023", "8 tháng qua", "quý I/2024", "tháng 8", "giai đoạn
2020-2021", "năm học 2023-2024", "từ đầu năm đến nay", "hiện nay", "ngày 14/3/2023" are read
into `Period`s; a period written without its year ("tháng 8", "6 tháng đầu năm") takes it
from the same sentence or else from a reference date (the article's date; for a question,
none: the year stays open). Mentions after "so với (cùng kỳ)" are marked as references: the
figure next to them is not about that period. Places are in `assistant.places`; how
figures use both is in `assistant.facts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import fold

Month = tuple[int, int]  # (year, month)

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
# "Ba tháng cuối năm", "sáu tháng đầu năm": month counts written as words (folded)
_WORD_NUMBERS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8,
                 "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12}  # fmt: skip
_N = r"(\d{1,2}|muoi mot|muoi hai|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)"


def _count(text: str) -> int:
    return int(text) if text.isdigit() else _WORD_NUMBERS[text]


_YEAR = r"(?:19|20)\d\d"


@dataclass(frozen=True)
class Period:
    """Months `first`..`last` (inclusive). A year of None means "not said" (a question's
    "6 tháng đầu năm" without a year). `kind`: year, months (from January), late (to
    December), quarter, month, day, range (several years), school_year, to_date, as_of."""

    first: tuple[int | None, int]
    last: tuple[int | None, int]
    kind: str

    @property
    def year(self) -> int | None:
        return self.last[0]

    def span(self) -> tuple[int, int] | None:
        """Month numbers (year * 12 + month) of first and last, when the years are known."""
        if self.first[0] is None or self.last[0] is None:
            return None
        return (self.first[0] * 12 + self.first[1], self.last[0] * 12 + self.last[1])

    def label(self) -> str:
        """Vietnamese words for the period ("năm 2023", "6 tháng đầu năm 2023")."""
        (y1, m1), (y2, m2) = self.first, self.last
        year = f" {y2}" if y2 else ""
        if self.kind == "year":
            return f"năm{year}"
        if self.kind == "months":
            return f"{m2} tháng đầu năm{year}"
        if self.kind == "late":
            return f"{13 - m1} tháng cuối năm{year}"
        if self.kind == "quarter":
            return f"quý {('I', 'II', 'III', 'IV')[(m2 - 1) // 3]}" + (f"/{y2}" if y2 else "")
        if self.kind in ("month", "day"):
            return f"tháng {m2}" + (f"/{y2}" if y2 else "")
        if self.kind == "school_year":
            return f"năm học {y1}-{y2}"
        if self.kind == "range":
            return f"giai đoạn {y1}-{y2}"
        if self.kind == "dates":
            return f"từ tháng {m1}/{y1} đến tháng {m2}/{y2}"
        if self.kind == "to_date":
            return f"từ đầu năm{year} đến tháng {m2}"
        return f"tháng {m2}/{y2}" if y2 else "hiện nay"


@dataclass(frozen=True)
class Mention:
    """A period as written at `start`..`end` of a text. `reference`: it is what a figure is
    compared with ("so với cùng kỳ năm 2022"), not the period the figure is about."""

    start: int
    end: int
    period: Period
    reference: bool = False
    plan: bool = False  # in a sentence about plans or targets ("phấn đấu năm 2025 …")


def _year(text: str | None) -> int | None:
    return int(text) if text else None


def _months(n: int, year: int | None, late: bool = False) -> Period | None:
    if not 1 <= n <= 12:
        return None
    if late:
        return Period((year, 13 - n), (year, 12), "late")
    return Period((year, 1), (year, n), "year" if n == 12 else "months")


def _quarter(q: str, year: int | None) -> Period:
    n = _ROMAN[q]
    return Period((year, 3 * n - 2), (year, 3 * n), "quarter")


def _dates(g) -> Period | None:
    """ "từ 15/12/2022 đến 14/10/2023": a statistical period, by month."""
    (m1, y1), (m2, y2) = (int(g[1]), int(g[2])), (int(g[4]), int(g[5]))
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12) or (y1, m1) > (y2, m2):
        return None
    return Period((y1, m1), (y2, m2), "dates")


def _month(m: int, year: int | None, kind: str = "month") -> Period | None:
    return Period((year, m), (year, m), kind) if 1 <= m <= 12 else None


# Each pattern (on folded text) with the function building its period; earlier patterns
# win where spans overlap. Groups are read by position.
_DATE_LEAD = r"(?:ngay|sang|chieu|toi|trua|dem|hom|dip|vao|tu|den|luc|truoc|sau)"
_DAY_SEP = r"\s*[/.-]\s*"
_D = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(" + _YEAR + ")"
_EN_MONTHS = ("january february march april may june july august september october november "
              "december").split()  # fmt: skip
_EN_N = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip
_PATTERNS: list[tuple[re.Pattern, object]] = [
    (re.compile(rf"\b(?:tinh )?tu (?:ngay )?{_D}\s*(?:den|toi|-)\s*(?:ngay )?{_D}"),
     lambda g: _dates(g)),
    # "từ ngày 15/12/2023 đến 14/6": the end in the year that follows the start
    (re.compile(rf"\b(?:tinh )?tu (?:ngay )?{_D}\s*(?:den|toi|-)\s*(?:ngay )?(\d{{1,2}})\s*[/.-]"
                rf"\s*(\d{{1,2}})\b(?!\s*[/.-]\s*\d)"),
     lambda g: _dates((*g[:3], g[3], g[4], str(int(g[2]) + (int(g[4]) < int(g[1])))))),
    (re.compile(rf"\bnam hoc ({_YEAR})\s*[-–]\s*({_YEAR})\b"),
     lambda g: Period((int(g[0]), 9), (int(g[1]), 5), "school_year")),
    # "2025-2026 là năm học đầu tiên …": a school year named after its years
    (re.compile(rf"\b({_YEAR})\s*[-–]\s*({_YEAR}) (?=la nam hoc\b)"),
     lambda g: Period((int(g[0]), 9), (int(g[1]), 5), "school_year")),
    (re.compile(rf"\b(?:tu )?(?:nam )?({_YEAR})\s*(?:[-–]|den|toi)\s*(?:nam )?({_YEAR})\b"),
     lambda g: Period((int(g[0]), 1), (int(g[1]), 12), "range") if g[0] < g[1] else None),
    (re.compile(rf"\b{_N} thang (dau|cuoi) nam(?: (?:nay|qua)| ({_YEAR}))?\b"),
     lambda g: _months(_count(g[0]), _year(g[2]), g[1] == "cuoi")),
    (re.compile(rf"\b{_N} thang (?:nam |cua nam )?({_YEAR})\b"),
     lambda g: _months(_count(g[0]), int(g[1]))),
    (re.compile(rf"\b{_N} thang (?:qua|vua qua|nay)\b"), lambda g: _months(_count(g[0]), None)),
    (re.compile(r"\bnua (dau|cuoi) nam(?: (\d{4}))?\b"),
     lambda g: _months(6, _year(g[1]), g[0] == "cuoi")),
    (re.compile(rf"\bquy (iv|iii|ii|i|[1-4])\b(?:\s*(?:/|-|nam|cua nam)\s*({_YEAR}))?"),
     lambda g: _quarter(g[0], _year(g[1]))),
    (re.compile(rf"\b{_DATE_LEAD}\s+(\d{{1,2}}){_DAY_SEP}(\d{{1,2}})(?:{_DAY_SEP}({_YEAR}))?\b(?![.,]\d)"),
     lambda g: _month(int(g[1]), _year(g[2]), "day") if 1 <= int(g[0]) <= 31 else None),
    (re.compile(rf"\b(\d{{1,2}})\s*([/.])\s*(\d{{1,2}})\s*\2\s*({_YEAR})\b"),
     lambda g: _month(int(g[2]), int(g[3]), "day") if 1 <= int(g[0]) <= 31 else None),
    (re.compile(rf"\btu dau nam(?: ({_YEAR}))?(?: (?:den|toi) (?:nay|thoi diem nay|"
                rf"(?:giua |cuoi |het )?thang (\d{{1,2}})))?"),
     lambda g: Period((_year(g[0]), 1), (_year(g[0]), int(g[1]) if g[1] else 0), "to_date")),
    # "tính đến tháng 12.2025", "đến hết tháng 6": what has built up since the year began
    (re.compile(rf"\b(?:tinh den|cho den|den het|den cuoi)(?: het| cuoi)? thang (\d{{1,2}})"
                rf"(?:\s*(?:/|-|\.|nam)\s*({_YEAR}))?\b"),
     lambda g: Period((_year(g[1]), 1), (_year(g[1]), int(g[0])), "to_date")
     if 1 <= int(g[0]) <= 12 else None),
    (re.compile(rf"\bthang (\d{{1,2}})(?:\s*(?:/|-|\.|nam)\s*({_YEAR}))?\b"),
     lambda g: _month(int(g[0]), _year(g[1]))),
    (re.compile(r"\b(?:nam qua|nam vua qua)\b"), lambda g: Period((None, 1), (None, 12), "past")),
    (re.compile(r"\bca nam\b(?!\s*\d)"), lambda g: Period((None, 1), (None, 12), "year")),
    (re.compile(r"\bnam (?:nay)\b"), lambda g: Period((None, 1), (None, 12), "this")),
    (re.compile(r"\b(?:nam truoc|nam ngoai)\b"), lambda g: Period((None, 1), (None, 12), "prev")),
    # ("phát hiện có …" is "found that …", not "has now")
    (re.compile(r"\b(?:(?:cho |tinh )?den nay|(?<!phat )hien (?:nay|co|tai|dang))\b"),
     lambda g: Period((None, 0), (None, 0), "as_of")),
    # English questions: "the first nine months of 2024", "November 2023"
    (re.compile(rf"\bfirst (\d{{1,2}}|{'|'.join(_EN_N)}) months(?: of)?(?: ({_YEAR}))?"),
     lambda g: _months(int(g[0]) if g[0].isdigit() else _EN_N[g[0]], _year(g[1]))),
    (re.compile(rf"\b({'|'.join(_EN_MONTHS)})(?: of)? ({_YEAR})\b"),
     lambda g: _month(_EN_MONTHS.index(g[0]) + 1, int(g[1]))),
    (re.compile(rf"(?<![/\d])\b(?:nam |ca nam |trong nam )?({_YEAR})\b(?!\s*[-–/]\s*\d)"),
     lambda g: Period((int(g[0]), 1), (int(g[0]), 12), "year")),
]  # fmt: skip
_BORN = re.compile(r"(?:\bsn|sinh nam|sinh ngay|sinh)\s*$")  # a birth year is not a period
_BREAK = re.compile(r"[.;!?]\s")


def _born(folded: str, start: int, end: int, ref: Month | None) -> bool:
    """A birth year, not a period: "(SN 1961", "sinh năm 1983", and a bare year in brackets
    well before the article ("Trần Văn A (1962, chủ nhà)": a person's year of birth)."""
    if _BORN.search(folded[max(0, start - 12) : start]):
        return True
    year = re.fullmatch(r"(?:19|20)\d\d", folded[start:end].strip())
    return bool(
        year
        and re.search(r"\(\s*$", folded[:start])
        and re.match(r"\s*[,)]", folded[end:])
        and (ref is None or int(year.group()) <= ref[0] - 14)
    )


_PLAN = re.compile(r"\b(?:phan dau|chi tieu|muc tieu|ke hoach|du kien|de nghi|yeu cau|trien khai|"
                   r"nhiem vu|phuong huong|se|dinh huong|tiep tuc)\b")  # fmt: skip
_REFERENCE = re.compile(r"(?:so voi|cung ky|so cung ky|bang ky|gia so sanh)\s*(?:cung ky\s*)?"
                        r"(?:cua\s*)?(?:nam\s*)?$")  # fmt: skip


def _resolve(p: Period, ref: Month | None, year_nearby: int | None) -> Period:
    """Fill in the year of a period written without one: from the sentence, else the
    latest year in which it had begun by the reference date `ref`."""
    kind = p.kind
    if kind in ("past", "this", "prev"):
        if ref is None:
            return Period((None, 1), (None, 12), "year")
        # "năm qua" in a January-March review is the year just ended
        y = ref[0] - (1 if kind == "prev" or (kind == "past" and ref[1] <= 3) else 0)
        return Period((y, 1), (y, 12), "year")
    if kind == "as_of":
        return Period(ref or (None, 0), ref or (None, 0), "as_of")
    if kind == "to_date":
        year = p.first[0] or year_nearby or (ref[0] if ref else None)
        last = p.last[1] or (ref[1] if ref and ref[0] == year else 12 if year else 0)
        return Period((year, 1), (year, last), "to_date")
    if p.first[0] is not None or p.last[0] is not None:
        return p
    year = year_nearby
    if year is None and ref is not None:
        year = ref[0] if p.first[1] <= ref[1] else ref[0] - 1
    if year is None:
        return p
    return Period((year, p.first[1]), (year, p.last[1]), kind)


def read_periods(text: str, ref: Month | None = None) -> list[Mention]:
    """Periods written in `text`, in order, resolved against `ref` (see `_resolve`)."""
    folded = fold(text)
    found: list[tuple[int, int, Period]] = []
    taken = [False] * len(folded)
    for pattern, build in _PATTERNS:
        for m in pattern.finditer(folded):
            if any(taken[m.start() : m.end()]) or _born(folded, m.start(), m.end(), ref):
                continue
            period = build(m.groups())  # type: ignore[operator]
            if period is None:
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            found.append((m.start(), m.end(), period))
    found.sort(key=lambda x: x[0])
    # "so với năm 2022": the base of a comparison
    refs = [bool(_REFERENCE.search(folded[max(0, a - 30) : a])) for a, _, _ in found]
    out = []
    for i, (a, b, p) in enumerate(found):
        nearby = None
        # "năm nay", "8 tháng qua" count from the reference date; others take a year written
        # just after them ("tháng 8 và 8 tháng đầu năm 2022") or else just before
        if not re.search(r"\b(?:nay|qua)$", folded[a:b]):
            after = [
                q.year
                for a2, _, q in found[i + 1 :]
                if q.year and a2 - b < 40 and not _BREAK.search(folded[b:a2])
            ]
            # (a base's year is not the year of what follows it: "tăng 48% so với năm 2022
            # và hơn 3% so với kế hoạch đề ra từ đầu năm" is the article's year)
            before = [q.year for j, (_, b2, q) in enumerate(found[:i]) if q.year
                      and a - b2 < 60 and not refs[j] and not _BREAK.search(folded[b2:a])
                      and q.kind not in ("range", "school_year")]  # fmt: skip
            nearby = (after or before[-1:] or [None])[0]
        reference = refs[i]
        sentence_start = max((x.end() for x in _BREAK.finditer(folded, 0, a)), default=0)
        plan = bool(_PLAN.search(folded[max(sentence_start, a - 80) : a]))
        out.append(Mention(a, b, _resolve(p, ref, nearby), reference, plan))
    return out


def _stated(mentions: list[Mention]) -> list[Mention]:
    """Mentions that set the period of what follows: not references, plans or event days."""
    return [m for m in mentions if not (m.reference or m.plan) and m.period.kind != "day"]


def main_period(lead: str, ref: Month | None = None) -> Mention | None:
    """The period an article reports on, from its headline and lead: the first one stated
    ("tổng kết công tác năm 2023 và triển khai nhiệm vụ năm 2024" -> năm 2023)."""
    stated = [m for m in _stated(read_periods(lead, ref)) if m.period.kind != "as_of"]
    return stated[0] if stated else None


def carried_periods(lead: str, paragraphs: list[str], ref: Month | None) -> list[str]:
    """For each paragraph, the words of the period that holds when it starts: the period
    the nearest earlier paragraph that states one opens with (its frame: "Năm 2023, … ;
    riêng 6 tháng cuối năm …" frames the year, and "Trong đó, huyện A …" next breaks the
    year down), else the article's main period ("" when none)."""
    main = main_period(lead, ref)
    current = lead[main.start : main.end] if main else ""
    out = []
    for i, text in enumerate(paragraphs):
        out.append(current)
        stated = _stated(read_periods(text, ref))
        if stated and i > 0:  # the lead's own periods count through `main`
            current = text[stated[0].start : stated[0].end]
    return out


# "so với cùng kỳ", "so với tháng trước (liền kề)": a change's base, named by where it
# stands from the period the change is for
_BASE = re.compile(r"\bso (?:voi )?(cung ky|(?:thang|quy|nam|ky) truoc)\b(?! \d)")


def relative_base(text: str, period: Period | None) -> Period | None:
    """What a change in `text` is compared with when it names the base only by where it
    stands from the change's own `period` (a year earlier for "cùng kỳ", the month before
    for "tháng trước", the year before for "năm trước"); None when it names none, or a
    period that cannot be found from this one ("quý trước" of a year)."""
    m = _BASE.search(fold(text))
    if m is None or period is None or period.span() is None:
        return None
    (y1, m1), (y2, m2) = period.first, period.last
    word = m.group(1)
    if word == "cung ky" or (word == "nam truoc" and period.kind == "year"):
        return Period((y1 - 1, m1), (y2 - 1, m2), period.kind)  # type: ignore[operator]
    if word in ("thang truoc", "ky truoc") and period.kind in ("month", "day"):
        y, mo = (y2, m2 - 1) if m2 > 1 else (y2 - 1, 12)  # type: ignore[operator]
        return Period((y, mo), (y, mo), "month")
    if word in ("quy truoc", "ky truoc") and period.kind == "quarter":
        first, last = period.span()  # type: ignore[misc]
        a, b = first - 3, last - 3
        return Period(((a - 1) // 12, (a - 1) % 12 + 1), ((b - 1) // 12, (b - 1) % 12 + 1),
                      "quarter")  # fmt: skip
    return None


# A day as written: "3/10", "3-10-2025", "ngày 3.10", "3 tháng 10" (not "687/776", "10/2025")
_DATES = (
    re.compile(r"(?<![\d/.,])(\d{1,2})\s*[/-]\s*(\d{1,2})(?!\d|[.,]\d)"),
    re.compile(r"\b(?:ngày|sáng|chiều|tối|trưa|đêm)\s+(\d{1,2})\.(\d{1,2})(?!\d)", re.I),
    re.compile(r"\b(\d{1,2})\s+tháng\s+(\d{1,2})(?!\d)", re.I),
)


def dates_in(text: str) -> set[tuple[int, int]]:
    """The (day, month) pairs written in `text`: an answer may give only days its cited
    paragraphs (or the question) write; the month an article came out names no day."""
    out = set()
    for pattern in _DATES:
        for m in pattern.finditer(text):
            day, month = int(m.group(1)), int(m.group(2))
            if 1 <= day <= 31 and 1 <= month <= 12:
                out.add((day, month))
    return out


def article_month(lead: str, title: str = "") -> Month | None:
    """When an article without a date line was written, from the first date in its
    headline or lead: "Chiều 14/3/2023" -> (2023, 3). A date without a year ("Sáng 26/12")
    takes the year that puts it nearest the end of the period the article reports on
    ("tổng kết năm 2024": 26/12 is December 2024, 8/1 is January 2025), or the start of a
    school year (openings)."""
    mentions = read_periods(f"{title}. {lead}")
    day = next((m for m in mentions if m.period.kind == "day"), None)
    stats = next((m for m in mentions if m.period.kind == "dates"), None)
    if stats is not None and (day is None or day.period.year is None):
        return stats.period.last  # "từ 15/12/2023 đến 14/6/2024": reported just after
    versus = next((m.period.year for m in mentions if m.reference and m.period.year), None)
    if day is not None and day.period.year is None and versus:
        return (versus + 1, day.period.last[1])  # "so với cùng kỳ năm 2023": this is 2024
    if day is None:
        return None
    month = day.period.last[1]
    if day.period.year is not None:
        return (day.period.year, month)
    main = main_period(f"{title}. {lead}")
    if main is None or main.period.year is None:
        return None
    period = main.period
    if period.kind == "school_year":
        start = period.first[0] or period.last[0] - 1
        return (start if month >= 8 else start + 1, month)
    end = period.last[0] * 12 + period.last[1]
    years = (period.last[0] - 1, period.last[0], period.last[0] + 1)
    year = min(years, key=lambda y: (abs(y * 12 + month - end), y * 12 + month < end))
    return (year, month)


def latest_month(paragraphs) -> Month | None:
    """The last month an article reports on, to the month (no plans, comparisons or bare
    years): when it says nothing about its own date, it was written no earlier than that."""
    precise = ("day", "month", "dates", "months", "quarter", "late")
    ends = [
        m.period.last
        for text in paragraphs
        for m in _stated(read_periods(text))
        if m.period.year is not None and m.period.kind in precise
    ]
    return max(ends, default=None)  # type: ignore[arg-type]


def month_of(date: str | None) -> Month | None:
    """ "2023-03" (an article's date) -> (2023, 3)."""
    m = re.match(r"^(\d{4})-(\d{1,2})", date or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


# Periods that are statistics windows: counts are totalled over them
_WINDOWS = ("months", "quarter", "late", "to_date")


def fits(
    asked: Period | None,
    given: Period | None,
    published: Month | None = None,
    measure: str = "flow",
) -> int:
    """How well a figure's period `given` answers a question about `asked`:
    3 the same months; 2 inside them, for a count on a day ("stock": "đến 30/9 có 2.385
    camera") or an event the asked year only locates ("event", not in a window of months;
    "any": inside is enough, for whether a paragraph can speak of it); 1 the figure's period is
    not known and the article came out just after the asked period ended (a review of it);
    0 no: a part of the period, a longer one, another one."""
    if asked is None:
        return 3
    if measure == "stock" and asked.kind == "to_date" and asked.last[1]:
        # "tính đến tháng 9/2023 có bao nhiêu camera": what there is at the end of it
        asked = Period(asked.last, asked.last, "month")
    if given is None:
        if published is None:
            return 0  # nothing says when: not for a question about a period
        if asked.year is None:
            return 1
        span = asked.span()
        pub = published[0] * 12 + published[1]
        if measure in ("stock", "event", "any") and span is not None and span[0] <= pub <= span[1]:
            return 2
        return 1 if span is not None and span[1] <= pub <= span[1] + 3 else 0
    if asked.year is None or given.year is None:
        # "6 tháng đầu năm" (no year) against "6 tháng đầu năm 2023": the months must agree;
        # a figure whose year nothing says (an article with no date) is only plausible
        same = (asked.first[1], asked.last[1]) == (given.first[1], given.last[1])
        if not same:
            return 0
        return 3 if asked.year is None else 1 if published is None else 0
    a, g = asked.span(), given.span()
    assert a is not None and g is not None
    if a == g:
        return 3
    # statistics often run from the 15th to the 14th: "từ 15/12/2022 đến 14/10/2023" is
    # the first ten months of 2023
    if "dates" in (asked.kind, given.kind) and abs(a[0] - g[0]) <= 1 and abs(a[1] - g[1]) <= 1:
        return 3
    inside = a[0] <= g[0] and g[1] <= a[1]
    # a window of months ("9 tháng năm 2023", "quý I") is what a count is totalled over,
    # not a date that locates an event: a figure for part of it is no answer, fires or not
    event = measure == "any" or (measure == "event" and asked.kind not in _WINDOWS)
    if inside and (event or (measure == "stock" and given.kind in ("day", "as_of"))):
        return 2
    if given.kind == "to_date" and asked.kind in ("to_date", "year") and a[0] == g[0]:
        return 3 if asked.kind == "to_date" else 0
    return 0
