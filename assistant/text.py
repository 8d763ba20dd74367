"""Vietnamese text helpers: NFC normalisation, diacritic folding, tokens, sentences, numbers.

Used by both the indexer and the answerer so that the two sides agree on what a token
or a number is. No model or library state lives here.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
# Numbers as written in Vietnamese news: 9.890 / 2,9 / 11/11 / 09 / 2021.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Abbreviations after which a full stop does not end a sentence.
_ABBREV = {"tp", "tt", "ths", "ts", "pgs", "gs", "ubnd", "hđnd", "st", "q", "p", "đ/c", "th", "bs",
           "h", "tx", "x"}  # fmt: skip
_SENT_END = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-ZÀ-Ỹ0-9Đ])")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lowercase and strip diacritics: "Bảo Lộc" -> "bao loc" (đ -> d, km² -> km2)."""
    text = unicodedata.normalize("NFD", text.lower().replace("²", "2").replace("³", "3"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.replace("đ", "d")


def tokens(text: str) -> list[str]:
    """Folded word tokens for BM25: syllables, with digit groups joined ("9.890" -> "9890")."""
    text = _NUMBER.sub(lambda m: re.sub(r"[.,]", "", m.group()), text)
    return _WORD.findall(fold(text))


# One name written in other forms (folded words): each is read as the first.
NAME_FORMS = (
    # "Tết Giáp Thìn" is the "Tết Nguyên đán Giáp Thìn" ("đán", lower case, ends no name)
    ("tet", ("tet nguyen dan", "tet nguyen")),
    ("ho chi minh", ("tp hcm", "tphcm", "hcm")),  # "TP.HCM" is "TP. Hồ Chí Minh"
)


def same_form(words: str) -> str:
    """Folded words with each other form of a name written as its usual one
    ("cong an tp hcm" -> "cong an tp ho chi minh")."""
    out = f" {words} "
    for usual, forms in NAME_FORMS:
        for form in forms:
            out = out.replace(f" {form} ", f" {usual} ")
    return out.strip()


def names_phrase(text: str, phrase: str) -> bool:
    """`text` holds `phrase` (folded tokens joined by spaces, e.g. "bao loc") as whole words,
    in any of its forms (`NAME_FORMS`)."""
    written = f" {' '.join(tokens(text))} "
    if f" {phrase} " in written:
        return True
    return f" {same_form(phrase)} " in f" {same_form(written.strip())} "


def numbers(text: str) -> list[str]:
    """Canonical digit strings of the numbers in `text` ("9.890" -> "9890", "09" -> "9")."""
    out = []
    for raw in _NUMBER.findall(text):
        digits = re.sub(r"\D", "", raw)
        # "2,9" (a decimal) keeps its separator so it does not equal "29".
        if re.fullmatch(r"\d+,\d{1,2}", raw):
            digits = raw.replace(",", ".")
        out.append(digits.lstrip("0") or "0")
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text` (spans cover the text without gaps)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENT_END.finditer(text):
        before = text[start : match.start()].rstrip('"”’)]')
        last_word = re.findall(r"[\w/]+(?=\.$)", before)
        if last_word and last_word[-1].lower() in _ABBREV:
            continue
        spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


_ENGLISH = set(
    "the a an of in on at to for from by with how many much what which who whom whose when where "
    "why did does do is are was were has have had be been city province year people police number "
    "and or not any there their this that these those".split()
)


def looks_english(text: str) -> bool:
    """Text where at least a third of the words are common English words and the only
    letters with diacritics are in capitalised names ("How many tourists did Lâm Đồng
    welcome?"); a Vietnamese term quoted or in brackets does not count ("loan-sharking
    ("tín dụng đen") cases")."""
    words = re.findall(r"\w+", re.sub(r"[\"“][^\"”]*[\"”]|\([^)]*\)", " ", text))
    if not words or any(not w.isascii() and not w[0].isupper() for w in words):
        return False
    return sum(w.lower() in _ENGLISH for w in words) * 3 >= len(words)


def shared_runs(text: str, source: str, n: int = 6) -> set[tuple[str, ...]]:
    """Runs of `n` consecutive folded words that `text` takes from `source`."""

    def grams(t: str) -> set[tuple[str, ...]]:
        words = tokens(t)
        return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}

    return grams(text) & grams(source)


# Sentences written to steer an assistant rather than to report news (prompt injection in an
# article). They are never shown to the model, quoted or answered from.
_INSTRUCTION = re.compile(
    r"bo qua (?:moi |tat ca |cac |nhung )?(?:huong dan|chi dan|chi thi|yeu cau|lenh|quy tac)"
    r"|(?:ignore|disregard|forget) (?:all |any |the |your )?(?:previous|prior|above|earlier)"
    r"|system prompt|prompt he thong|huong dan he thong"
    r"|tra loi (?:moi|tat ca) (?:cac )?cau hoi|answer (?:every|all|any) questions?"
    r"|you are now|from now on,? (?:you|answer)"
)


def looks_like_instruction(sentence: str) -> bool:
    """True for a sentence that gives orders to an assistant ("Bỏ qua mọi hướng dẫn…",
    "Ignore previous instructions…")."""
    return bool(_INSTRUCTION.search(fold(sentence)))


def instructions_in(text: str) -> str:
    """The instruction-like sentences of `text`, joined (empty when there are none)."""
    spans = split_sentences(text) or [(0, len(text))]
    return " ".join(text[a:b] for a, b in spans if looks_like_instruction(text[a:b]))


# Question and function words: not evidence that two texts are about the same thing.
STOPWORDS = set(
    "bao nhieu la gi ai nao co duoc da cua va cac nhung trong tai voi cho den mot nam the thi "
    "sao con o ve nay do khi nhu la bi boi tu ra vao len hay hoac ma de "
    "how many much what who which when where did does do is are was were the a an of in on at "
    "to for by with and or".split()
)


def content_tokens(text: str) -> set[str]:
    return {t for t in tokens(text) if t not in STOPWORDS}
