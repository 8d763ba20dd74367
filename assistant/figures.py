"""How a figure is read from Vietnamese news text.

- `unit_words`: what a "bao nhiêu X" / "how many X" question counts.
- `figure_score` / `best_figure_score`: whether (and how well) a number in a sentence counts
  that, so a draft giving another figure of the same paragraph is caught.
- `counted_phrase`: the figure with its words, for quoting ("gần 300 mắt camera").
- `restore_qualifiers`: "gần/hơn/trên/khoảng" the model dropped are put back.
The checks that use these are in `assistant.verify`; the readers in `assistant.extract`.
"""

from __future__ import annotations

import re

from assistant.text import content_tokens, fold, numbers, split_sentences, tokens

_IN_ENGLISH = {"gần": "nearly", "hơn": "more than", "trên": "over", "khoảng": "about",
               "dưới": "under", "tới": "up to", "đến": "up to"}  # fmt: skip
_QUALIFIERS = ("gần", "hơn", "trên", "khoảng", "dưới", "gần như", "tới", "đến")
# A figure: digits not glued to a word ("Covid-19", "ANTQ2" name things, they count nothing).
FIGURE = re.compile(r"(?<![\w-])\d+(?:[.,]\d+)*")
_NUM_WITH_UNIT = re.compile(r"(\d+(?:[.,]\d+)*)((?:\s+[^\s\d.,;:()“”\"]+){1,6})")


def unit_words(question: str) -> list[str]:
    """Folded words naming what is counted: the 1-4 content words after "bao nhiêu"/"how
    many" ("bao nhiêu mắt camera an ninh" -> ["mat", "camera", "an", "ninh"])."""
    toks = tokens(question)
    for i in range(len(toks) - 1):
        if (toks[i], toks[i + 1]) in (("bao", "nhieu"), ("how", "many"), ("how", "much")):
            return [t for t in toks[i + 2 : i + 6] if not t.isdigit()]
    return []


# "bao nhiêu tiền" is answered in "tỷ đồng", "triệu đồng", …
_UNIT_ALIASES = {"tien": {"ty", "trieu", "nghin", "ngan", "dong", "usd"}}


def _same_unit(written: str, asked: str) -> bool:
    return written == asked or written in _UNIT_ALIASES.get(asked, ())


def figure_score(question: str, sentence: str, number: str) -> int:
    """How well `number` in `sentence` answers a "bao nhiêu X" question. 0 unless the word
    right after the number is the first word of X and X's capitalised words (a named kind:
    "mô hình Dân vận khéo") occur around it; else twice the number of X's words among the
    six that follow the number, plus the question words shared with the text around it
    (from the previous figure to the next one, within a sentence and a ';'-clause)."""
    want = unit_words(question)
    if not want:
        return 0
    named = _unit_names(question)
    content = content_tokens(question)
    best = 0
    clauses = [part for a, b in split_sentences(sentence) for part in sentence[a:b].split(";")]
    for clause in clauses:
        found = list(FIGURE.finditer(clause))
        for i, m in enumerate(found):
            if numbers(m.group()) != [number]:
                continue
            start = found[i - 1].end() if i > 0 else 0
            end = found[i + 1].start() if i + 1 < len(found) else len(clause)
            described = tokens(clause[m.end() : end])
            if not described or not _same_unit(described[0], want[0]):
                continue
            around_text = f" {' '.join(tokens(clause[start:end]))} "
            if any(f" {phrase} " not in around_text for phrase in named):
                continue
            around = set(around_text.split())
            unit_hits = len(set(described[:6]) & set(want))
            best = max(best, 2 * unit_hits + len(content & around))
    return best


_PREPOSITIONS = {"o", "tai", "vao", "cua", "trong", "tren", "cho", "den", "in", "at", "of", "for",
                 "nam", "duoc", "da", "co"}  # fmt: skip


def _unit_names(question: str) -> set[str]:
    """Named kinds in what "bao nhiêu" / "how many" counts (up to a preposition): each
    capitalised word with the word after it, folded ("mô hình Dân vận khéo" -> {"dan van"};
    "tờ rơi ở Bảo Lộc" -> none: the place is not part of the kind)."""
    match = re.search(r"(?i)\b(?:bao\s+nhiêu|how\s+many|how\s+much)\s+((?:\S+\s*){1,6})", question)
    if not match:
        return set()
    words = []
    for w in re.findall(r"\w+", match.group(1)):
        if fold(w) in _PREPOSITIONS:
            break
        words.append(w)
    return {
        " ".join(tokens(" ".join(words[i : i + 2])))
        for i, w in enumerate(words)
        if w[0].isupper() and not w[0].isdigit()
    }


def best_figure_score(question: str, paragraphs: list[str]) -> int:
    q_numbers = set(numbers(question))
    return max(
        (figure_score(question, text, n) for text in paragraphs
         for n in set(numbers(text)) - q_numbers),
        default=0,
    )  # fmt: skip


_STOP_AFTER = {"trong", "của", "cho", "được", "với", "tại", "ở", "và", "để", "trên", "từ", "do",
               "có", "đã", "là", "đến", "nhằm", "giúp"}  # fmt: skip


def counted_phrase(sentence: str, number: str) -> str:
    """ "gần 300 mắt camera" from a sentence: qualifier + number + the words that follow, up
    to punctuation, a linking word or 5 words."""
    for m in _NUM_WITH_UNIT.finditer(sentence):
        if numbers(m.group(1)) != [number]:
            continue
        words: list[str] = []
        for w in m.group(2).split():
            if words and w.lower() in _STOP_AFTER:
                break
            words.append(w)
            if len(words) == 5:
                break
        before = sentence[: m.start()].rstrip().split()
        lead = before[-1] if before and before[-1].lower() in _QUALIFIERS else ""
        return " ".join(w for w in (lead, m.group(1), *words) if w)
    return number


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

    return re.sub(r"(?<![\[\d.,])\d+(?:[.,]\d+)*(?![\]\d])", fix, answer)
