"""People read from paragraphs: a name with the rank or title written before it and the
offices and part written around it ("Đại tá Hà Minh Khiêm - Giám đốc Công an tỉnh chủ trì
hội nghị").

`read_people(passage)` lists every `Person` mention once; `role_words` reads the offices a
question asks for; `holds_roles` says whether a clause gives someone that office and not
only the deputy's. Answers are worded in `assistant.compose`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.places import PROVINCES, read_places
from assistant.text import fold, split_sentences, tokens
from assistant.types import Passage

MILITARY_RANKS = ("Đại tướng", "Thượng tướng", "Trung tướng", "Thiếu tướng", "Đại tá",
                  "Thượng tá", "Trung tá", "Thiếu tá", "Đại úy", "Thượng úy", "Trung úy",
                  "Thiếu úy")  # fmt: skip
_TITLES = (*MILITARY_RANKS, "Đồng chí", "đồng chí", "Ông", "ông", "Bà", "bà", "Đ/c", "đ/c",
           "PGS.TS", "TS", "ThS", "Luật sư", "Nhà báo")  # fmt: skip
# Capitalised words that are not part of a person's name.
ADMIN_WORDS = {"tp", "tp.", "tinh", "thanh", "pho", "huyen", "xa", "phuong", "quan", "cong", "an",
               "ubnd", "hdnd", "ban", "so", "bo", "ong", "ba", "dai", "ta", "thuong",
               "trung", "thieu", "dong", "chi", "giam", "doc", "chu", "tich", "bi", "thu",
               "truong", "uy", "vien", "the", "city", "province", "how", "what", "who", "when",
               "where", "which", "in", "did", "ai", "nam", "con", "trong", "tai", "theo",
               "co", "h", "tx", "q", "rieng"}  # fmt: skip
_OFFICES = ("chu tich", "giam doc", "bi thu", "truong", "uy vien", "chanh van phong",
            "chi huy truong", "hieu truong", "tong bien tap", "chinh uy", "tu lenh",
            "thu truong", "bo truong", "chanh an", "vien truong", "dai ta", "thuong ta",
            "trung ta", "thieu ta", "dai uy", "thieu tuong", "trung tuong")  # fmt: skip
# Offices that end with a shorter one: "bo truong" is not the "truong" asked for.
_LONGER = {
    role: [o for o in (*_OFFICES, "hieu pho", "bo truong", "thu truong", "vien truong")
           if o != role and o.endswith(f" {role}")]
    for role in _OFFICES
}  # fmt: skip
# What a person did at an event, asked as "Ai chủ trì …?" / "Ai dự …?".
PARTS = ("chu tri", "du", "phat bieu", "trao", "ky", "bao cao", "dieu hanh", "tham du")


@dataclass(frozen=True)
class Person:
    passage: Passage
    sentence: str
    clause: str  # the ';'-clause around the name: where the offices are written
    name: str  # as written, without the rank or title
    title: str  # the rank or title written before the name ("Đại tá"), or ""
    at: int  # offset of the name in `sentence`
    # the clause's part that is this person's where it names several: from the comma
    # before the name to the comma before the next person's ("ông A, Chủ tịch UBND TP,
    # Thiếu tướng B, Giám đốc Công an TP": the Giám đốc is B, not A); else the clause
    own: str = ""

    @property
    def offices(self) -> str:
        """Where the offices this person holds are written."""
        return self.own or self.clause


def _capital_runs(sentence: str) -> list[list[re.Match]]:
    """Runs of consecutive capitalised words (as matches)."""
    runs: list[list[re.Match]] = []
    last_end = None
    for m in re.finditer(r"\w+", sentence):
        word = m.group()
        if word[0].isupper() and word.isalpha():
            if runs and last_end is not None and sentence[last_end : m.start()] == " ":
                runs[-1].append(m)
            else:
                runs.append([m])
            last_end = m.end()
        else:
            last_end = None
    return runs


def _clause_bounds(sentence: str, start: int) -> tuple[int, int]:
    """From the clause start (after ';' or ':') before `start` to the next ';'."""
    left = max(sentence.rfind(";", 0, start), sentence.rfind(":", 0, start)) + 1
    right = sentence.find(";", start)
    return left, right if right >= 0 else len(sentence)


def _clause_around(sentence: str, start: int) -> str:
    left, right = _clause_bounds(sentence, start)
    return sentence[left:right]


def _own_parts(sentence: str, people: list[Person]) -> list[Person]:
    """Each person's own part of a clause that names several (see `Person.own`): what is
    written right after a name as its apposition (", Chủ tịch UBND TP", " - Giám đốc")
    up to the comma before the next person is that person's; what follows a name without
    one ("Cao Tiến Dũng tặng hoa giám đốc Công an tỉnh, Thiếu tướng Vũ Hồng Văn") is the
    next person's."""
    clauses: dict[tuple[int, int], list[Person]] = {}
    for x in people:  # in the order of their names
        clauses.setdefault(_clause_bounds(sentence, x.at), []).append(x)
    own: dict[int, str] = {}
    for (left, right), mates in clauses.items():
        if len(mates) < 2:
            continue
        cuts = [max(left, sentence.rfind(",", left, mates[0].at) + 1)]
        for a, b in zip(mates, mates[1:], strict=False):
            end = a.at + len(a.name)
            between = sentence[end : b.at]
            # the next person begins after the last comma or "và" ("ông A, Chủ tịch UBND
            # TP và Đại tá B, Giám đốc …": the office before "và" is A's)
            joined = between.rfind(" và ")
            comma = max(between.rfind(",") + 1, joined + 4 if joined >= 0 else 0) - 1
            apposed = re.match(r"\s*[,\-–(]", between) and comma >= 0
            cuts.append(end + comma + 1 if apposed else end)
        cuts.append(right)
        for k, x in enumerate(mates):
            own[x.at] = sentence[cuts[k] : max(cuts[k + 1], x.at + len(x.name))]
    return [replace(x, own=own[x.at]) if x.at in own else x for x in people]


def read_people(passage: Passage) -> list[Person]:
    """Each personal name in the paragraph (2-4 capitalised words starting with a family
    name, or any such run right after a rank or title), with that rank or title."""
    text = passage.paragraph_text
    out = []
    for a, b in split_sentences(text) or [(0, len(text))]:
        sentence = text[a:b].strip()
        found: list[Person] = []
        for run in _capital_runs(sentence):
            words = [m.group() for m in run]
            title = next((t for t in _TITLES
                          if sentence[: run[0].start()].rstrip().endswith(t)), "")  # fmt: skip
            first = (
                0
                if title and fold(words[0]) not in ADMIN_WORDS
                else next(
                    (i for i in range(len(words) - 1) if _looks_like_name(words[i : i + 4])), None
                )
            )
            if first is None or len(words) - first < 2:
                continue
            name = " ".join(words[first : first + 4])
            if fold(name) in PROVINCES:  # "Lâm Đồng": Lâm is also a family name
                continue
            at = run[first].start()
            if first:  # "Ông Lê Quang Toản": the title is the run's first word
                title = words[first - 1] if words[first - 1] in _TITLES else ""
            found.append(Person(passage, sentence, _clause_around(sentence, at), name,
                                title[:1].upper() + title[1:], at))  # fmt: skip
        out.extend(_own_parts(sentence, found))
    return out


# Family names as written (with diacritics: "Trưởng" is an office, "Trương" a name).
_SURNAMES = set(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương "
    "Trịnh Trương Lâm Phùng Mai Tô Hà Lương Đinh Tạ Cao Lưu Kiều Chu Quách Thái Đàm Lò Nông "
    "Hứa Triệu Y Rah Ksor Siu Rơ Kpă Lù Sùng Giàng Vi Lạc Tống Thạch Lục Hầu Mạc Khổng La Âu "
    "Doãn Kim Từ Ninh Diệp Thân Quan Khúc Văn Nay Rcom Puih Nie Hồ".split()
)


def _looks_like_name(run: list[str]) -> bool:
    """A Vietnamese personal name: a family name first, 2-4 words."""
    return 2 <= len(run) <= 4 and run[0] in _SURNAMES


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


def holds_roles(text: str, roles: set[str] | frozenset[str]) -> bool:
    """`text` names every office in `roles`, and not as a deputy's unless asked so."""
    folded = f" {' '.join(tokens(text))} "
    for role in roles:
        if f" {role} " not in folded:
            return False
        # every mention is "Phó …" (the deputy, not the office asked for) or "của …" (the
        # office something is from: "trao Giấy khen của Giám đốc Công an tỉnh")
        others = folded.count(f" cua {role} ")
        # ... or several holders ("trao quyết định bố trí 23 Giám đốc công an tỉnh mới",
        # "các Giám đốc"): offices counted, not one person's own
        others += len(re.findall(rf" (?:\d+|cac|nhung) {role} ", folded))
        if not role.startswith("pho "):
            others += folded.count(f" pho {role} ")
        # ... or the end of another office ("Bộ trưởng", "Hiệu trưởng" are not "Trưởng")
        others += sum(folded.count(f" {o} ") for o in _LONGER.get(role, ()))
        if folded.count(f" {role} ") <= others:
            return False
    return True


def office_place(person: Person, roles, known=()) -> str | None:
    """The place of the office the clause gives this person ("Trưởng Công an xã Ia Pal (H.
    Chư Sê)" -> "ia pal"): the first place named within a few words after the office; ""
    for a generic one ("Giám đốc Công an tỉnh"); None when none is named."""
    folded = fold(person.offices)
    for role in roles:
        m = re.search(rf"\b{role}\b", folded)
        if not m:
            continue
        for place in read_places(person.clause[m.end() :], known):
            if place.start <= 25:
                return place.name
            break
    return None


def part_asked(question: str) -> str:
    """What the question asks the person did ("chu tri" for "Ai chủ trì hội nghị?")."""
    folded = f" {' '.join(tokens(question))} "
    return next((p for p in PARTS if f" {p} " in folded), "")


def does(person: Person, part: str) -> bool:
    """The clause says this person did `part` (chủ trì, dự, …), right after the name and
    its offices, before the next person is named."""
    if not part:
        return True
    rest = person.sentence[person.at :]
    name_end = len(person.name)
    nxt = [run[0].start() for run in _capital_runs(rest[name_end:])
           if _looks_like_name([m.group() for m in run])]  # fmt: skip
    span = rest[: name_end + nxt[0]] if nxt else rest
    return f" {part} " in f" {' '.join(tokens(span))} "


# Words after an office that say where it is, not which body it heads ("Giám đốc tỉnh").
_WHERE_WORDS = {"tinh", "huyen", "xa", "phuong", "thanh", "thi", "tp", "tx", "quan", "o", "tai",
                "cua", "nam", "hien", "moi", "la", "duoc", "nao", "dang", "nhiem"}  # fmt: skip


def _body_after(text: str, role: str) -> list[str]:
    """The folded, expanded words naming the body an office heads, right after the office
    ("Giám đốc Sở Giao thông Vận tải" -> ["so", "giao", ...]); [] when none is written."""
    from assistant.lexicon import expand

    words = expand(tokens(text))
    role_words_ = role.split()
    n = len(role_words_)
    for i in range(len(words) - n + 1):
        if words[i : i + n] == role_words_:
            return words[i + n : i + n + 3]
    return []


def same_body(question: str, clause: str, roles) -> bool:
    """The office the clause gives is of the body the question names: "Giám đốc Công an
    tỉnh" is not "Giám đốc Sở Giao thông Vận tải". Where the question names no body
    after the office ("Chủ tịch tỉnh"), any body will do."""
    for role in roles:
        asked = _body_after(question, role)
        if not asked or asked[0] in _WHERE_WORDS:
            continue
        written = _body_after(clause, role)
        if written and written[0] not in _WHERE_WORDS and written[0] != asked[0]:
            return False
    return True
