"""Checks that stand between the model's draft and the user.

- `entities`: proper names in a question (capitalised word runs), to check that the
  articles, and the passages an answer cites, are about what was asked.
- `parse_markers` / `check_draft`: every `[n]` must point at an excerpt shown to the model
  and every number in the answer must occur in a paragraph it cites.
- `introduces`: a figure belongs to a place only if the article's lead or the text before
  (or in) the figure's sentence names it.
- `best_sentence`: the sentence of a paragraph that supports an answer (the "quote").
Reading figures (units, qualifiers) is in `assistant.figures`; prompts and the pipeline
that calls these are in `assistant.answer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.figures import best_figure_score, figure_score, unit_words
from assistant.text import (
    content_tokens,
    fold,
    looks_english,
    looks_like_instruction,
    names_phrase,
    numbers,
    split_sentences,
    tokens,
)
from assistant.types import Passage

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_WORD = re.compile(r"\w+\.?")
# Administrative and rank words, and question words: capitalised, but they name nothing in
# particular ("TP", "Công an", "Giám đốc", "Đại tá", "How").
ADMIN_WORDS = {"tp", "tp.", "tinh", "thanh", "pho", "huyen", "xa", "phuong", "quan", "cong", "an",
          "ubnd", "hdnd", "ban", "so", "bo", "ong", "ba", "dai", "ta", "thuong",
          "trung", "thieu", "dong", "chi", "giam", "doc", "chu", "tich", "bi", "thu", "truong",
          "uy", "vien", "the", "city", "province", "how", "what", "who", "when", "where",
          "which", "in", "did", "ai", "nam", "con", "trong", "tai", "theo", "co"}  # fmt: skip
# Words that often start a Vietnamese question: a capitalised first word is a name only if
# it is none of these and the articles never use it as an ordinary word.
_QUESTION_START = set(
    "ai bao co cac nhung mot hay liet ke neu cho xin vi tai sao khi luc o dau gi nao so "
    "trong nam theo tu den sau truoc ngay thang hoi luc luong nguoi ong ba".split()
)


def entities(question: str, vocabulary=None) -> list[str]:
    """Capitalised names in `question` ("Đà Nẵng", "Gia Lai", "Pleiku"), folded, without
    administrative and rank words. A lone capitalised first word ("Huế có …?") counts only
    when `vocabulary` (folded words of the articles) is given and does not contain it."""
    runs: list[tuple[int, list[str]]] = []
    last_end = -1
    for match in _WORD.finditer(question):
        word = match.group()
        gap = question[last_end : match.start()] if last_end >= 0 else ""
        if word[0].isupper() and not word[0].isdigit():
            if runs and last_end >= 0 and gap.strip() == "" and runs[-1][1] and runs[-1][0] >= 0:
                runs[-1][1].append(word)
            else:
                runs.append((match.start(), [word]))
        else:
            runs.append((-1, []))
        last_end = match.end()
    found = []
    for start, words in runs:
        if not words:
            continue
        folded = [fold(w).rstrip(".") for w in words]
        if start == 0 and len(words) == 1:
            word = folded[0]
            if vocabulary is None or word in _QUESTION_START or word in ADMIN_WORDS:
                continue
            if word in vocabulary or not word.isalpha():
                continue
            found.append(word)
            continue
        while folded and folded[0] in ADMIN_WORDS:
            folded.pop(0)
        while folded and folded[-1] in ADMIN_WORDS:
            folded.pop()
        # A lone short capitalised word ("Tổ", "Vì") is too common to say anything.
        if folded and (len(folded) > 1 or len(folded[0]) >= 4):
            found.append(" ".join(folded))
    return found


def names_in(texts: list[str]) -> set[str]:
    """Folded proper names in some paragraphs (capitalised runs inside sentences), for
    spotting the same names in a question typed in lower case or without diacritics."""
    names: set[str] = set()
    lowercase: set[str] = set()
    for text in texts:
        lowercase.update(fold(w) for w in re.findall(r"\w+", text) if w[0].islower())
        for a, b in split_sentences(text):
            names.update(entities(text[a:b]))
    # A single word is a name only if the articles never write it in lower case
    # ("Pleiku" yes; "Camera", which also appears as "camera", no).
    return {n for n in names if " " in n or (len(n) >= 5 and n not in lowercase)}


def question_names(question: str, known: set[str], vocabulary=None) -> list[str]:
    """Names the question asks about: its capitalised runs, plus any `known` name that
    occurs in it as whole words (so "gia lai" and "Gia Lai" mean the same)."""
    found = entities(question, vocabulary)
    folded = f" {' '.join(tokens(question))} "
    for name in sorted(known, key=len, reverse=True):
        if f" {name} " in folded and not any(name in f for f in found):
            found.append(name)
    return found


_VI_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ng|nh|ch|[cmnpt])?$"
)


def vietnamese_name(entity: str) -> bool:
    """Whether a folded name could be Vietnamese written without diacritics ("da nang",
    "hue"), as opposed to English words ("fatherland front") in an English question."""
    return all(_VI_SYLLABLE.match(w) for w in entity.split())


def surface(question: str, entity: str) -> str:
    """The words of `question` that the folded `entity` came from ("gia lai" -> "Gia Lai")."""
    folded = fold(question)
    at = folded.find(entity)
    return question[at : at + len(entity)] if at >= 0 and len(folded) == len(question) else entity


def mentions(passage: Passage, entity: str) -> bool:
    return names_phrase(f"{passage.context} {passage.paragraph_text}", entity)


def introduces(passage: Passage, entity: str, number: str) -> bool:
    """The article's headline/lead names `entity`, or the paragraph names it before or in
    a sentence giving `number`: a figure that follows only another place's name (or that
    precedes the name) is not that entity's. True when the paragraph lacks the number."""
    if names_phrase(passage.context, entity):
        return True
    text = passage.paragraph_text
    holding = [b for a, b in split_sentences(text) or [(0, len(text))]
               if number in numbers(text[a:b])]  # fmt: skip
    return not holding or any(names_phrase(text[:b], entity) for b in holding)


def parse_markers(answer: str) -> list[int]:
    out: list[int] = []
    for group in _MARKER.findall(answer):
        for n in re.split(r"\s*[,;]\s*", group):
            if int(n) not in out:
                out.append(int(n))
    return out


def strip_markers(answer: str) -> str:
    return re.sub(r"\s*" + _MARKER.pattern, "", answer).strip()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    kind: str = ""  # "figure": the wrong figure was picked (extraction can do better)


def check_draft(
    answer: str,
    shown: list[Passage],
    question: str,
    names: list[str] | None = None,
    vietnamese: str | None = None,
) -> Verdict:
    """Markers must point at shown excerpts; numbers must occur in a cited paragraph;
    names from the question (`names`, default: its capitalised runs) must appear in what
    is cited."""
    markers = parse_markers(answer)
    if not markers:
        return Verdict(False, "no citation marker")
    if any(n < 1 or n > len(shown) for n in markers):
        return Verdict(False, f"marker out of range {markers}")
    cited = [shown[n - 1] for n in markers]
    available = {num for p in cited for num in numbers(f"{p.paragraph_text} {p.date or ''}")}
    question_numbers = set(numbers(question))
    for num in numbers(strip_markers(answer)):
        if num not in available and num not in question_numbers:
            return Verdict(False, f"number {num} is not in the cited paragraphs")
    for entity in entities(question) if names is None else names:
        if not any(mentions(p, entity) for p in cited):
            return Verdict(False, f"cited paragraphs do not mention {entity!r}")
    for year in years(question):
        if not any(year in f"{p.context} {p.paragraph_text} {p.date or ''}" for p in cited):
            return Verdict(False, f"cited paragraphs are not about {year}")
    for word in capitalised(strip_markers(answer)):
        if looks_english(answer) and word not in tokens(question):
            continue  # English words are not in Vietnamese paragraphs; names from the question are
        if not any(mentions(p, word) for p in cited):
            return Verdict(False, f"the answer names {word!r}, which the cited paragraphs do not")
    asked = vietnamese or question
    if is_who_question(asked):
        # The person must stand where the paragraph says what was asked: next to the office
        # asked for, or (no office named) in a clause sharing half of the question's words.
        roles = role_words(asked)
        want = content_tokens(asked)
        clauses = [
            clause
            for p in cited
            for a, b in split_sentences(p.paragraph_text)
            for clause in p.paragraph_text[a:b].split(";")
        ]
        if roles:
            supported = [c for c in clauses if holds_roles(c, roles)]
        else:
            supported = [c for c in clauses if len(want & content_tokens(c)) >= 0.5 * len(want)]
        named = set(capitalised(strip_markers(answer))) - set(tokens(question)) - ADMIN_WORDS
        if named and not any(named <= set(tokens(c)) for c in supported):
            return Verdict(False, "no cited clause says that of the person named")
    if asks_for_rank(asked):
        given = [r for r in MILITARY_RANKS if r.lower() in answer.lower()]
        if not any(r.lower() in p.paragraph_text.lower() for r in given for p in cited):
            return Verdict(False, "no rank that the cited paragraphs give", "figure")
    new_words = content_tokens(strip_markers(answer)) - content_tokens(question)
    new_numbers = set(numbers(strip_markers(answer))) - question_numbers
    if not new_words and not new_numbers:
        return Verdict(False, "the answer only repeats the question")
    if asks_for_number(question):
        if not new_numbers:
            return Verdict(False, "a figure was asked for and the answer gives none")
        subjects = entities(question) if names is None else names
        for num in new_numbers:
            if subjects and not any(introduces(p, e, num) for p in cited for e in subjects):
                return Verdict(False, f"{num} is not given for {subjects}", "figure")
        # `vietnamese`: the question translated, when it was asked in English.
        unit_q = vietnamese or question
        if unit_words(unit_q) and not looks_english(unit_q):
            texts = [p.paragraph_text for p in cited]
            got = max(figure_score(unit_q, t, n) for t in texts for n in new_numbers)
            if got == 0:
                return Verdict(False, "the figure does not count what was asked", "figure")
            if got < best_figure_score(unit_q, texts):
                return Verdict(False, "another figure fits the question better", "figure")
    return Verdict(True)


_OFFICES = ("chu tich", "giam doc", "bi thu", "truong", "uy vien", "chanh van phong",
            "dai ta", "thuong ta", "trung ta", "thieu ta", "dai uy", "thieu tuong",
            "trung tuong", "chi huy truong")  # fmt: skip


def role_words(question: str) -> set[str]:
    """Offices and ranks a question names, as folded phrases, with "pho" (deputy) kept
    ("Phó Giám đốc" -> {"pho giam doc"}; "Trưởng Công an" -> {"truong"})."""
    folded = f" {' '.join(tokens(question))} "
    found = set()
    for office in _OFFICES:
        for m in re.finditer(rf" (pho )?{office} ", folded):
            found.add(f"{m.group(1) or ''}{office}")
    # "chi huy truong" also contains "truong": keep the longest
    return {r for r in found if not any(r != o and f" {r} " in f" {o} " for o in found)}


def holds_roles(text: str, roles: set[str]) -> bool:
    """`text` names every office in `roles`, and not as a deputy's unless asked so."""
    folded = f" {' '.join(tokens(text))} "
    for role in roles:
        if f" {role} " not in folded:
            return False
        # every mention is "Phó …": the text names the deputy, not the office asked for
        if not role.startswith("pho ") and folded.count(f" {role} ") == folded.count(
            f" pho {role} "
        ):
            return False
    return True


MILITARY_RANKS = ("Đại tá", "Thượng tá", "Trung tá", "Thiếu tá", "Đại úy", "Thượng úy",
                  "Trung úy", "Thiếu tướng", "Trung tướng")  # fmt: skip
_RANK_ASKED = re.compile(r"\b(cap bac|quan ham|cap ham|ham gi)\b")


def asks_for_rank(question: str) -> bool:
    return bool(_RANK_ASKED.search(" ".join(tokens(question))))


def is_who_question(question: str) -> bool:
    folded = f" {' '.join(tokens(question))} "
    return " ai " in folded or " who " in folded or " nguoi nao " in folded


def capitalised(text: str) -> list[str]:
    """Folded capitalised words of `text` (letters only, 2+ characters)."""
    return [
        fold(w) for w in re.findall(r"\w+", text) if w[0].isupper() and w.isalpha() and len(w) > 1
    ]


def years(text: str) -> list[str]:
    return re.findall(r"\b(?:19|20)\d\d\b", text)


def asks_for_number(question: str) -> bool:
    folded = f" {' '.join(tokens(question))} "
    return any(f" {w} " in folded for w in ("bao nhieu", "how many", "how much", "so luong"))


def best_sentence(paragraph: str, question: str, answer: str = "") -> str:
    """The sentence of `paragraph` that best supports `answer` to `question`: one holding
    the answer's numbers if any, else the one sharing most words with question + answer."""
    spans = split_sentences(paragraph) or [(0, len(paragraph))]
    sentences = [paragraph[a:b].strip() for a, b in spans]
    sentences = [x for x in sentences if not looks_like_instruction(x)] or sentences
    wanted_numbers = set(numbers(strip_markers(answer))) - set(numbers(question))
    want = content_tokens(question) | content_tokens(strip_markers(answer))

    def score(sentence: str) -> tuple[int, int]:
        has_numbers = len(wanted_numbers & set(numbers(sentence)))
        return has_numbers, len(want & content_tokens(sentence))

    return max(sentences, key=score)


def attach_marker(answer: str, passages: list[Passage], question: str) -> str:
    """Add `[k]` to an answer that has no marker when exactly one shown paragraph holds all
    its figures and most of its new words."""
    if parse_markers(answer) or not passages:
        return answer
    new_numbers = set(numbers(answer)) - set(numbers(question))
    new_words = content_tokens(answer) - content_tokens(question)
    if not new_numbers and not new_words:
        return answer
    fits = []
    for k, p in enumerate(passages, start=1):
        para_words = content_tokens(p.paragraph_text)
        if new_numbers <= set(numbers(p.paragraph_text)) and (
            not new_words or len(new_words & para_words) >= 0.8 * len(new_words)
        ):
            fits.append(k)
    if len(fits) != 1:
        return answer
    return f"{answer.rstrip().rstrip('.')} [{fits[0]}]."
