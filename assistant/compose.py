"""Answers worded from facts read in the paragraphs, never invented: a figure quoted with
its qualifier and period, the same figure reported at several dates (latest first),
figures compared across places or periods, a person with the office the question asks.

Each function returns a `Drafted` (answer text with `[n]` markers, the cited passages
and their supporting sentences) or None. The model's own drafts are checked in
`assistant.verify`; this module is what the assistant says when it reads the answer
itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.facts import Figure
from assistant.people import Person
from assistant.query import Query
from assistant.scope import Period
from assistant.text import fold
from assistant.types import Passage

_QUALIFIERS = ("gần", "hơn", "trên", "khoảng", "dưới", "gần như", "tới", "đến", "xấp xỉ")
_IN_ENGLISH = {"gần": "nearly", "hơn": "more than", "trên": "over", "khoảng": "about",
               "dưới": "under", "gần như": "almost", "tới": "up to", "đến": "up to",
               "xấp xỉ": "about"}  # fmt: skip


@dataclass(frozen=True)
class Drafted:
    text: str
    passages: tuple[Passage, ...]
    quotes: tuple[str, ...]


def when(figure: Figure, english: bool = False) -> str:
    """When a figure is for, in words: its period, else the month its article came out."""
    if figure.period is not None and figure.period.year is not None:
        return _period_words(figure.period, english)
    date = figure.passage.date
    if date:
        year, month = date.split("-")[:2]
        return (
            f"article of {int(month)}/{year}" if english else f"theo bài tháng {int(month)}/{year}"
        )
    return ""


def _period_words(period: Period, english: bool = False) -> str:
    (y1, m1), (y2, m2) = period.first, period.last
    if english:
        if period.kind in ("as_of", "day"):
            return f"as of {m2}/{y2}"
        if period.kind == "year":
            return f"in {y2}"
        if period.kind == "months" and m1 == 1:
            return f"first {m2} months of {y2}"
        if (y1, m1) == (y2, m2):
            return f"in {m2}/{y2}"
        return f"{m1}/{y1} to {m2}/{y2}"
    if period.kind in ("as_of", "day"):
        return f"tính đến tháng {m2}/{y2}"
    return period.label()


def figure_answer(query: Query, figure: Figure, with_when: bool) -> Drafted:
    """ "Gia Lai: 223 vụ tai nạn giao thông (8 tháng đầu năm 2022) [1]."."""
    subject = _subject(query, figure)
    phrase = figure.phrase
    if query.english:
        text = f"{figure.phrase}"
    else:
        text = f"{subject}: {phrase}" if subject else phrase[:1].upper() + phrase[1:]
    suffix = when(figure, query.english) if with_when else ""
    text = f"{text} ({suffix}) [1]." if suffix else f"{text} [1]."
    return Drafted(text, (figure.passage,), (figure.sentence,))


def _subject(query: Query, figure: Figure) -> str:
    place = figure.place if figure.place in query.places else ""
    if not place:
        return ""
    written = f"{figure.passage.context} {figure.passage.paragraph_text}"  # with diacritics
    return _written(written if place in fold(written) else query.text, place)


def _written(question: str, folded: str) -> str:
    """The words of `question` that the folded name came from ("gia lai" -> "Gia Lai")."""
    at = fold(question).find(folded)
    if at >= 0 and len(fold(question)) == len(question):
        return question[at : at + len(folded)]
    return " ".join(w.capitalize() for w in folded.split())


def reports_answer(query: Query, figures: list[Figure]) -> Drafted:
    """The same figure reported at several dates: the latest with its date, then the
    earlier ones with theirs, each cited."""
    latest, *earlier = figures
    subject = _subject(query, latest)
    if query.english:
        head = f"Latest figure ({when(latest, True)}): {latest.phrase} [1]."
        rest = "; ".join(f"{f.phrase} ({when(f, True)}) [{i}]" for i, f in enumerate(earlier, 2))
        text = f"{head} Earlier reports: {rest}." if rest else head
    else:
        lead = f"{subject}: " if subject else ""
        head = f"{lead}{latest.phrase} ({when(latest)}, số liệu mới nhất) [1]."
        rest = "; ".join(f"{f.phrase} ({when(f)}) [{i}]" for i, f in enumerate(earlier, 2))
        text = f"{head} Các số liệu trước đó: {rest}." if rest else head
    return Drafted(text, tuple(f.passage for f in figures), tuple(f.sentence for f in figures))


def comparison_answer(
    query: Query, found: list[tuple[str, Figure]], difference: bool = False
) -> Drafted:
    """Each subject's (place's or period's) figure; which is larger or smaller when the
    question asks "nhiều/ít … hơn"; the difference when it asks how much a figure changed
    and no article writes the change."""
    parts = [f"{label}: {f.phrase} [{i}]" if label else f"{f.phrase} [{i}]"
             for i, (label, f) in enumerate(found, 1)]  # fmt: skip
    text = "; ".join(parts)
    values = [_number(f.value) for _, f in found]
    winner = which(query, found)
    if winner:
        text = f"{winner}. {text}"
    if difference and None not in values and len(values) == 2:
        change = values[1] - values[0]
        word = "tăng" if change > 0 else "giảm" if change < 0 else "không đổi"
        amount = f" {_vi_number(abs(change))}" if change else ""
        text += f" ({word}{amount}, tính từ hai số liệu trên)"
    text += "."
    return Drafted(text, tuple(f.passage for _, f in found), tuple(f.sentence for _, f in found))


def which(query: Query, found: list[tuple[str, Figure]]) -> str:
    """The label of the subject with the larger figure (the smaller one when the question
    asks "ít/thấp … hơn"), when the question asks which; "" otherwise or when undecided."""
    values = [_number(f.value) for _, f in found]
    if None in values or len(set(values)) != len(values) or len(values) < 2:
        return ""
    asked = query.text.lower()
    if not re.search(
        r"\b(?:nhiều|ít|cao|thấp|lớn|nhỏ|nhieu|it|cao|thap|lon|nho)\b.*"
        r"\b(?:hơn|hon)\b|\b(?:more|fewer|less|higher|lower)\b",
        asked,
    ):
        return ""
    less = re.search(r"\b(?:ít|thấp|nhỏ|it|thap|nho|fewer|less|lower|smaller)\b", asked)
    pick = min if less else max
    return found[values.index(pick(values))][0]


def _vi_number(x: float) -> str:
    """1234.5 -> "1.234,5" (Vietnamese separators)."""
    whole, _, frac = f"{x:,.2f}".partition(".")
    frac = frac.rstrip("0")
    return whole.replace(",", ".") + (f",{frac}" if frac else "")


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def person_answer(person: Person) -> Drafted:
    name = f"{person.title} {person.name}".strip()
    return Drafted(f"{name} [1].", (person.passage,), (person.sentence,))


def holders_answer(query: Query, people: list[Person]) -> Drafted:
    """An office named in articles of several dates: the latest holder first, each dated."""

    def dated(x: Person) -> str:
        date = x.passage.date
        return f"bài tháng {int(date[5:7])}/{date[:4]}" if date else "bài không ghi ngày"

    first, *rest = people[:3]
    lead = f"{first.title} {first.name}".strip()
    if query.english:
        text = f"{lead} (latest, {dated(first)}) [1]."
        if rest:
            text += (
                " Earlier: "
                + "; ".join(
                    f"{x.title} {x.name} ({dated(x)}) [{i}]".strip() for i, x in enumerate(rest, 2)
                )
                + "."
            )
    else:
        text = f"{lead} (theo {dated(first)}, mới nhất) [1]."
        if rest:
            text += (
                " Trước đó: "
                + "; ".join(
                    f"{x.title} {x.name} ({dated(x)}) [{i}]".strip() for i, x in enumerate(rest, 2)
                )
                + "."
            )
    return Drafted(
        text, tuple(x.passage for x in people[:3]), tuple(x.sentence for x in people[:3])
    )


def rank_answer(person: Person) -> Drafted:
    return Drafted(f"{person.name} mang cấp bậc {person.title} [1].", (person.passage,),
                   (person.sentence,))  # fmt: skip


def restore_qualifiers(answer: str, paragraphs: list[str], english: bool = False) -> str:
    """Put back "gần"/"hơn"/"trên"/"khoảng" that the source sets before a figure when the
    answer dropped it ("300 mắt camera" -> "gần 300 mắt camera"): an approximate figure must
    not read as an exact one."""

    def fix(m: re.Match) -> str:
        raw = m.group()
        before = answer[: m.start()].rstrip().split()
        if before and before[-1].lower() in _QUALIFIERS:
            return raw
        for text in paragraphs:
            for q in re.finditer(rf"\b({'|'.join(_QUALIFIERS)})\s+{re.escape(raw)}\b", text,
                                 flags=re.IGNORECASE):  # fmt: skip
                word = q.group(1).lower()
                return f"{_IN_ENGLISH.get(word, word) if english else word} {raw}"
        return raw

    if english and re.search(r"\b(nearly|almost|about|around|over|more than|under)\s+\d", answer):
        return answer
    return re.sub(r"(?<![\[\d.,/])\d+(?:[.,]\d+)*(?![\]\d/])", fix, answer)
