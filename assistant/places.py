"""Place scope: which provinces, cities, districts and communes a text names.

Places are read three ways: after an administrative word ("tỉnh Gia Lai", "TP. Pleiku",
"H. Chư Sê", "xã Ia Pal"); as a province name alone ("Gia Lai ghi nhận …"; the 63 provinces
before the July 2025 merger, the 34 after are among them); or as a name the caller already
knows to be a place (seen after an administrative word elsewhere). An administrative word
with no name after it ("toàn tỉnh", "UBND tỉnh", "thành phố") is a generic mention: it
means the article's own place of that level. Names are folded ("gia lai").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.text import NAME_FORMS, fold, same_form, tokens


# Provinces and centrally governed cities before 1 July 2025 (the 34 after it keep one of
# these names each: e.g. Gia Lai took in Bình Định, Lâm Đồng took in Đắk Nông and Bình Thuận).
def name_of(text: str) -> str:
    """A place's name as compared everywhere: folded words joined by single spaces
    ("Bà Rịa - Vũng Tàu" -> "ba ria vung tau"; "HCM" -> "ho chi minh", `NAME_FORMS`)."""
    return same_form(" ".join(tokens(text)))


PROVINCES = frozenset(name_of(n) for n in (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bà Rịa", "Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu",
    "Bắc Ninh", "Bến Tre", "Bình Định", "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau",
    "Cần Thơ", "Cao Bằng", "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai",
    "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương", "Hải Phòng",
    "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu",
    "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình",
    "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh",
    "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa",
    "Thanh Hoá", "Thừa Thiên Huế", "Huế", "Hồ Chí Minh", "Tiền Giang", "Trà Vinh",
    "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái", "Đắc Lắc", "Đăk Lăk", "Đắk Nông",
))  # fmt: skip
_PROVINCE_WORDS = max(len(p.split()) for p in PROVINCES)
# Other forms of a province's name ("TPHCM", "tp hcm"): read as the name itself
_PROVINCE_FORMS = frozenset(f for usual, fs in NAME_FORMS if usual in PROVINCES for f in fs)

# Administrative words (matched on the lowercase text, diacritics kept: "quận" is not
# "quân", "xã" is not "xa") and the level they name.
_ADMIN = (
    ("thành phố", "city"), ("tp.", "city"), ("tp", "city"), ("tỉnh", "province"),
    ("huyện", "district"), ("h.", "district"), ("thị xã", "town"), ("tx.", "town"),
    ("tx", "town"), ("quận", "district"), ("q.", "district"), ("thị trấn", "commune"),
    ("tt.", "commune"), ("xã", "commune"), ("phường", "commune"), ("đặc khu", "district"),
)  # fmt: skip
_ADMIN_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(w) for w, _ in _ADMIN) + r")(?=\s|$)", re.IGNORECASE
)
_LEVEL = dict(_ADMIN)
_ADMIN_FOLDED = {fold(w).rstrip(".") for w, _ in _ADMIN} | {"ubnd", "cong", "an", "tinh"}
# Without diacritics ("xa" may be "xa" = far) only the unambiguous words say the level.
_LEVEL_FOLDED = {fold(w).rstrip("."): lv for w, lv in _ADMIN if fold(w) not in ("xa",)}
_ADMIN_BEFORE = re.compile(
    r"(?<!\w)("
    + "|".join(sorted(map(re.escape, _LEVEL_FOLDED), key=len, reverse=True))
    + r")\.?\s+$"
)
# Family names: a capitalised run "Pleiku Đỗ Việt Hưng" after "TP." is a place, then a person.
_SURNAMES = frozenset(fold(n) for n in (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương "
    "Trịnh Trương Phùng Mai Tô Lương Đinh Tạ Lưu Kiều Chu Quách Đàm Lò Nông Hứa Triệu Y Rah "
    "Ksor Siu Rơ Đại Thượng Trung Thiếu Ông Bà Đồng Chủ Phó Giám Bí Trưởng").split())  # fmt: skip
_WORD = re.compile(r"[\w]+")
_UNIT = re.compile(r"\b(?:Phòng|Đội|Trạm|Đồn)(?:\s+[A-ZĐÀ-Ỹ]\w*){1,4}")
_LISTED = re.compile(r"(?<=[,;:] )(?:[A-ZĐÀ-Ỹ][\w]*)(?: [A-ZĐÀ-Ỹ][\w]*){0,3}(?= \(\d)")
# "thị xã An Khê 5 vụ, Chư Sê 10 vụ; Chư Păh 8 vụ": a breakdown without parentheses, each
# name after a "<figure> <counter>," item of one that is a known place
_BARE_LISTED = re.compile(r"(?<=[,;] )[A-ZĐÀ-Ỹ]\w*(?: [A-ZĐÀ-Ỹ]\w*){0,3}(?= \d)")
_ITEM_END = re.compile(r"\d+(?:[.,]\d+)*\s+\w+(?:\s+\w+)?[,;]\s$")


# Centrally governed cities: "TP. Cần Thơ" and "Cần Thơ" are one place; elsewhere "TP. Kon
# Tum" (the city) is not "Kon Tum" (the province).
CENTRAL_CITIES = frozenset(name_of(n) for n in ("Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng",
                                             "Cần Thơ", "Huế"))  # fmt: skip


def same_level(asked: str, written: str, name: str) -> bool:
    """Two mentions of `name` at levels `asked` and `written` are the same place."""
    if asked == written or not asked or not written:
        return True
    return {asked, written} <= {"city", "province"} and name in CENTRAL_CITIES


@dataclass(frozen=True)
class Place:
    """A place named at `start`..`end`: `name` folded ("" for a generic mention)."""

    start: int
    end: int
    name: str
    level: str  # province, city, district, town, commune, "" (unknown)

    @property
    def generic(self) -> bool:
        return not self.name


_SPAN_AFTER = re.compile(r"\s+(?:tháng|năm|quý|ngày|tuần|thang|nam|quy|ngay|tuan)\b", re.I)


def _capital_run(text: str, at: int, max_words: int = 5) -> list[re.Match]:
    """Capitalised words (or one number: "Quận 3") from offset `at` on, as matches."""
    words: list[re.Match] = []
    end = at
    for m in _WORD.finditer(text, at):
        if text[end : m.start()].strip() not in ("", "-") or len(words) == max_words:
            break
        word = m.group()
        if not (word[0].isupper() or (not words and word.isdigit())):
            break
        if word.isdigit() and _SPAN_AFTER.match(text, m.end()):
            break  # "số liệu của tỉnh 6 tháng đầu năm": a period, not "Quận 6"
        words.append(m)
        end = m.end()
        if word.isdigit():
            break
    return words


def _place_words(words: list[str]) -> int:
    """How many words of a capitalised run name the place: a province name as a whole, or
    the run up to a family name or title ("Pleiku Đỗ Việt Hưng" -> 1)."""
    folded = [fold(w) for w in words]
    for n in range(min(len(words), _PROVINCE_WORDS), 0, -1):
        if " ".join(folded[:n]) in PROVINCES:
            return n
    for i in range(1, len(words) - 1):  # a person's name after it has 2+ words
        if folded[i] in _SURNAMES:
            return i
    return len(words)


def read_places(text: str, known: Iterable[str] = (), any_case: bool = False) -> list[Place]:
    """Places named in `text`, in order. `known`: folded names already known to be places;
    with `any_case` (a question typed in lower case) these and the provinces are found in
    any case, else only capitalised."""
    found: list[Place] = []
    taken = [False] * len(text)
    for m in _ADMIN_RE.finditer(text):
        word = m.group(1).lower()
        run = _capital_run(text, m.end())
        run = run[: _place_words([w.group() for w in run])]
        if run:
            end = run[-1].end()
            name = name_of(text[run[0].start() : end])
            found.append(Place(m.start(), end, name, _LEVEL[word]))
            for i in range(m.start(), end):
                taken[i] = True
        elif word not in ("tp", "tx", "h.", "q.", "tt.") and not re.match(
            r"\s+hội\b",
            text[m.end() :],
            re.IGNORECASE,  # "xã hội" is society, not a commune
        ):  # "toàn tỉnh", "UBND huyện"
            found.append(Place(m.start(), m.end(), "", _LEVEL[word]))
    # In a breakdown the names often lose their administrative word after the first:
    # "TP. Pleiku (39 vụ); huyện Đak Đoa (22 vụ); Chư Prông (21 vụ)".
    for m in _LISTED.finditer(text):
        if not any(taken[m.start() : m.end()]):
            run = _capital_run(text, m.start())
            # "Nguyễn Văn A (35 tuổi)" is a person
            age = re.match(r" \(\d+\s*(?:tuổi|t\b)", text[run[-1].end() :]) if run else None
            if run and len(run) <= 4 and not age:
                end = run[-1].end()
                found.append(Place(m.start(), end, name_of(text[m.start() : end]), ""))
                for i in range(m.start(), end):
                    taken[i] = True
    for m in _BARE_LISTED.finditer(text):
        item = _ITEM_END.search(text, max(0, m.start() - 30), m.start())
        before = [p for p in found if p.end <= m.start() and p.name]
        if (
            item is None
            or any(taken[m.start() : m.end()])
            or not before
            or text[max(p.end for p in before) : m.start()].count(" ") > 4  # after a place
        ):
            continue
        found.append(Place(m.start(), m.end(), name_of(m.group()), ""))
        for i in range(m.start(), m.end()):
            taken[i] = True
    # Sub-units that act for themselves ("Phòng Cảnh sát điều tra tội phạm về ma túy … bắt
    # 21 vụ"): what they did is theirs, not their province's.
    for m in _UNIT.finditer(text):
        if not any(taken[m.start() : m.end()]):
            found.append(Place(m.start(), m.end(), name_of(m.group()), "unit"))
            for i in range(m.start(), m.end()):
                taken[i] = True  # not read again as a bare known name
            # "Phòng … Công an tỉnh": that "tỉnh" is part of the unit's name
            end = re.search(r"[,;.:(]", text[m.end() :])
            stop = m.end() + (end.start() if end else len(text))
            found = [p for p in found if p.name or not m.end() <= p.start < stop]
    folded = fold(text)
    known = set(known)
    names = sorted(PROVINCES | known | _PROVINCE_FORMS, key=len, reverse=True)
    for name in names:
        pattern = r"\W+".join(re.escape(w) for w in name.split())
        for m in re.finditer(rf"(?<!\w){pattern}(?!\w)", folded):
            if any(taken[m.start() : m.end()]):
                continue
            if not (any_case or text[m.start()].isupper()):
                continue
            # inside another name: "Festival Hoa Đà Lạt" is a festival, not Đà Lạt
            prior = re.search(r"(\w+)\s+$", text[max(0, m.start() - 20) : m.start()])
            if (
                prior
                and prior.group(1)[0].isupper()
                and not prior.group(1).isupper()
                and (fold(prior.group(1)) not in _ADMIN_FOLDED)
            ):
                continue
            level = "province" if name in PROVINCES else ""
            if name in _PROVINCE_FORMS:
                name, level = same_form(name), "city"
            if any_case:  # typed in lower case: "tp cao bang" is the city, not the province
                said = _ADMIN_BEFORE.search(folded[max(0, m.start() - 12) : m.start()].lower())
                level = _LEVEL_FOLDED[said.group(1)] if said else level
            found.append(Place(m.start(), m.end(), name, level))
            for i in range(m.start(), m.end()):
                taken[i] = True
    return sorted(found, key=lambda p: p.start)


def place_names(text: str, known: Iterable[str] = ()) -> list[str]:
    """Folded names of the specific places in `text`, first mention first, no repeats."""
    out: list[str] = []
    for p in read_places(text, known):
        if p.name and p.name not in out:
            out.append(p.name)
    return out
