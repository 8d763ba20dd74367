"""Questions about people: who holds an office ("Giám đốc Công an tỉnh"), who did a part
("chủ trì"), a person's rank, and the byline. An answer must name a person the cited
paragraphs give that office or part; an office that changed hands is answered latest first.

Figures are read in `assistant.figure_reading`.
"""

from __future__ import annotations

import logging
import re

from assistant import compose
from assistant.compose import Drafted
from assistant.people import (
    MILITARY_RANKS,
    Person,
    does,
    holds_roles,
    office_place,
    part_asked,
    read_people,
    same_body,
)
from assistant.query import Query
from assistant.reading import NOTHING_FOUND, Reader, is_refusal, period_possible
from assistant.text import fold, names_phrase, tokens
from assistant.types import Answer, Passage
from assistant.verify import Verdict, attach_marker, parse_markers, strip_markers

log = logging.getLogger(__name__)


# "Ai là tác giả bài viết?", "who wrote …": the byline is asked, not a person of the story
_AUTHOR = re.compile(r"\b(?:tac gia|ai viet|phong vien nao|but danh|author|who wrote)\b")


def asks_author(query: Query) -> bool:
    """The question asks who wrote the article."""
    return bool(_AUTHOR.search(fold(query.text)) or _AUTHOR.search(query.asked.lower()))


_BYLINE = re.compile(r"[A-ZĐÀ-Ỹ][\wÀ-ỹ]+(?: [A-ZĐÀ-Ỹ][\wÀ-ỹ]+){1,3}")


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


class PersonReader(Reader):
    """Reads people, offices, ranks and bylines."""

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

    def _person(self, query: Query, about: list[Passage], on_token, wide: bool = False) -> Answer:
        if query.period is not None:
            about = [p for p in about if period_possible(query, p)]
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
        shown = self._select(query, about, wide)
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
            notes.append(NOTHING_FOUND)
        if query.roles or part_asked(query.text):
            if len({x.name for x in fitting}) == 1:
                return self._drafted(compose.person_answer(fitting[0]), query, (*notes, "quoted"))
        return self._refuse(query, "; ".join(notes))
