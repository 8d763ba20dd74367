"""The question, read once: what is asked, about which place and period, in what words.

`read_query` turns the (standalone, Vietnamese) question into a `Query` that retrieval,
the prompt, the checks and the refusal all use, so no later step re-interprets the raw
string. Kinds of question: figure ("bao nhiêu"), person ("ai"), rank ("cấp bậc gì"), date
("ngày nào"), place ("ở đâu", "xã nào") and other; flags for changes ("tăng/giảm bao
nhiêu"), rates ("tỷ lệ") and comparisons ("nơi nào nhiều hơn").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.lexicon import expand
from assistant.places import read_places
from assistant.scope import Period, dates_in, read_periods, relative_base
from assistant.text import STOPWORDS, fold, looks_english, tokens

_HOW_MANY = re.compile(
    r"\b(?:bao nhieu|how many|how much|so luong|what (?:is|was) the number of)\b"
)
_WHO = re.compile(r"\b(?:ai|who|whom|nguoi nao|ong nao|ba nao|dong chi nao|vi nao)\b")
# a day asked, not a month or year ("tháng nào", "khi nào" may be answered by a month)
_DAY_WORDS = r"ngay nao|hom nao|ngay may|what date|which day|what day"
_DAY_ASKED = re.compile(rf"\b(?:{_DAY_WORDS})\b")
_WHEN = re.compile(
    rf"\b(?:{_DAY_WORDS}|khi nao|bao gio|luc nao|thoi gian nao|thoi diem nao|thang nao|nam nao|"
    r"when)\b"
)
# "phường nào", "which district": a place of that level is asked by name
_NAMED_LEVEL = re.compile(
    r"\b(?:(xa|phuong|huyen|tinh|quan|thi xa|thi tran|thanh pho|dia phuong) nao"
    r"|which (district|province|commune|ward|city))\b"
)
# the level each Vietnamese word asks ("địa phương nào", English: not checked)
_LEVEL_ASKED = {
    "xa": "commune", "phuong": "commune", "thi tran": "commune", "huyen": "district",
    "quan": "district", "thi xa": "town", "tinh": "province", "thanh pho": "city",
}  # fmt: skip
_WHERE = re.compile(rf"\b(?:o dau|tai dau|noi nao|dia ban nao|where|which (?:locality|place))\b|"
                    rf"{_NAMED_LEVEL.pattern}")  # fmt: skip
# the name is asked ("tên là gì", "họ tên"): of a person where an office is asked
_NAME_ASKED = re.compile(r"\b(?:ten (?:la )?gi|ho (?:va )?ten|ten day du|(?:what|whose) name)\b")
_RANK = re.compile(r"\b(?:cap bac|quan ham|cap ham|ham gi|what rank|which rank)\b")
_COMPARE = re.compile(r"\b(?:nhieu|it|cao|thap|lon|nho)\b.*\bhon\b|\bso sanh\b|"
                      r"\bso voi\b.*\b(?:the nao|ra sao)\b|"
                      r"\b(?:more|fewer|less|higher|lower|larger|smaller)\b|\bcompare")  # fmt: skip
# Matched on the lowercase text with its diacritics where it has them ("giảm" is not
# "giám đốc"), else on the folded text.
_DELTA = re.compile(r"\b(?:tăng|giảm|chênh lệch|thay đổi|increase|decrease|change|rise|fall|"
                    r"drop)\b(?! trưởng| cường)")  # fmt: skip
# without diacritics "tang" is also "tặng" (to award: "tặng giấy khen", "tặng quà cho") and
# "tăng cường" (to step up) counts no change
_DELTA_FOLDED = re.compile(r"\b(?:tang|giam|chenh lech|thay doi)\b(?! truong| doc| sat| thi"
                           r"| cuong| giay| bang| qua| thuong| danh| ky niem"
                           r"| hoa| cho)")  # fmt: skip
_PERCENT = re.compile(r"\b(?:ty le|phan tram|percent|percentage|rate)\b|%")
# Words that end what "bao nhiêu" counts: prepositions, verbs, places and times (with
# diacritics: "tai" of "tai nạn" is not "tại"; without, for questions typed without them).
_COUNTED_STOP = set(
    "ở tại vào trong trên đến năm được đã có là thì và như khi so với từ ngày tháng "
    "quý o vao trong tren den duoc da co la thi va khi tu ngay thang quy "
    "in at of for during by from were was are is did do does have has had been "
    "that which with".split()
)
# Question words: not evidence of what a paragraph is about.
_QUESTION_WORDS = set(
    "bao nhieu ai nao gi dau khi luc may sao the nhu how many much what which who whom when "
    "where why hay hoac tang giam hon".split()
)


@dataclass(frozen=True)
class Query:
    text: str  # the question as answered: standalone, in Vietnamese when asked in English
    asked: str  # what the user typed
    english: bool
    wants: str  # figure, person, rank, date, place, other
    counted: tuple[str, ...] = ()  # what "bao nhiêu" counts, folded and expanded
    words: frozenset[str] = frozenset()  # content words (no places, periods, question words)
    places: tuple[str, ...] = ()  # the place(s) asked about, folded: "huyện A (tỉnh B)" -> A
    area: tuple[str, ...] = ()  # places named only to locate those: B
    levels: tuple[str, ...] = ()  # the level of each asked place as written ("TP." -> city)
    period: Period | None = None
    periods: tuple[Period, ...] = ()  # every period it names ("năm 2023 và năm 2025")
    versus: Period | None = None  # what it compares with: "so với năm 2022"
    names: tuple[str, ...] = ()  # other names: people, units, campaigns (folded)
    delta: bool = False  # asks how much something changed
    percent: bool = False  # asks for a rate
    compare: bool = False  # compares two subjects
    roles: frozenset[str] = field(default_factory=frozenset)  # offices asked for
    codes: tuple[str, ...] = ()  # identifiers: "chuyên án 825C", "Nghị quyết 202/2025"
    topic: tuple[str, ...] = ()  # what is measured, written before "bao nhiêu" ("tổng thu
    #                              ngân sách … đạt bao nhiêu"), folded and expanded
    # how a figure's period may relate to the asked one: "flow" (counted over the period:
    # it must be that period), "stock" ("có bao nhiêu": a count on a day inside it will
    # do), "event" ("bão số 9 năm 2020": the year only locates the event)
    measure: str = "flow"
    shift: int = 0  # "năm sau đó" (+1), "năm trước đó" (-1): relative to the last question
    # one case is asked about ("Vụ cháy căn nhà … ở phường Bắc Hà gây thiệt hại bao nhiêu?"):
    # its places say where it happened, not whose total is asked
    incident: bool = False
    also: tuple[tuple[str, ...], ...] = ()  # more counted in one question: "…, bắt bao nhiêu
    #                                          đối tượng?"
    prior: tuple[str, ...] = ()  # a follow-up: the figures the answer before it gave
    named_level: bool = False  # "phường nào": the answer must name a place the question does not
    asked_level: str = ""  # the level that place is asked at ("phường nào": commune)
    days: frozenset[tuple[int, int]] = frozenset()  # days written: "sáng 4/1/2024" -> (4, 1)
    asks_day: bool = False  # "ngày nào", "hôm nào": the answer must give a day

    @property
    def subjects(self) -> tuple[str, ...]:
        """What the question is about: its places, else its other names."""
        return self.places or self.names


_COUNTED_AT = (
    re.compile(r"\b(?:bao nhieu|how many|how much|so luong)\b"),
    # "nơi nào có nhiều mắt camera hơn", "so sánh số vụ …", "Số người chết … là bao nhiêu"
    re.compile(r"\b(?:nhieu|it|cao|thap|lon|nho) (?=\w+(?: \w+){0,6} hon\b)"),
    re.compile(r"\bso sanh (?:so |so luong |ty le )?"),
    re.compile(r"\b(?:tong so|so luong|so)\s(?!voi\b|sanh\b|lieu\b|hoa\b|\d)"),
)
# "hội nghị tổng kết năm 2023" reviews the year: that year is the period counted; folded
# "bao" is "bão" (a storm), not "báo cáo", "bảo vệ"
_EVENT = re.compile(
    r"\b(?:bao(?! cao| ve| dam| chi| tin)|lu|lu quet|mua lu|sat lo|chay|chay rung|chuyen an|"
    r"festival|le hoi|ngay hoi|hoi nghi(?! (?:tong|so) ket)|dai hoi|hoi thi|trien lam|dot|"
    r"ky thi|giai)\b"
)
# "thu giữ bao nhiêu … trong vụ án / chuyên án …": counted in one case the year only locates
_IN_CASE = re.compile(r"\b(?:trong|tai|qua) (?:vu an|chuyen an|vu viec)\b")
# "vụ" counted ("bao nhiêu vụ", "số vụ", "các vụ") or asked ("vụ nào") is no one case
_NOT_ONE_CASE = {"so", "cac", "nhung", "nhieu", "may", "tong", "moi", "bao"}
_ASK = re.compile(r"\b(?:bao nhieu|may|how many|how much|ai|nao|gi|khi nao)\b")


def _incident(folded: str) -> bool:
    """The question is about one case ("Vụ trộm tại …", "Trong vụ triệt xóa …, bắt bao
    nhiêu người?"): a "vụ" written before what is asked, not counted nor asked itself."""
    ask = _ASK.search(folded)
    words = folded[: ask.start() if ask else len(folded)].split()
    return any(
        (w == "vu" or (w == "chuyen" and words[i + 1 : i + 2] == ["an"]))
        and (i == 0 or not (words[i - 1] in _NOT_ONE_CASE or words[i - 1].isdigit()))
        and i + 1 < len(words)
        and words[i + 1] not in ("viec", "nao")
        for i, w in enumerate(words)
    )


_STOCK = re.compile(r"\b(?:hien co|co tong cong|co tong so|co bao nhieu|tong so|con bao nhieu)\b")


def _counted(text: str) -> tuple[str, ...]:
    """What the question counts: the words after "bao nhiêu" (or "nhiều … hơn", "so sánh",
    a leading "số …") up to a preposition or verb, folded and expanded."""
    lower = text.lower()
    folded = fold(lower)  # fold keeps offsets: one letter per letter
    # a cause ("chết vì TNGT") is not what is counted; "do" is ambiguous without diacritics
    stop = _COUNTED_STOP | ({"vì", "bởi", "do"} if folded != lower else {"boi"})
    # "số" (a number of), not "sơ" of "sơ bộ", when the diacritics are typed
    found = [m for pattern in _COUNTED_AT for m in pattern.finditer(folded)
             if pattern is not _COUNTED_AT[-1] or folded == lower
             or "số" in lower[m.start() : m.end()]]  # fmt: skip
    found += list(re.finditer(r"\bmấy\b|\bmay\b(?= (?:vu|nguoi|doi tuong|truong hop|ho|lan|luot))",
                              lower if folded != lower else folded))  # fmt: skip
    for m in found:
        words = []
        said = re.split(r"[,;?.!]", lower[m.end() :])[0]
        # "vụ án liên quan đến tín dụng đen" counts "vụ … tín dụng đen": what it relates to
        said = re.sub(r"\b(?:có |co )?(?:liên|lien) quan (?:đến|den|tới|toi)\s", "", said)
        # "người chết và mất tích": both outcomes counted together
        said = re.sub(r"\b(?:và|va)\s+(?=(?:bị |bi )?(?:mất tích|mat tich|thương|thuong|chết|chet|"
                      r"tử vong|tu vong)\b)", "", said)  # fmt: skip
        for w in re.findall(r"[\w%]+", said):
            if w in stop or w.isdigit() or len(words) == 8 or fold(w) == "hon":
                break
            words.append(w)
        counted = tuple(expand(tokens(" ".join(words))))
        if counted:  # ("bao nhiêu %" counts no word)
            # "làm chết bao nhiêu người", "sơ tán bao nhiêu người": for people, the verb
            # written before says which ones are counted
            preceding = tokens(lower[: m.start()])
            before = [w for w in expand(preceding[-2:]) if w not in STOPWORDS]
            if preceding[-1:] == ["co"]:
                before = []  # "(… 11 giờ ngày 11/9) có bao nhiêu người chết": they exist
            if counted[0] in ("nguoi", "ho"):
                outcome = [w for w in before if w not in _VERBS and not w.isdigit()]
            else:
                outcome = [w for w in before if w in _OUTCOMES]
            return counted + tuple(w for w in outcome if w not in counted)
    return ()


_OUTCOMES = {"chet", "thuong", "tich"}  # killed, injured, missing (folded, expanded)


_TOPIC_STOP = set(
    "của ở tại và các những trong có là được đã thì cho với đến từ trên về này đó khi như mà "
    "để số theo riêng còn bao nhiêu mấy how many much what which who the a an of in on at to "
    "for by with did does do is are was were".split()
)


def _topic(masked: str) -> tuple[str, ...]:
    """Content words written before "bao nhiêu" (the text without its places and periods),
    without the verb right before it ("đạt", "là", "được", "có"). Read with diacritics:
    "bão" (a storm) is not "bao" of "bao nhiêu"."""
    lower = masked.lower()
    m = re.search(r"\b(?:bao nhiêu|bao nhieu|how many|how much)\b", lower)
    if not m:
        return ()
    head = re.sub(r"\bso với(?: cùng kỳ)?|\bso voi(?: cung ky)?|\bcùng kỳ|\bcung ky", " ",
                  lower[: m.start()])  # fmt: skip
    stop = _TOPIC_STOP if fold(lower) != lower else _TOPIC_STOP | STOPWORDS  # no diacritics
    words = [w for w in re.findall(r"\w+", head) if w not in stop and not w.isdigit()]
    words = expand(tokens(" ".join(words)))
    while words and words[-1] in _VERBS:
        words.pop()
    return tuple(words)


_VERBS = set("dat la duoc co chiem khoang uoc tang giam thu lam gay len toi xay ra".split())
# Joining words between places asked about together: "Gia Lai và Kon Tum", "A hay B"
# levels finer than each (a district is in a province)
_BROADER = {"province": {"district", "city", "town", "commune"}, "city": {"commune"},
            "district": {"commune"}, "town": {"commune"}}  # fmt: skip
# "A và B", "A và ở B", "A với tỉnh B"? (the second place's own preposition kept)
_JOINED = re.compile(r"^\W*(?:va|hay|hoac|voi|so voi|,|and|or)(?:\W+(?:o|tai|cua|in|at))?\W*$")


def read_query(
    text: str,
    asked: str | None = None,
    known_places: Iterable[str] = (),
    names: Iterable[str] = (),
    roles: Iterable[str] = (),
) -> Query:
    """Read `text` (a standalone question in Vietnamese, or English when no translation
    exists). `known_places`: folded place names of the articles (so "gia lai", typed in
    lower case, is a place); `names`: the question's proper names found by the caller."""
    folded = " ".join(tokens(text))
    if _RANK.search(folded):
        wants = "rank"
    elif _HOW_MANY.search(folded) or re.search(
        r"\bla bao nhieu\b|\bmay (?:vu|nguoi)\b|mấy", f"{folded} {text.lower()}"
    ):
        wants = "figure"
    elif _WHEN.search(folded):
        wants = "date"
    elif _WHO.search(folded):
        wants = "person"
    elif _WHERE.search(folded):
        wants = "place"
    else:
        wants = "other"
    compare_words = _COMPARE
    compare = bool(_COMPARE.search(folded))
    places: list[str] = []
    levels: list[str] = []
    area: list[str] = []
    area_levels: list[str] = []
    masked = list(text)  # the text without its places and periods: what it asks about
    last_end = None
    for p in read_places(text, known_places, any_case=True):
        masked[p.start : p.end] = " " * (p.end - p.start)
        if not p.name or p.name in places or p.name in area:
            continue
        # a place joined to the last by "và/hay" is asked about too; one after it in any
        # other way ("huyện A (tỉnh B)", "A, tỉnh B") only says where A is
        joined = last_end is not None and _JOINED.match(fold(text[last_end : p.start]))
        if (
            not places
            or (joined and compare_words.search(folded))
            or (joined and not re.search(r"[(,]", text[last_end : p.start]))
        ):
            places.append(p.name)
            levels.append(p.level)
        else:
            area.append(p.name)
            area_levels.append(p.level)
        last_end = p.end
    # "Đợt mưa lũ ở Quảng Bình, … huyện Lệ Thủy có bao nhiêu nhà bị ngập": one place and,
    # not joined to it, a more specific one: the specific one is asked, the other says where
    if len(places) == 1 and area and levels[0] in _BROADER:
        finer = [i for i, lv in enumerate(area_levels) if lv in _BROADER[levels[0]]]
        if finer:
            i = finer[0]
            places, levels, area[i], area_levels[i] = (
                [area[i]],
                [area_levels[i]],
                places[0],
                levels[0],
            )
    mentions = read_periods(text)
    for m in mentions:
        masked[m.start : m.end] = " " * (m.end - m.start)
    # "năm sau đó", "năm trước đó": a year relative to the question before (a follow-up)
    relative = re.search(r"\b(?:nam|ky) (sau|ke tiep|tiep theo|truoc)(?: do)?\b", folded)
    shift = 0 if not relative else (-1 if relative.group(1) == "truoc" else 1)
    periods = [m for m in mentions if not m.reference and not (shift and m.period.year is None)]
    # "hiện nay", "hiện có": now, i.e. the latest report (a count, not a period to match)
    now = [m for m in periods if m.period.kind == "as_of" and m.period.year is None]
    periods = [m for m in periods if m not in now]
    # a day written to say which meeting or report ("hội nghị chiều 11/1/2024") does not
    # scope a figure when a period is also asked ("năm 2023")
    if any(m.period.kind != "day" for m in periods):
        periods = [m for m in periods if m.period.kind != "day"]
    period = periods[0].period if periods else None
    counted = _counted("".join(masked))  # what is counted, without its place and period
    # "phát hiện bao nhiêu vụ …, bắt bao nhiêu đối tượng?": each part's own counted
    parts = re.split(r"(?=,[^,]*\b(?:bao nhi[eê]u|mấy|may(?= (?:vu|nguoi|ho|lan|luot)\b))\b)",
                     "".join(masked))  # fmt: skip
    also = tuple(c for c in (_counted(part) for part in parts[1:]) if c and c != counted)
    if (_PERCENT.search(folded) and wants == "other") or (compare and counted):
        wants = "figure"
    if wants == "other" and roles and _NAME_ASKED.search(folded):
        wants = "person"  # "Chủ tịch UBND huyện tên là gì?": the holder of an office
    topic = _topic("".join(masked))
    incident = _incident(folded)
    if _EVENT.search(" ".join(tokens(" ".join(topic)))) or _IN_CASE.search(folded) or incident:
        measure = "event"
    elif _STOCK.search(folded) or now:
        measure = "stock"
    else:
        measure = "flow"
    skip = _QUESTION_WORDS | STOPWORDS
    words = frozenset(
        w for w in expand(tokens("".join(masked))) if w not in skip and not w.isdigit()
    )
    diacritics = fold(text) != text.lower()
    delta = _DELTA.search(text.lower()) if diacritics else _DELTA_FOLDED.search(folded)
    # names that are places or periods ("Quý I") are read as such
    timed = " ".join(" ".join(tokens(text[m.start : m.end])) for m in mentions)
    named = places + area
    other = tuple(n for n in names if n not in named and not any(n in p for p in named)
                  and n not in timed)  # fmt: skip
    level_asked = _NAMED_LEVEL.search(folded)
    asked_level = ""
    if level_asked:
        asked_level = _LEVEL_ASKED.get(level_asked.group(1) or "", "")
    return Query(
        text=text,
        asked=asked or text,
        english=looks_english(asked or text),
        wants=wants,
        named_level=bool(level_asked),
        asked_level=asked_level,
        days=frozenset(dates_in(text)),
        asks_day=bool(_DAY_ASKED.search(folded)),
        counted=counted,
        words=words,
        places=tuple(places),
        area=tuple(area),
        levels=tuple(levels),
        period=period,
        periods=tuple(m.period for m in periods),
        versus=next((m.period for m in mentions if m.reference), None)
        or relative_base(text, period),
        names=other,
        delta=bool(delta),
        percent=bool(_PERCENT.search(folded)),
        compare=compare,
        roles=frozenset(roles),
        codes=tuple(re.findall(r"\b(?=\w*\d\w*\d)(?=\w*[a-z])\w{3,}\b", folded)),
        topic=topic,
        measure=measure,
        shift=shift,
        also=also,
        incident=incident,
    )
