"""Reading scope: periods, places, figures and questions (no models)."""

from documents import paragraph

from assistant.facts import read_figures
from assistant.fitting import candidates, same_series
from assistant.people import role_words
from assistant.places import read_places
from assistant.query import read_query
from assistant.scope import article_month, carried_periods, fits, read_periods
from assistant.types import Passage


def _labels(text, ref=None):
    return [(text[m.start : m.end], m.period.label(), m.reference) for m in read_periods(text, ref)]


def test_periods_are_read_as_written_and_take_their_year_from_the_sentence():
    text = "Báo cáo tai nạn tháng 8 và 8 tháng đầu năm 2022 (tăng 3 vụ so với cùng kỳ năm 2021)."
    assert _labels(text) == [
        ("tháng 8", "tháng 8/2022", False),
        ("8 tháng đầu năm 2022", "8 tháng đầu năm 2022", False),
        ("năm 2021", "năm 2021", True),  # what the figure is compared with
    ]


def test_periods_without_a_year_count_from_the_article_date():
    text = "Ba tháng cuối năm, 8 tháng qua, từ đầu năm đến nay, hiện có, năm qua, quý III"
    labels = [label for _, label, _ in _labels(text, (2024, 10))]
    assert labels == ["3 tháng cuối năm 2024", "8 tháng đầu năm 2024",
                      "từ đầu năm 2024 đến tháng 10", "tháng 10/2024", "năm 2024",
                      "quý III/2024"]  # fmt: skip
    # "năm qua" in a January review is the year just ended
    assert _labels("Trong năm qua, toàn huyện", (2025, 1))[0][1] == "năm 2024"


def test_ranges_school_years_and_ratios():
    text = "Giai đoạn 2020-2021 có 5 vụ; năm học 2023-2024 có 9/17 huyện; Nghị quyết 12/2025/QH15"
    assert [label for _, label, _ in _labels(text)] == [
        "giai đoạn 2020-2021",
        "năm học 2023-2024",
    ]
    written_after = "2025-2026 là năm học đầu tiên của mô hình mới; giai đoạn 2021-2025"
    assert [label for _, label, _ in _labels(written_after)] == [
        "năm học 2025-2026",
        "giai đoạn 2021-2025",
    ]


def test_how_a_figure_period_fits_the_asked_one():
    (year,) = [m.period for m in read_periods("năm 2023")]
    (half,) = [m.period for m in read_periods("6 tháng đầu năm 2023")]
    (day,) = [m.period for m in read_periods("ngày 14/3/2023")]
    (span,) = [m.period for m in read_periods("giai đoạn 2022-2023")]
    assert fits(year, year) == 3 and fits(half, half) == 3
    assert fits(year, half) == 0 and fits(half, year) == 0  # a part is not the whole
    assert fits(year, span) == 0  # nor is a two-year total
    # a day inside the year: a count on that day ("có 420 camera") or an event the year
    # locates ("bão số 9 năm 2020"), but not what was counted over the year
    assert fits(year, day, measure="stock") == 2 and fits(year, day, measure="event") == 2
    assert fits(year, day) == 0
    assert fits(year, None, (2024, 1)) == 1  # a review published after the year ended
    assert fits(year, None, (2023, 7)) == 0  # published before the year was over
    assert fits(year, None, (2023, 7), "event") == 2  # an event reported in that year
    assert fits(year, None, None) == 0  # nothing says when
    assert fits(None, half) == 3


def test_article_month_from_a_dateline_without_a_year():
    lead = "Sáng 27/12, Công an tỉnh tổ chức hội nghị tổng kết công tác năm 2024 và triển khai "
    assert article_month(lead + "nhiệm vụ năm 2025.") == (2024, 12)
    assert article_month(lead.replace("27/12", "9/1") + "nhiệm vụ năm 2025.") == (2025, 1)
    assert article_month("Chiều 5/6/2023, tại hội trường huyện") == (2023, 6)
    assert article_month("Công an huyện vừa bắt giữ hai đối tượng") is None


def test_a_period_carries_into_the_next_paragraphs():
    lead = "Tổng kết công tác năm 2023 và triển khai nhiệm vụ năm 2024"
    paragraphs = [
        lead,
        "Trong 9 tháng đầu năm, toàn tỉnh xảy ra 40 vụ.",
        "Trong đó, huyện A 12 vụ.",
    ]
    assert carried_periods(lead, paragraphs, (2023, 10)) == ["năm 2023", "năm 2023",
                                                             "9 tháng đầu năm"]  # fmt: skip


def test_places_after_administrative_words_in_lists_and_generic():
    text = (
        "Chủ tịch UBND TP. Hòa Mỹ Trần Văn Bảy cho biết toàn tỉnh có 40 vụ; H. Ia Lốp "
        "(12 vụ), Krông Tre (9 vụ), xã Ea Lam (3 vụ). Nguyễn Văn Tư (35 tuổi) bị bắt."
    )
    found = [(p.name, p.level) for p in read_places(text)]
    assert found == [("hoa my", "city"), ("", "province"), ("ia lop", "district"),
                     ("krong tre", ""), ("ea lam", "commune")]  # fmt: skip
    assert [p.name for p in read_places("gia lai va hoa my", {"hoa my"}, any_case=True)] == [
        "gia lai",
        "hoa my",
    ]


ARTICLE = Passage(
    id="p1", article="a.txt", title="Tai nạn giao thông 9 tháng", date="2024-10", paragraph=3,
    start=0, end=0, text="",
    paragraph_text=(
        "Trong tháng 9, toàn tỉnh xảy ra 11 vụ tai nạn giao thông, làm chết 6 người. "
        "Tính chung 9 tháng đầu năm, toàn tỉnh xảy ra 95 vụ tai nạn giao thông, làm chết 51 "
        "người, bị thương 60 người; so với cùng kỳ năm 2023 giảm 7 vụ (6,9%), tăng 3 người "
        "chết. Trong đó, TP. Hòa Mỹ 30 vụ, H. Ia Lốp 14 vụ."
    ),
    context="Tai nạn giao thông 9 tháng. Ban An toàn giao thông tỉnh Lam Sơn báo cáo.",
    carried="9 tháng đầu năm 2024",
)  # fmt: skip


def _best(question, passages=(ARTICLE,)):
    figures = [f for p in passages for f in read_figures(p, {"lam son"})]
    query = read_query(question, known_places={"lam son", "hoa my", "ia lop"})
    ranked = candidates(query, figures)
    return ranked[0][1].value if ranked else None


def test_the_figure_for_the_asked_period_place_and_thing():
    assert _best("9 tháng đầu năm 2024, tỉnh Lam Sơn có bao nhiêu vụ tai nạn giao thông?") == "95"
    assert _best("Tháng 9/2024 Lam Sơn xảy ra bao nhiêu vụ TNGT?") == "11"
    assert _best("9 tháng đầu năm 2024, TNGT ở Lam Sơn làm chết bao nhiêu người?") == "51"
    assert _best("9 tháng đầu năm 2024, huyện Ia Lốp có bao nhiêu vụ TNGT?") == "14"
    assert _best("Số vụ TNGT 9 tháng đầu năm 2024 ở Lam Sơn giảm bao nhiêu?") == "7"
    # nothing for another year, or for a district the paragraph does not break down
    assert _best("Năm 2024 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?") is None
    assert _best("9 tháng đầu năm 2024, xã Ea Lam có bao nhiêu vụ TNGT?") is None
    assert _best("9 tháng đầu năm 2024, Lam Sơn có bao nhiêu vụ cháy?") is None


def test_questions_are_read_once_into_what_they_ask():
    q = read_query("Trong 6 tháng đầu năm 2023, TNGT ở TP. Hòa Mỹ làm chết bao nhiêu người?",
                   known_places={"hoa my"})  # fmt: skip
    assert (q.wants, q.counted, q.places) == ("figure", ("nguoi", "chet"), ("hoa my",))
    assert q.period.label() == "6 tháng đầu năm 2023" and not q.delta
    assert {"chet", "tai", "nan", "giao", "thong"} - {"tai"} <= q.words | {"tai"}
    assert read_query("Ai là Giám đốc Công an tỉnh Lam Sơn?").delta is False  # not "giảm"
    assert read_query("so vu tai nan giam bao nhieu").delta is True
    assert read_query("Hội nghị diễn ra ngày nào?").wants == "date"
    assert read_query("Ông ấy mang cấp bậc gì?").wants == "rank"
    # a name asked of an office is a person; of anything else it is not
    office = "Chủ tịch UBND huyện Hòa Mỹ tên là gì?"
    assert read_query(office, roles=role_words(office)).wants == "person"
    assert read_query("Chuyên án này tên là gì?").wants == "other"


def _allowed(question, passages=(ARTICLE,)):
    """The figures of the paragraphs that nothing written rules out for the question."""
    from assistant.fitting import conflict

    figures = [f for p in passages for f in read_figures(p, {"lam son", "hoa my", "ia lop"})]
    query = read_query(question, known_places={"lam son", "hoa my", "ia lop"})
    return {f.value for f in figures if not conflict(query, f)}


def test_what_is_written_next_to_a_figure_rules_it_out_for_other_questions():
    deaths = _allowed("9 tháng đầu năm 2024, TNGT ở Lam Sơn làm chết bao nhiêu người?")
    assert "51" in deaths and not {"60", "95", "11", "6", "3"} & deaths  # injured, cases,
    # September only, and a change are not the 9 months' deaths
    cases = _allowed("9 tháng đầu năm 2024, tỉnh Lam Sơn có bao nhiêu vụ tai nạn giao thông?")
    assert "95" in cases and not {"11", "30", "14", "7"} & cases  # month, districts, change
    assert "14" in _allowed("9 tháng đầu năm 2024, huyện Ia Lốp có bao nhiêu vụ TNGT?")
    assert not {"95", "30"} & _allowed("9 tháng đầu năm 2024, huyện Ia Lốp có bao nhiêu vụ TNGT?")
    assert "7" in _allowed("Số vụ TNGT 9 tháng đầu năm 2024 ở Lam Sơn giảm bao nhiêu?")
    assert "95" not in _allowed("Số vụ TNGT 9 tháng đầu năm 2024 ở Lam Sơn giảm bao nhiêu?")
    assert not {"95", "11"} & _allowed("Năm 2024 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?")


def test_a_series_over_time_is_found_from_the_figure_answered():
    older = Passage(id="p0", article="b.txt", title="Camera", date="2023-05", paragraph=2,
                    start=0, end=0, text="", context="Camera an ninh tỉnh Lam Sơn.",
                    paragraph_text="Toàn tỉnh hiện có 420 camera an ninh, 12 trạm.")  # fmt: skip
    newer = Passage(id="p2", article="c.txt", title="Camera", date="2024-08", paragraph=4,
                    start=0, end=0, text="", context="Camera an ninh tỉnh Lam Sơn.",
                    paragraph_text="Đến nay toàn tỉnh có hơn 515 camera an ninh.")  # fmt: skip
    query = read_query("Lam Sơn có bao nhiêu camera an ninh?", known_places={"lam son"})
    figures = [f for p in (older, newer) for f in read_figures(p)]
    anchor = next(f for f in figures if f.value == "420")
    series = same_series(query, anchor, figures)
    assert [f.value for f in series] == ["515", "420"]
    assert series[0].phrase == "hơn 515 camera an ninh"
    dated = read_query("Năm 2023 Lam Sơn có bao nhiêu camera an ninh?", known_places={"lam son"})
    assert same_series(dated, anchor, figures) is None


def test_an_office_of_another_body_is_not_the_one_asked():
    from assistant.people import same_body

    asked = "Ai là Giám đốc Công an tỉnh Kon Tum?"
    assert not same_body(asked, "Ông Phan Mười, Giám đốc Sở Giao thông Vận tải", {"giam doc"})
    assert same_body(asked, "Đại tá Trần Văn Khải, Giám đốc Công an tỉnh", {"giam doc"})
    assert same_body("Ai là Chủ tịch UBND tỉnh?", "ông A, Chủ tịch Ủy ban nhân dân tỉnh",
                     {"chu tich"})  # fmt: skip
    assert same_body("Ai là chủ tịch tỉnh?", "ông A, Chủ tịch HĐND tỉnh", {"chu tich"})


def test_an_office_something_is_from_is_not_the_office_of_who_hands_it_over():
    from assistant.people import holds_roles

    clause = "Đại tá Lê Văn A trao Giấy khen của Giám đốc Công an tỉnh cho 10 tập thể"
    assert not holds_roles(clause, {"giam doc"})
    assert holds_roles("Đại tá Lê Văn A, Giám đốc Công an tỉnh, trao giấy khen", {"giam doc"})


def test_tang_without_diacritics_is_a_change_only_when_it_counts_one():
    assert not read_query("tp hoa my tang giay khen cho bao nhieu tap the").delta
    assert read_query("so vu tngt nam 2024 tang bao nhieu so voi nam 2023").delta
    assert not read_query("Công an tăng cường bao nhiêu tổ tuần tra?").delta


def test_a_figure_whose_neighbour_names_more_of_what_is_asked_is_outdone():
    from assistant.fitting import outdone

    p = Passage(id="p1", article="a.txt", title="Tin báo", date="2022-03", paragraph=2,
                start=0, end=0, text="", context="Công an TP. Hòa Mỹ tổng kết năm 2021.",
                paragraph_text="Năm 2021, Công an thành phố nhận được hơn 507 tin báo tố "
                "giác tội phạm, trong đó có hơn 346 tin có giá trị giúp điều tra.")  # fmt: skip
    figures = read_figures(p)
    total, valuable = (next(f for f in figures if f.value == v) for v in ("507", "346"))
    asked = read_query("Năm 2021 Hòa Mỹ nhận được bao nhiêu tin báo có giá trị?")
    assert outdone(asked, total, figures) and not outdone(asked, valuable, figures)
    plain = read_query("Năm 2021 Hòa Mỹ nhận được bao nhiêu tin báo tố giác tội phạm?")
    assert not outdone(plain, total, figures)


def test_a_place_typed_in_lower_case_keeps_the_level_written_before_it():
    q = read_query("tp cao bang tang giay khen cho bao nhieu tap the", known_places={"cao bang"})
    assert (q.places, q.levels) == (("cao bang",), ("city",))


def _paragraph(text: str, date: str = "2024-01") -> Passage:
    return paragraph(text, context="Công an tỉnh Hòa Mỹ tổng kết năm 2023.", date=date)


def _figures(text: str, *values: str, date: str = "2024-01"):
    """The figures read from a paragraph of `text`, and those of `values` in that order."""
    figures = read_figures(_paragraph(text, date))
    return figures, *(next(f for f in figures if f.value == v) for v in values)


def test_figures_told_apart_by_their_words_answer_only_their_own_question():
    from assistant.fitting import outdone

    figures = read_figures(_paragraph("Sau bão, Hòa Mỹ có 31 ngôi nhà sập, 1.208 ngôi nhà "
                                      "tốc mái, hai tàu cá bị chìm."))  # fmt: skip
    fallen, roofs = (next(f for f in figures if f.value == v) for v in ("31", "1208"))
    asked = read_query("Bão làm bao nhiêu ngôi nhà ở Hòa Mỹ bị tốc mái?")
    assert outdone(asked, fallen, figures) and not outdone(asked, roofs, figures)
    asked = read_query("Bão làm bao nhiêu ngôi nhà ở Hòa Mỹ bị sập?")
    assert outdone(asked, roofs, figures) and not outdone(asked, fallen, figures)
    # neither named: the model reads, nothing is ruled out
    assert not outdone(read_query("Bao nhiêu ngôi nhà ở Hòa Mỹ bị hư hại?"), fallen, figures)


def test_a_change_listed_in_parentheses_does_not_make_the_total_after_them_a_change():
    figures = read_figures(
        _paragraph(
            "Công an phát hiện 97 vụ, 140 đối tượng phạm tội về kinh tế (so với năm 2022, ít "
            "hơn 6 vụ, nhiều hơn 9 đối tượng) và 1.310 vụ với 1.604 đối tượng sử dụng ma túy."
        )
    )
    roles = {f.value: f.role for f in figures}
    assert (roles["6"], roles["9"]) == ("delta", "delta")
    assert (roles["1310"], roles["1604"]) == ("count", "count")


def test_a_follow_up_for_what_goes_with_the_figure_given_takes_the_one_paired_with_it():
    from dataclasses import replace

    from assistant.fitting import outdone

    figures, first, paired = _figures(
        "Công an phát hiện 97 vụ, 140 đối tượng phạm tội về kinh tế và 1.310 vụ với 1.604 "
        "đối tượng sử dụng trái phép chất ma túy.",
        "140",
        "1604",
    )
    follow_up = replace(read_query("Với bao nhiêu đối tượng?"), prior=("1310",))
    assert outdone(follow_up, first, figures) and not outdone(follow_up, paired, figures)
    # a part of the figure given ("trong đó … vụ") is not paired with it
    part = replace(read_query("Trong đó bao nhiêu vụ?"), prior=("1310",))
    assert not outdone(part, next(f for f in figures if f.value == "97"), figures)


def test_two_periods_set_against_each_other_are_both_asked():
    from assistant.figure_reading import parts_of as _parts

    asked = read_query("Số người chết vì TNGT ở Hòa Mỹ 4 tháng đầu năm 2024 so với 4 tháng "
                       "đầu năm 2021 thế nào?")  # fmt: skip
    assert asked.wants == "figure"
    assert [p.period.label() for p in _parts(asked)] == ["4 tháng đầu năm 2021",
                                                          "4 tháng đầu năm 2024"]  # fmt: skip
    # by how much it changed: one figure (the change), not two
    assert len(_parts(read_query("Số vụ TNGT năm 2024 so với năm 2023 giảm bao nhiêu?"))) == 1


def test_a_review_meeting_counts_over_the_year_it_reviews_but_a_storm_year_only_locates():
    review = read_query("Số vụ phạm pháp hình sự được Công an tỉnh báo cáo tại hội nghị tổng "
                        "kết năm 2023 là bao nhiêu?")  # fmt: skip
    assert review.measure == "flow"  # a six-month figure does not answer it
    assert read_query("Bão số 9 năm 2020 làm bao nhiêu người chết?").measure == "event"
    assert read_query("Hội nghị năm 2023 có bao nhiêu đại biểu?").measure == "event"


def test_a_breakdown_without_parentheses_gives_each_place_its_own_figure():
    text = ("Tội phạm tập trung ở thành phố Hòa Mỹ 12 vụ, thị xã Đông Sơn 4 vụ, Tây Hà 9 vụ; "
            "Nam Lĩnh 7 vụ. Dịp Tết Nguyên đán xảy ra 2 vụ.")  # fmt: skip
    assert [p.name for p in read_places(text)] == ["hoa my", "dong son", "tay ha", "nam linh"]
    figures = read_figures(_paragraph(text))
    asked = read_query("Huyện Tây Hà có bao nhiêu vụ phạm pháp?",
                       known_places={"tay ha", "nam linh"})  # fmt: skip
    from assistant.fitting import conflict

    fitting = [f.value for f in figures if not conflict(asked, f)]
    assert "9" in fitting and "7" not in fitting and "12" not in fitting


def test_a_figure_naming_part_of_the_asked_kind_is_a_candidate_its_total_names_the_rest():
    total = _paragraph("Năm 2023, trên địa bàn tỉnh xảy ra 99 vụ tai nạn giao thông, làm chết "
                       "93 người.")  # fmt: skip
    part = Passage(**{**total.__dict__, "paragraph": 3, "follows": total.paragraph_text,
                      "paragraph_text": "Trong đó, có 11 vụ rất nghiêm trọng, 70 vụ nghiêm "
                      "trọng và 6 vụ cháy xe."})  # fmt: skip
    figures = read_figures(part)
    ranked = candidates(read_query("Năm 2023 Hòa Mỹ có bao nhiêu vụ TNGT rất nghiêm trọng?"),
                        figures)  # fmt: skip
    assert ranked[0][1].value == "11"
    assert "6" not in {f.value for _, f in ranked}  # "vụ cháy xe" counts another kind


def test_a_case_the_year_only_locates_and_counters_english_does_not_tell_apart():
    from dataclasses import replace

    from assistant.fitting import conflict

    seized = read_query("Bao nhiêu viên ma túy bị thu giữ trong vụ án của Bộ đội Biên phòng "
                        "năm 2020?")  # fmt: skip
    assert seized.measure == "event"  # one case in March 2020 answers "năm 2020"
    assert read_query("Năm 2023 khởi tố bao nhiêu vụ án?").measure == "flow"
    fines = read_figures(_paragraph("Tháng 2/2024, lực lượng chức năng xử phạt 4.120 trường "
                                    "hợp vi phạm.", "2024-03"))  # fmt: skip
    asked = read_query("Tháng 2/2024 xử phạt bao nhiêu vụ vi phạm?")
    figure = next(f for f in fines if f.value == "4120")
    assert conflict(asked, figure)  # asked in Vietnamese: "vụ" is not "trường hợp"
    translated = replace(asked, english=True)  # "how many cases": either
    assert not conflict(translated, figure)


def test_what_was_done_to_the_counted_things_picks_the_figure_it_is_written_before():
    from assistant.fitting import outdone

    figures, happened, solved = _figures(
        "Năm 2023, toàn tỉnh xảy ra 640 vụ phạm pháp hình sự, giảm 31 vụ so với năm 2022. "
        "Lực lượng Công an đã điều tra, làm rõ 571 vụ với 902 đối tượng.",
        "640",
        "571",
    )
    asked = read_query("Năm 2023 Công an tỉnh Hòa Mỹ điều tra, làm rõ bao nhiêu vụ phạm pháp?")
    assert outdone(asked, happened, figures) and not outdone(asked, solved, figures)
    # an item of a list the act is written before takes that act
    figures, listed = _figures(
        "Công an phát hiện, bắt giữ 97 vụ, 140 đối tượng phạm tội về kinh tế và 1.310 vụ với "
        "1.604 đối tượng sử dụng trái phép chất ma túy.",
        "1310",
    )
    asked = read_query(
        "Năm 2023 Công an tỉnh phát hiện bao nhiêu vụ sử dụng trái phép chất ma túy?"
    )
    assert not outdone(asked, listed, figures)
    # what happened is asked with no act of the police: nothing is ruled out
    plain = read_query("Năm 2023 tỉnh Hòa Mỹ xảy ra bao nhiêu vụ phạm pháp hình sự?")
    assert not outdone(plain, happened, figures)


def test_a_change_against_the_same_period_of_a_year_named_fits_and_the_month_before_not():
    from assistant.fitting import conflict

    _, half, month = _figures(
        "Sáu tháng đầu năm 2025, tội phạm về trật tự xã hội giảm 26,94% so với cùng kỳ năm "
        "2024. Tháng 6, tội phạm giảm 3% so với tháng trước.",
        "26.94",
        "3",
        date="2025-07",
    )
    asked = read_query("Sáu tháng đầu năm 2025 tội phạm giảm bao nhiêu phần trăm so với cùng kỳ?")
    assert not conflict(asked, half)
    asked = read_query("Tháng 6/2025 tội phạm giảm bao nhiêu phần trăm so với cùng kỳ?")
    assert conflict(asked, month)  # against May, not June 2024


def test_a_figure_is_quoted_with_what_it_counts_to_where_those_words_end():
    _, events, cases = _figures(
        "Năm 2023, Công an tỉnh tổ chức 1.390 đợt phát động phong trào toàn dân bảo vệ an ninh "
        "Tổ quốc và tuyên truyền pháp luật; thụ lý 58 vụ phạm pháp hình sự xảy ra trên địa bàn "
        "tỉnh.", "1390", "58")  # fmt: skip
    assert events.phrase == "1.390 đợt phát động phong trào toàn dân bảo vệ an ninh Tổ quốc"
    assert cases.phrase == "58 vụ phạm pháp hình sự xảy ra"


def test_one_period_written_twice_is_not_compared_with_itself():
    from assistant.figure_reading import parts_of as _parts
    from assistant.query import read_query

    twice = read_query("Quý I/2023 (3 tháng đầu năm), Lam Sơn xảy ra bao nhiêu vụ tai nạn?")
    assert len(twice.periods) == 2 and len(_parts(twice)) < 2
    assert len(_parts(read_query("Năm 2022 và năm 2023, Lam Sơn xảy ra bao nhiêu vụ?"))) == 2


def test_what_was_done_is_not_asked_of_another_period_or_of_a_list_of_places():
    from assistant.fitting import outdone

    # the year's "làm chết 132 người" is no rival of November's 14
    figures, deaths = _figures("Năm 2022, toàn tỉnh xảy ra 300 vụ TNGT, làm chết 132 người. Riêng "
                               "tháng 11/2022 xảy ra 23 vụ, làm chết 14 người.", "14",
                               date="2022-12")  # fmt: skip
    asked = read_query("Riêng tháng 11/2022, TNGT ở Lam Sơn làm chết bao nhiêu người?")
    assert not outdone(asked, deaths, figures)
    # "TP. Hòa Mỹ phát hiện 38 vụ, H. Ia Lốp 17 vụ": the district's item takes the list's verb
    figures, district = _figures("Năm 2023, TP. Hòa Mỹ phát hiện 38 vụ, H. Ia Lốp 17 vụ, H. Ea "
                                 "Lam 12 vụ.", "17", date="2023-12")  # fmt: skip
    asked = read_query("Năm 2023 H. Ia Lốp phát hiện bao nhiêu vụ phạm tội về ma túy?")
    assert not outdone(asked, district, figures)


def test_a_list_item_leading_to_another_figure_is_not_the_kind_of_the_ones_before():
    # "tổng số tiền" is the next item of the list (it leads to 1.200 tỷ), not what the 161
    # cases are; a kind listed with commas and no figure after it is one kind
    p = _paragraph(
        "Đấu tranh với tội phạm liên quan đến hoạt động tín dụng đen, khởi tố 161 vụ, 217 "
        "bị can, tổng số tiền cho vay nặng lãi trên 1.200 tỷ đồng. Ngoài ra, khởi tố 232 vụ, "
        "444 bị can phạm tội về kinh tế, tham nhũng, chức vụ."
    )
    unit = {f.value: f.unit for f in read_figures(p)}
    assert unit["161"] == ("vu",)
    assert unit["232"][:1] == ("vu",) and {"kinh", "nhung", "chuc"} <= set(unit["232"])
    # what a case "relates to" is what is counted ("vụ án liên quan đến tín dụng đen")
    query = read_query("Năm 2023 khởi tố bao nhiêu vụ án liên quan đến hoạt động tín dụng đen?")
    assert {"tin", "dung", "den"} <= set(query.counted) and "lien" not in query.counted
    best = candidates(query, read_figures(p))
    assert best and best[0][1].value == "161"


def test_each_person_of_a_list_holds_the_offices_written_after_their_own_name():
    from assistant.people import holds_roles, read_people

    people = read_people(_paragraph(
        "Tham dự hội nghị có ông Trần Văn Lâm, Chủ tịch UBND tỉnh Hòa Mỹ, Thiếu tướng Lê Văn "
        "Bình, Giám đốc Công an tỉnh Hòa Mỹ. Đại tá Ngô Minh Đức - Phó Giám đốc Công an tỉnh "
        "trao bằng khen của Bộ trưởng Bộ Công an. Chủ tịch UBND tỉnh Lê Văn Hải tặng hoa "
        "chúc mừng Giám đốc Công an tỉnh, Đại tá Phạm Quốc Huy. Đến dự có ông Đỗ Văn Tâm, "
        "Chủ tịch UBND TP. Hòa Mỹ và Đại tá Vũ Văn Kha, Giám đốc Công an tỉnh."
    ))  # fmt: skip
    holders = {role: [x.name for x in people if holds_roles(x.offices, {role})]
               for role in ("giam doc", "chu tich", "truong")}  # fmt: skip
    # an office after a verb is of the one the verb is done to, named after it
    assert holders["giam doc"] == ["Lê Văn Bình", "Phạm Quốc Huy", "Vũ Văn Kha"]
    # "A, Chủ tịch … và B, Giám đốc …": the office before "và" is A's
    assert holders["chu tich"] == ["Trần Văn Lâm", "Lê Văn Hải", "Đỗ Văn Tâm"]
    assert holders["truong"] == []  # "Bộ trưởng" is another office than "Trưởng"


def test_what_happened_and_what_was_dealt_with_answer_different_questions():
    from assistant.fitting import outdone

    figures, happened, solved = _figures(
        "Năm 2023, toàn tỉnh ghi nhận xảy ra 956 vụ phạm pháp hình sự. Ngoài ra, Công an "
        "tỉnh đã điều tra khám phá 828 vụ phạm pháp hình sự.", "956", "828"
    )  # fmt: skip
    occurred = read_query("Năm 2023 Hòa Mỹ xảy ra bao nhiêu vụ phạm pháp hình sự?")
    assert outdone(occurred, solved, figures) and not outdone(occurred, happened, figures)
    dealt = read_query("Năm 2023 Công an Hòa Mỹ điều tra khám phá bao nhiêu vụ phạm pháp hình sự?")
    assert outdone(dealt, happened, figures) and not outdone(dealt, solved, figures)
    either = read_query("Năm 2023 Hòa Mỹ có bao nhiêu vụ phạm pháp hình sự?")
    assert not outdone(either, solved, figures) and not outdone(either, happened, figures)


def test_a_second_place_with_its_own_preposition_is_asked_about_too():
    query = read_query("Năm 2023 số người chết vì TNGT ở Thanh Hóa và ở Bà Rịa - Vũng Tàu?")
    assert query.places == ("thanh hoa", "ba ria vung tau")


def test_a_lead_naming_two_districts_is_about_the_province_and_the_district_is_asked():
    lead = ("Do ảnh hưởng của bão, tỉnh Hòa Mỹ có mưa to. Tại huyện Ia Lốp và huyện Krông "
            "Bơ, lượng mưa vượt 700mm.")  # fmt: skip
    p = paragraph("Đến chiều 28/10, đã có 17.000 nhà dân bị ngập.", context=lead, date="2024-10")
    assert [f.place for f in read_figures(p)] == ["hoa my"]
    # the province named first says where; the district is what is asked
    query = read_query("Đợt mưa lũ ở tỉnh Hòa Mỹ, huyện Ia Lốp có bao nhiêu nhà dân bị ngập?")
    assert query.places == ("ia lop",) and query.area == ("hoa my",)


def test_a_part_written_after_trong_do_is_not_the_series_of_a_whole():
    def report(n: int, date: str, text: str) -> Passage:
        return Passage(id=f"p{n}", article=f"{n}.txt", title="Tổng kết", date=date,
                       paragraph=2, start=0, end=0, text="", paragraph_text=text,
                       context="Công an tỉnh Lam Sơn tổng kết công tác.")  # fmt: skip

    older = report(1, "2023-01", "Tỉ lệ điều tra, khám phá án về trật tự xã hội đạt hơn 81%.")
    newer = report(2, "2024-01", "Điều tra, khám phá 1.883 vụ về trật tự xã hội, đạt tỷ lệ "
                   "67%. Trong đó làm rõ 360 vụ rất nghiêm trọng, đạt tỷ lệ hơn 92%.")  # fmt: skip
    query = read_query("Tỷ lệ điều tra, khám phá án về trật tự xã hội ở Lam Sơn đạt bao nhiêu?",
                       known_places={"lam son"})  # fmt: skip
    figures = [f for p in (older, newer) for f in read_figures(p)]
    anchor = next(f for f in figures if f.value == "81")
    assert [f.value for f in same_series(query, anchor, figures)] == ["67", "81"]


def test_a_number_before_a_period_word_is_not_a_place_name():
    text = "Số liệu kinh tế tỉnh 6 tháng đầu năm. Quận 6 có 20 camera."
    names = [p.name for p in read_places(text)]
    assert "6" in names and names.count("6") == 1  # "Quận 6" only


def test_each_period_of_a_list_keeps_its_own_change():
    from assistant.figure_reading import parts_of as _parts

    joined = read_query("GRDP 6 tháng đầu năm 2022 và 6 tháng đầu năm 2023 tăng lần lượt bao "
                        "nhiêu %?")  # fmt: skip
    assert [p.delta for p in _parts(joined)] == [True, True]
    # a change between two periods is one figure (or the difference of their counts)
    between = read_query("Số vụ TNGT năm 2023 so với năm 2022 tăng bao nhiêu vụ?")
    assert _parts(between) == [between]
    assert not read_query("Năm 2023 GRDP tăng bao nhiêu %?").counted  # no word: no crash


def test_a_measure_asked_without_a_counted_word_is_not_a_count_of_its_sentence():
    from assistant.fitting import score

    figures, cases, damage = _figures(
        "Trong năm 2023, tai nạn giao thông xảy ra 124 vụ, thiệt hại tài sản khoảng 992,3 triệu "
        "đồng.",
        "124", "992.3",
    )  # fmt: skip
    query = read_query("Năm 2023 thiệt hại tài sản khoảng bao nhiêu?")
    assert score(query, damage) > 0 and score(query, cases) == 0


def test_outcomes_counted_together_answer_only_a_question_asking_them_together():
    from documents import paragraph

    text = "Mưa lũ năm 2024 làm 330 người chết và mất tích, 120 người bị thương."
    flood = paragraph(text, context="Mưa lũ ở miền núi.")
    dead = _allowed("Mưa lũ năm 2024 làm bao nhiêu người chết?", (flood,))
    assert "330" not in dead and "120" not in dead  # the dead and missing together, injured
    both = _allowed("Năm 2024 mưa lũ làm bao nhiêu người chết và mất tích?", (flood,))
    assert "330" in both and "120" not in both
    clauses = {f.value: f.clause for f in read_figures(flood)}
    assert (
        clauses["330"] == "330 người chết và mất tích" and clauses["120"] == "120 người bị thương"
    )


def test_a_city_written_in_its_short_forms_is_the_same_place():
    from assistant.places import read_places
    from assistant.text import names_phrase

    for text in ("Năm 2024 TP.HCM xảy ra bao nhiêu vụ?", "tai tphcm nam 2024", "Công an TP HCM"):
        assert [p.name for p in read_places(text, (), True) if p.name] == ["ho chi minh"]
    assert names_phrase("Công an TP.HCM vừa triệt phá đường dây", "ho chi minh")
    assert not names_phrase("Công an tỉnh Đồng Nai vừa triệt phá đường dây", "ho chi minh")


def test_one_case_is_read_where_its_article_says_it_happened():
    # a made-up report of one raid: the commune is named once, the figures follow later
    lead = "Công an tỉnh Lam Sơn vừa triệt xóa một tụ điểm đánh bạc ở xã Ia Lốp."
    venue = paragraph("Chiều 31-8, lực lượng chức năng phục kích tại xã Ia Lốp, huyện Hòa Mỹ.",
                      lead, date="2024-09")  # fmt: skip
    raid = paragraph("Phát hiện có công an, các con bạc bỏ chạy nhưng lực lượng chức năng đã "
                     "bắt giữ 31 người (trong đó có 12 nữ). Phòng Cảnh sát hình sự tạm giữ "
                     "518 triệu đồng.", lead, date="2024-09")  # fmt: skip
    known = {"lam son", "hoa my", "ia lop"}
    asked = "Trong vụ đánh bạc ở xã Ia Lốp chiều 31-8-2024, công an bắt giữ bao nhiêu người?"
    query = read_query(asked, known_places=known)
    assert query.incident and not read_query("Năm 2024 có bao nhiêu vụ cháy?").incident
    from assistant.fitting import conflict

    figures = {f.value: f for p in (venue, raid) for f in read_figures(p, known)}
    # "phát hiện có" (found that) is no "hiện có" (now): the day after the raid still fits
    assert figures["31"].period is not None and not conflict(query, figures["31"])
    money = "Vụ đánh bạc ở xã Ia Lốp năm 2024, số tiền tạm giữ là bao nhiêu?"
    assert not conflict(read_query(money, known_places=known), figures["518"])


def test_what_a_sentence_locates_and_what_it_dates():
    known = {"lam son", "tra vinh"}
    theft = paragraph("Công an tỉnh Lam Sơn đang điều tra vụ mất trộm 65 lượng vàng xảy ra tại "
                      "căn nhà ở phường 6, TP Trà Vinh.", date="2021-05")  # fmt: skip
    (gold,) = [f for f in read_figures(theft, known) if f.value == "65"]
    assert gold.place == "lam son" and "6" in gold.locus  # the police's; where it happened
    # a figure no period is written for is of any period its article's date lies in
    cost = paragraph("Tổng kinh phí đầu tư trên 160 triệu đồng.", "Xã Ia Lốp lắp camera.",
                     date="2022-07")  # fmt: skip
    asked = read_query("Năm 2022 tổng kinh phí lắp camera của xã Ia Lốp là bao nhiêu?")
    from assistant.fitting import conflict

    assert not conflict(asked, read_figures(cost, {"ia lop"})[0])
    nine = read_query("9 tháng đầu năm 2022 tổng kinh phí lắp camera của xã Ia Lốp là bao nhiêu?")
    assert conflict(nine, read_figures(cost, {"ia lop"})[0])  # a span is written as such
    # "(1962, chủ nhà)": a year of birth, not the period of the figures after it
    assert read_periods("ông Trần Văn A (1962, chủ nhà) và 3 người", (2020, 11)) == []


def test_one_kind_of_a_whole_is_not_the_whole():
    text = ("Năm 2023, cả nước xảy ra 21.691 vụ tai nạn giao thông. Trong đó, trên đường bộ xảy ra "
            "21.512 vụ; đường sắt xảy ra 123 vụ.")  # fmt: skip
    from assistant.fitting import conflict

    figures = read_figures(paragraph(text), set())
    query = read_query("Năm 2023 cả nước có bao nhiêu vụ tai nạn giao thông đường sắt?")
    assert {f.value for f in figures if not conflict(query, f)} == {"123"}
    water = read_figures(paragraph("Năm 2023, đường thủy xảy ra 27 vụ."), set())
    inland = read_query("Năm 2023 đường thủy nội địa xảy ra bao nhiêu vụ tai nạn?")
    assert not conflict(inland, water[0])  # "nội địa" is no other kind


def test_a_place_answer_names_a_place_of_the_asked_level():
    from assistant.verify import check_draft

    fire = paragraph("Vụ cháy xảy ra tại căn nhà ở phường Bình An, Quận 7.")
    query = read_query("Căn nhà bị cháy thuộc phường nào?")
    assert not check_draft("Quận 7 [1].", [fire], query).ok  # the district, not the ward
    assert check_draft("Phường Bình An [1].", [fire], query).ok
    # an excerpt's label ("2021-10": when the article came out) is no date it writes
    meeting = paragraph("Ngày 15/10, Công an tỉnh tổ chức lễ công bố quyết định.", date="2021-10")
    asked = read_query("Lễ công bố quyết định diễn ra vào ngày nào?")
    assert not check_draft("Hòa Mỹ, 2021-10 [1].", [meeting], asked).ok
    assert check_draft("Ngày 15/10 [1].", [meeting], asked).ok


def test_a_base_or_a_plan_written_after_a_figure_is_not_its_period():
    from assistant.fitting import conflict

    text = ("Năm 2023, tỉnh Hòa Mỹ đón 12 triệu lượt khách. Doanh thu du lịch ước đạt 21.300 "
            "tỷ đồng, tăng 40% so với năm 2022 và vượt 5% so với kế hoạch từ đầu năm.")  # fmt: skip
    year = read_query("Cả năm 2023 doanh thu du lịch của Hòa Mỹ đạt bao nhiêu tỷ đồng?")
    revenue = next(f for f in read_figures(_paragraph(text)) if f.value == "21300")
    assert not conflict(year, revenue)  # "từ đầu năm" is 2023's, not the base year 2022's
    half = ("6 tháng đầu năm 2022, Hòa Mỹ đón 3 triệu lượt khách. Tổng thu ước đạt 4.200 tỷ "
            "đồng, tăng 2 lần so với 6 tháng đầu năm 2021, đạt 60% kế hoạch cả năm.")  # fmt: skip
    asked = read_query("6 tháng đầu năm 2022 tổng thu du lịch Hòa Mỹ đạt bao nhiêu tỷ đồng?")
    takings = next(f for f in read_figures(_paragraph(half)) if f.value == "4200")
    assert takings.period is not None and takings.period.label() == "6 tháng đầu năm 2022"
    assert not conflict(asked, takings)


def test_tourists_written_several_ways_and_a_bare_luot_count_what_is_named_before_it():
    from assistant.fitting import conflict, score

    asked = read_query("6 tháng đầu năm 2024 tỉnh Hòa Mỹ đón bao nhiêu lượt khách du lịch?")
    for text in ("Tổng lượng du khách 6 tháng đầu năm 2024 của tỉnh là trên 5,1 triệu lượt, "
                 "đạt 60% kế hoạch.",
                 "6 tháng đầu năm 2024, tỉnh đón 5,1 triệu lượt du khách."):  # fmt: skip
        figure = next(f for f in read_figures(_paragraph(text)) if f.value == "5.1")
        assert not conflict(asked, figure) and score(asked, figure) > 0, text
    # a bare "lượt" after something else is not tourists
    visits = next(
        f
        for f in read_figures(
            _paragraph(
                "6 tháng đầu năm 2024, lực lượng chức năng kiểm tra 900 lượt, phát hiện 12 vụ."
            )
        )
    )
    assert score(asked, visits) == 0


def test_a_window_of_months_is_no_locator_for_events_counted_in_it():
    from assistant.fitting import conflict

    first_quarter = ("3 tháng đầu năm 2023, toàn tỉnh Hòa Mỹ xảy ra 15 vụ cháy, làm chết 1 người,"
                     " bị thương 2 người.")  # fmt: skip
    injured = next(f for f in read_figures(_paragraph(first_quarter, "2023-04")) if f.value == "2")
    nine = read_query("9 tháng năm 2023, cháy nổ ở Hòa Mỹ làm bao nhiêu người bị thương?")
    assert conflict(nine, injured)  # a quarter's count is not the nine months'
    quarter = read_query("Quý I năm 2023, cháy ở Hòa Mỹ làm bao nhiêu người bị thương?")
    assert not conflict(quarter, injured)


def test_a_day_asked_needs_a_day_in_the_answer():
    from assistant.verify import check_draft

    meeting = paragraph("Hội nghị đánh giá tình hình tháng 10, triển khai nhiệm vụ tháng 11/2025 "
                        "do UBND tỉnh Hòa Mỹ tổ chức ngày 12/11.", date="2025-11")  # fmt: skip
    asked = read_query("UBND tỉnh Hòa Mỹ tổ chức hội nghị tháng 10/2025 vào ngày nào?")
    assert asked.asks_day
    assert not check_draft("Vào ngày 11/2025 [1].", [meeting], asked).ok
    assert check_draft("Ngày 12/11 [1].", [meeting], asked).ok
    assert not read_query("Hội nghị diễn ra vào tháng nào?").asks_day


def test_offices_counted_are_no_one_persons_office():
    from assistant.people import holds_roles

    hands = "Đại tướng Trần Văn A, Bộ trưởng, đã trao quyết định bố trí 23 Giám đốc công an tỉnh."
    assert not holds_roles(hands, {"giam doc"})
    assert holds_roles("Đại tá Lê Văn B, Giám đốc Công an tỉnh Hòa Mỹ.", {"giam doc"})


def test_a_follow_up_counting_by_the_same_word_keeps_the_kind_counted_before():
    from assistant.answer import inherit

    before = read_query("Trong 7 ngày Tết, tỉnh Hòa Mỹ xảy ra bao nhiêu vụ tai nạn giao thông?")
    after = inherit(read_query("Giảm bao nhiêu vụ so với cùng kỳ?"), before)
    assert after.counted == before.counted and after.places == before.places
    own = inherit(read_query("Có bao nhiêu vụ cháy?"), before)
    assert own.counted != before.counted  # a kind of its own stays its own


def test_the_same_months_asked_without_a_year_are_a_series_over_the_years():
    def half(article: str, date: str, text: str) -> Passage:
        return Passage(id=article, article=article, title="Du lịch", date=date, paragraph=2,
                       start=0, end=0, text="", context="Du lịch tỉnh Lam Sơn.",
                       paragraph_text=text)  # fmt: skip

    older = half("b.txt", "2022-07", "6 tháng đầu năm 2022, tỉnh đón 4,2 triệu lượt khách.")
    newer = half("c.txt", "2024-07", "6 tháng đầu năm 2024, tỉnh đón 7,5 triệu lượt khách.")
    figures = [f for p in (older, newer) for f in read_figures(p)]
    anchor = next(f for f in figures if f.value == "4.2")
    no_year = read_query("Lam Sơn đón bao nhiêu lượt khách trong 6 tháng đầu năm?",
                         known_places={"lam son"})  # fmt: skip
    assert [f.value for f in same_series(no_year, anchor, figures)] == ["7.5", "4.2"]
    one_year = read_query("6 tháng đầu năm 2022 Lam Sơn đón bao nhiêu lượt khách?",
                          known_places={"lam son"})  # fmt: skip
    assert same_series(one_year, anchor, figures) is None


def test_questions_read_for_what_they_count_and_the_case_they_are_about():
    # "có bao nhiêu người chết": nothing before "có" says which people (not "11 giờ")
    assert read_query("Tính đến 11 giờ ngày 11/9 có bao nhiêu người chết?").counted == (
        "nguoi", "chet")  # fmt: skip
    # a second figure asked with "mấy"
    both = read_query("9 thang nam 2023 Hoa My xay ra bao nhieu vu chay, lam chet may nguoi?")
    assert both.also == (("nguoi", "chet"),)
    # one operation asked about, with or without diacritics; a count of operations is not
    assert read_query("Chuyên án ma túy của Công an tỉnh năm 2023 thu giữ bao nhiêu kg?").incident
    assert read_query("Chuyen an ma tuy cua Cong an tinh nam 2023 thu giu bao nhieu kg?").incident
    assert not read_query("Năm 2023 Công an tỉnh phá bao nhiêu chuyên án ma túy?").incident


def test_as_of_a_month_is_since_the_year_began_and_capital_is_money():
    from assistant.fitting import conflict, score

    text = ("Tính đến tháng 12.2025, trên địa bàn tỉnh Hòa Mỹ ghi nhận 91 vụ lừa đảo qua mạng. "
            "Thu hút đầu tư nước ngoài (FDI) đạt 1,66 tỷ USD.")  # fmt: skip
    figures = read_figures(_paragraph(text, "2025-12"))
    cases, capital = (next(f for f in figures if f.value == v) for v in ("91", "1.66"))
    assert cases.period is not None and cases.period.span() == (2025 * 12 + 1, 2025 * 12 + 12)
    year = read_query("Năm 2025 Hòa Mỹ ghi nhận bao nhiêu vụ lừa đảo qua mạng?")
    assert not conflict(year, cases)
    fdi = read_query("Năm 2025 Hòa Mỹ thu hút được bao nhiêu vốn FDI?")
    assert score(fdi, capital) > 0 and score(fdi, cases) == 0
