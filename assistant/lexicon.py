"""Words of the domain that mean the same: abbreviations of the security press and a few
synonyms, so that "TNGT" meets "tai nạn giao thông" and "chết" meets "tử vong".

`expand(tokens)` rewrites folded tokens into one canonical form; both the question and
the article text go through it before words are compared. Nothing here is about a
particular article.
"""

from __future__ import annotations

# Abbreviation -> its words (all folded).
ABBREVIATIONS = {
    "tngt": "tai nan giao thong",
    "attt": "an toan giao thong",
    "ttatgt": "trat tu an toan giao thong",
    "atgt": "an toan giao thong",
    "ttxh": "trat tu xa hoi",
    "antt": "an ninh trat tu",
    "anqg": "an ninh quoc gia",
    "antq": "an ninh to quoc",
    "pccc": "phong chay chua chay",
    "pccc&cnch": "phong chay chua chay",
    "cnch": "cuu nan cuu ho",
    "csgt": "canh sat giao thong",
    "csđt": "canh sat dieu tra",
    "csdt": "canh sat dieu tra",
    "ubnd": "uy ban nhan dan",
    "hdnd": "hoi dong nhan dan",
    "mttq": "mat tran to quoc",
    "bcd": "ban chi dao",
    "cand": "cong an nhan dan",
    "qlhc": "quan ly hanh chinh",
    "cccd": "can cuoc cong dan",
    "thcs": "trung hoc co so",
    "gd": "giao duc",
    "dt": "dao tao",
    "gddt": "giao duc dao tao",
    "sgddt": "so giao duc dao tao",
    "thpt": "trung hoc pho thong",
    "tp": "thanh pho",
    "tx": "thi xa",
}

# Words with the same meaning in these reports -> one of them (folded, single tokens or
# space-joined phrases).
SYNONYMS = {
    "tu vong": "chet",
    "thiet mang": "chet",
    "lam chet": "chet",
    "bi thuong": "thuong",
    "ton thuong": "thuong",
    "doi tuong": "doi tuong",
    "bi can": "doi tuong",
    "vu viec": "vu",
    "vu an": "vu",
    "so vu": "vu",
    "mat camera": "camera",
    "ho gia dinh": "ho",
    "ho dan": "ho",
    "khach du lich": "khach",
    "luot khach du lich": "khach",
    "luot du khach": "khach",
    "du khach": "khach",
    "luot khach": "khach",
    "tre em": "tre",
    "hoc sinh": "hoc sinh",
    "deaths": "chet",
    "killed": "chet",
    "died": "chet",
    "injured": "thuong",
    "cases": "vu",
}
_PHRASES = sorted(SYNONYMS, key=lambda p: -len(p.split()))


def expand(tokens: list[str]) -> list[str]:
    """Folded tokens with abbreviations spelt out and synonyms made one word."""
    words: list[str] = []
    for t in tokens:
        words.extend(ABBREVIATIONS.get(t, t).split())
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase in _PHRASES:
            n = len(phrase.split())
            if words[i : i + n] == phrase.split():
                out.extend(SYNONYMS[phrase].split())
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


# Units as the head of what a figure counts: written several ways, or asked for by a
# general word ("bao nhiêu tiền" is answered in "tỷ đồng").
_UNIT_FORMS = {
    "mat": "camera",
    "gram": "gam",
    "g": "gam",
    "gr": "gam",
    "kilogam": "kg",
    "kilogram": "kg",
    "hecta": "ha",
    "hec": "ha",
    "m2": "m2",
    "km2": "km2",
    "ty": "ty",
    "trieu": "trieu",
}
_MONEY = {"ty", "trieu", "nghin", "ngan", "dong", "usd", "vnd"}
_UNIT_GROUPS = {
    # money asked by what it is: "bao nhiêu tiền / vốn (FDI) / kinh phí"
    "tien": _MONEY,
    "von": _MONEY,
    "kinh": _MONEY,
    "khoi": {"kg", "tan", "gam"},
    "nang": {"kg", "tan", "gam"},
    "dien": {"ha", "m2", "km2"},
    "nguoi": {"nguoi", "doi"},
}


def unit_form(word: str) -> str:
    return _UNIT_FORMS.get(word, word)


def same_unit(asked: str, written: str) -> bool:
    """`written` (the word after a figure) is the unit `asked` ("bao nhiêu <asked>")."""
    asked, written = unit_form(asked), unit_form(written)
    return asked == written or written in _UNIT_GROUPS.get(asked, ())
