"""Checks that stand between the model's draft and the user.

- `entities`: proper names in a question (capitalised word runs), to check that the
  articles, and the passages an answer cites, are about what was asked.
- `parse_markers` / `check_draft`: every `[n]` must point at an excerpt shown to the model,
  every number in the answer must occur in a paragraph it cites, every day it gives must be
  written there (`scope.dates_in`), and a "phường nào" answer must name a place.
- `introduces`: a figure belongs to a place only if the article's lead or the text before
  (or in) the figure's sentence names it.
- `best_sentence`: the sentence of a paragraph that supports an answer (the "quote").
Reading figures (units, qualifiers) is in `assistant.figures`; prompts and the pipeline
that calls these are in `assistant.answer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.people import ADMIN_WORDS
from assistant.places import read_places, same_level
from assistant.query import Query
from assistant.scope import dates_in
from assistant.text import (
    content_tokens,
    fold,
    looks_like_instruction,
    names_phrase,
    numbers,
    split_sentences,
    tokens,
)
from assistant.types import Passage

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_WORD = re.compile(r"\w+\.?")
# Words that often start a Vietnamese question: a capitalised first word is a name only if
# it is none of these and the articles never use it as an ordinary word.
_QUESTION_START = set(
    "ai bao co cac nhung mot hay liet ke neu cho xin vi tai sao khi luc o dau gi nao so "
    "trong nam theo tu den sau truoc ngay thang hoi luc luong nguoi ong ba".split()
)
# Common nouns that open a question, written with their diacritics ("Vụ" is a case, "Vũ"
# a family name; "Căn" a house, "Cần" of Cần Thơ): capitalised first, never part of a name
_OPENING_NOUNS = set("dịp chiếc căn vụ ngày tháng năm trong".split())


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
            if words[0].lower() in _OPENING_NOUNS:
                continue
            if word in vocabulary or not word.isalpha():
                continue
            found.append(word)
            continue
        while folded and folded[0] in ADMIN_WORDS:
            folded.pop(0)
        if start == 0 and len(folded) > 1 and words[0].lower() in _OPENING_NOUNS:
            folded.pop(0)  # "Dịp Tết …", "Vụ Nguyễn Văn A …": the question's first word
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
    for text in texts:
        for a, b in split_sentences(text):
            for name in entities(text[a:b]):
                words = name.split()
                # a sentence starts capitalised: "Dự Hội nghị …" names nothing
                if fold(text[a:b]).lstrip().startswith(words[0]):
                    while words and words[0] in lowercase:
                        words = words[1:]
                if words:
                    names.add(" ".join(words))
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


def check_draft(answer: str, shown: list[Passage], query: Query) -> Verdict:
    """What every draft must pass: markers point at shown excerpts; every number is
    written in a cited paragraph (or the question); the question's places and names, and
    every name the answer adds, appear in what is cited; the answer adds something."""
    markers = parse_markers(answer)
    if not markers:
        return Verdict(False, "no citation marker")
    if any(n < 1 or n > len(shown) for n in markers):
        return Verdict(False, f"marker out of range {markers}")
    cited = [shown[n - 1] for n in markers]
    plain = strip_markers(answer)
    available = {num for p in cited for num in _shown_numbers(p)}
    asked_numbers = set(numbers(query.text))
    for num in numbers(plain):
        if num not in available and num not in asked_numbers:
            return Verdict(False, f"number {num} is not in the cited paragraphs")
    # a case asked about is named once in its article, not in every paragraph about it
    naming = (
        [p for p in shown if p.article in {c.article for c in cited}] if query.incident else cited
    )
    for entity in (*query.places, *query.names, *query.codes):
        if not any(mentions(p, entity) for p in naming):
            return Verdict(False, f"cited paragraphs do not mention {entity!r}")
    asked_words = set(tokens(f"{query.text} {query.asked}"))
    for word in capitalised(plain):
        if word in asked_words and not any(word in n.split() for n in query.names):
            continue  # the question's own words ("TNGT", "Riêng"): checked above if names
        if query.english:
            continue  # English words are not in Vietnamese paragraphs
        if not any(mentions(p, word) for p in cited):
            return Verdict(
                False, f"the answer names {word!r}, which the cited paragraphs do not", "name"
            )
    cited_text = " ".join(p.paragraph_text for p in cited)
    for label in re.findall(r"\b\d{4}-\d{2}\b", plain):  # an excerpt's label ("Trà Vinh,
        if label not in cited_text:  # 2021-10"), not what the paragraph says
            return Verdict(False, f"{label} là ngày đăng bài, không phải câu trả lời", "date")
    written = {d for p in cited for d in dates_in(p.paragraph_text)} | dates_in(query.text)
    if query.asks_day and not query.english and not dates_in(plain) - dates_in(query.text):
        # "tổ chức hội nghị … vào ngày nào?" answered "vào ngày 11/2025": a month, no day
        return Verdict(False, "câu hỏi hỏi ngày nào, câu trả lời chưa nêu ngày", "date")
    unwritten = sorted(dates_in(plain) - written)
    if unwritten:
        day, month = unwritten[0]
        return Verdict(False, f"ngày {day}/{month} không có trong các đoạn trích", "date")
    if query.wants == "place" and query.named_level:
        asked_places = {*query.places, *query.area}
        # "phường nào": a ward (a commune's level), not the district it lies in
        given = [p for p in read_places(plain) if p.name and p.name not in asked_places]
        if not any(same_level(query.asked_level, p.level, p.name) for p in given):
            return Verdict(False, "câu trả lời chưa nêu tên địa danh được hỏi", "place")
    new_words = content_tokens(plain) - content_tokens(query.text) - content_tokens(query.asked)
    if not new_words and not set(numbers(plain)) - asked_numbers:
        return Verdict(False, "the answer only repeats the question")
    return Verdict(True)


def _shown_numbers(p: Passage, text: str | None = None) -> set[str]:
    """The numbers the model is shown with an excerpt: its text's (else its paragraph's)
    and its date's."""
    return set(numbers(f"{p.paragraph_text if text is None else text} {p.date or ''}"))


def capitalised(text: str) -> list[str]:
    """Folded capitalised words of `text` (letters only, 2+ characters)."""
    return [
        fold(w) for w in re.findall(r"\w+", text) if w[0].isupper() and w.isalpha() and len(w) > 1
    ]


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


def attach_marker(
    answer: str, passages: list[Passage], question: str, shown: list[str] | None = None
) -> str:
    """Add `[k]` to an answer that has no marker when a shown paragraph holds all its
    figures (or, with none, most of its new words; of several, the one writing most);
    point the markers at the one excerpt that shows them all (its date counted:
    "28-6-2025") when the excerpts the model cited show none of them (it miscounted the
    excerpts). `shown`: the excerpts' texts, what the model read of each paragraph (a
    figure in an unshown sentence of the cited paragraph was not read there: "hơn 92%" of
    a 2023 report's breakdown, not shown, where the excerpt of a 2021 report shows "hơn
    92%")."""
    if not passages:
        return answer
    texts = shown if shown is not None else [None] * len(passages)
    new_numbers = set(numbers(strip_markers(answer))) - set(numbers(question))
    markers = parse_markers(answer)
    if markers:
        cited = {n for k in markers if 1 <= k <= len(passages)
                 for n in numbers(texts[k - 1] or passages[k - 1].paragraph_text)}  # fmt: skip
        if not new_numbers or new_numbers & cited:
            return answer
        holders = [k for k, p in enumerate(passages, start=1)
                   if new_numbers <= _shown_numbers(p, texts[k - 1])]  # fmt: skip
        if len(holders) != 1:
            return answer
        return _MARKER.sub("", answer).rstrip().rstrip(".").rstrip() + f" [{holders[0]}]."
    answer = strip_markers(answer)
    new_words = content_tokens(answer) - content_tokens(question)
    if not new_numbers and not new_words:
        return answer
    fits = []
    for k, p in enumerate(passages, start=1):
        para_words = content_tokens(p.paragraph_text)
        if new_numbers <= set(numbers(p.paragraph_text)) and (
            new_numbers or not new_words or len(new_words & para_words) >= 0.8 * len(new_words)
        ):
            fits.append((len(new_words & para_words), -k))
    if not fits:
        return answer
    # several paragraphs hold it all (the lead and the body tell it twice): the one that
    # writes most of the answer's words, the first shown of those
    return f"{answer.rstrip().rstrip('.')} [{-max(fits)[1]}]."
