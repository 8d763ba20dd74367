"""Answers held to the asked period, place and office, and reports at several dates
(scripted model, hash embedder, real Chroma). The articles are written for these tests."""

from dataclasses import replace

import pytest
from conftest import ScriptedLLM
from documents import reading

from assistant.answer import Assistant, Turn
from assistant.config import Config
from assistant.reading import NOT_FOUND_VI
from assistant.retrieve import Retriever
from index.build import build_index
from index.embedder import HashEmbedder

ARTICLES = {
    "cam_2023.txt": (
        " date 2023-06 Lam Sơn đẩy mạnh mô hình camera an ninh\n"
        "Sáng 12/6, Công an tỉnh Lam Sơn sơ kết mô hình camera an ninh.\n"
        "Toàn tỉnh Lam Sơn hiện có 420 camera an ninh, trong đó huyện Ia Lốp 120 camera.\n"
    ),
    "cam_2024.txt": (
        " date 2024-08 Camera an ninh phủ kín các xã của Lam Sơn\n"
        "Chiều 20/8, Công an tỉnh Lam Sơn cho biết mô hình tiếp tục được nhân rộng.\n"
        "Đến nay, toàn tỉnh Lam Sơn có hơn 515 camera an ninh kết nối về trung tâm.\n"
    ),
    "tngt_2024.txt": (
        " date 2024-12 Lam Sơn tổng kết công tác bảo đảm trật tự an toàn giao thông năm 2024\n"
        "Sáng 26/12, Ban An toàn giao thông tỉnh Lam Sơn tổng kết công tác năm 2024.\n"
        "Năm 2024, toàn tỉnh xảy ra 130 vụ tai nạn giao thông, làm chết 70 người, bị thương "
        "88 người; so với năm 2023 giảm 12 vụ. Trong đó, huyện Ia Lốp 20 vụ, TP. Hòa Mỹ 41 vụ.\n"
        "Riêng trong tháng 12, toàn tỉnh xảy ra 11 vụ tai nạn giao thông.\n"
        "Ảnh: Hiện trường một vụ tai nạn giao thông xảy ra ở Lam Sơn năm 2024.\n"
        "Minh Huệ\n"
    ),
    "tngt_t2_2023.txt": (
        " date 2023-03 Tai nạn giao thông tháng 2 ở Lam Sơn\n"
        "Trong tháng 2/2023, toàn tỉnh Lam Sơn xảy ra 9 vụ tai nạn giao thông, làm chết 6 "
        "người. So với tháng trước liền kề, tăng 2 vụ.\n"
    ),
    "tngt_t2_2024.txt": (
        " date 2024-03 Lam Sơn: tai nạn giao thông tháng 2/2024\n"
        "Trong tháng 2/2024, toàn tỉnh Lam Sơn xảy ra 14 vụ tai nạn giao thông, làm chết 8 "
        "người. So với tháng trước liền kề tăng 1 vụ, giảm 3 người chết.\n"
    ),
    "tngt_8t_2022.txt": (
        " date 2022-08 Lam Sơn: tai nạn giao thông 8 tháng đầu năm 2022\n"
        "Theo Ban An toàn giao thông tỉnh, 8 tháng qua, Lam Sơn ghi nhận 40 vụ tai nạn giao "
        "thông khiến 25 người tử vong, 31 người bị thương.\n"
        "Trên các tuyến quốc lộ qua tỉnh, tai nạn giao thông làm 14 người tử vong.\n"
    ),
    "hoinghi_2024.txt": (
        "Công an tỉnh Lam Sơn triển khai nhiệm vụ năm 2024\n"
        "Sáng 5/1/2024, Công an tỉnh Lam Sơn tổ chức hội nghị triển khai nhiệm vụ năm 2024. "
        "Đại tá Trần Văn Khải, Giám đốc Công an tỉnh chủ trì hội nghị. Thượng tá Lê Minh Tâm, "
        "Phó Giám đốc Công an tỉnh dự và phát biểu.\n"
    ),
}


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("articles")
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("index")
    build_index(folder, index_dir, HashEmbedder(), Config().chunk_settings())
    return index_dir


@pytest.fixture()
def ask(corpus_index):
    def run(question, replies=("NOT_FOUND",) * 4, history=None):
        config = replace(Config(), index_dir=corpus_index)
        llm = ScriptedLLM(list(replies) if not callable(replies) else replies)
        assistant = Assistant(Retriever(corpus_index, HashEmbedder(), config), llm, config)
        return assistant.ask(question, history), llm

    return run


def test_the_same_figure_at_two_dates_is_answered_latest_first_with_both_dates(ask):
    answer, _ = ask("Lam Sơn có bao nhiêu camera an ninh?", reading("515 camera"))
    assert answer.found and answer.text.index("hơn 515") < answer.text.index("420")
    assert "2024" in answer.text and "2023" in answer.text
    assert [c.article for c in answer.citations] == ["cam_2024.txt", "cam_2023.txt"]


def test_a_figure_for_another_period_is_not_given_for_the_asked_one(ask):
    answer, _ = ask("Năm 2024 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?", reading("130 vụ"))
    assert answer.found and "130" in answer.text
    # a model that reads December's figure for the year, twice: nothing is shown
    answer, _ = ask("Năm 2024 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?",
                    reading("11 vụ", "11 vụ"))  # fmt: skip
    assert not answer.found and "11" not in answer.text
    # a year no article covers: refused, whatever the model says
    answer, _ = ask("Năm 2022 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?",
                    reading("130 vụ", "130 vụ"))  # fmt: skip
    assert not answer.found and answer.text == NOT_FOUND_VI


def test_a_district_gets_its_own_figure_never_the_province_total(ask):
    answer, _ = ask("Năm 2024 huyện Ia Lốp xảy ra bao nhiêu vụ TNGT?", reading("130 vụ", "20 vụ"))
    assert answer.found and "20 vụ" in answer.text and "130" not in answer.text
    answer, _ = ask("Năm 2024 huyện Ia Lốp xảy ra bao nhiêu vụ TNGT?", reading("130 vụ", "130 vụ"))
    assert not answer.found
    answer, _ = ask("Năm 2024 xã Ea Lam xảy ra bao nhiêu vụ TNGT?", reading("130 vụ", "130 vụ"))
    assert not answer.found


def test_a_change_answers_how_much_it_fell(ask):
    question = "Năm 2024 số vụ TNGT ở Lam Sơn giảm bao nhiêu so với năm 2023?"
    answer, _ = ask(question, reading("giảm 12 vụ"))
    assert answer.found and "12 vụ" in answer.text and "130" not in answer.text
    answer, _ = ask(question, reading("130 vụ", "130 vụ"))  # a total is not a fall
    assert not answer.found


def test_the_head_of_an_office_is_not_the_deputy_and_the_chair_is_not_a_guest(ask):
    answer, _ = ask("Ai là Giám đốc Công an tỉnh Lam Sơn?", ["Thượng tá Lê Minh Tâm [1]."] * 2)
    assert answer.found and "Trần Văn Khải" in answer.text and "Lê Minh Tâm" not in answer.text
    answer, _ = ask("Ai chủ trì hội nghị triển khai nhiệm vụ năm 2024 của Công an tỉnh Lam Sơn?",
                    ["Lê Minh Tâm [1]."] * 2)  # fmt: skip
    assert "Lê Minh Tâm" not in answer.text


def test_a_follow_up_keeps_the_place_and_period_it_does_not_change(ask):
    first, _ = ask("Năm 2024 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?", reading("130 vụ"))
    history = [Turn("Năm 2024 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?", first.text,
                    first.standalone_question)]  # fmt: skip
    answer, _ = ask("Còn TP. Hòa Mỹ thì sao?", reading("130 vụ", "41 vụ"), history=history)
    assert answer.found and "41 vụ" in answer.text and "130" not in answer.text


def test_a_model_that_finds_nothing_chooses_from_the_figures_that_fit(ask):
    question = "8 tháng đầu năm 2022 tai nạn giao thông ở Lam Sơn làm chết bao nhiêu người?"

    def pick_25(messages):  # the model picks the province's 25 by its number
        text = messages[-1]["content"]
        if "Figures:" not in text:
            return "NOT_FOUND"
        return next(line.split(".")[0] for line in text.splitlines() if ". 25 người" in line)

    answer, llm = ask(question, pick_25)
    # "tử vong" is what "chết" asks for: both deaths are offered although no excerpt
    # writes "chết"; the injured (31) and the cases (40) are not
    offered = llm.calls[-1][-1]["content"].split("Figures:")[1]
    assert "25 người tử vong" in offered and "14 người tử vong" in offered
    assert ". 31" not in offered and ". 40" not in offered and "\n3." not in offered
    assert answer.found and "25 người tử vong" in answer.text and "14" not in answer.text
    answer, _ = ask(question, ["NOT_FOUND", "0"])
    assert not answer.found


def test_a_lone_figure_is_not_offered_as_a_choice(ask):
    # only Ia Lốp's 20 fits (130 is the province's): one option is no choice, and a small
    # model takes whatever it is offered, so the reply is the refusal, no choice offered
    answer, llm = ask("Năm 2024 huyện Ia Lốp xảy ra bao nhiêu vụ TNGT?", ["NOT_FOUND", "1"])
    assert not answer.found
    assert not any("Figures:" in call[-1]["content"] for call in llm.calls)


def test_a_change_from_another_base_is_not_given_and_two_counts_give_the_change(ask):
    question = "Số vụ TNGT ở Lam Sơn tháng 2/2024 so với tháng 2/2023 tăng hay giảm bao nhiêu vụ?"
    # "tăng 1 vụ" is against January 2024, not February 2023: never given; the two months'
    # counts are read instead and the change computed from them
    answer, _ = ask(question, reading("tăng 1 vụ", "tăng 1 vụ", "9 vụ", "14 vụ"))
    assert answer.found and "1 vụ" not in answer.text
    assert answer.text.index("9 vụ") < answer.text.index("14 vụ") and "tăng 5" in answer.text
    assert [c.article for c in answer.citations] == ["tngt_t2_2023.txt", "tngt_t2_2024.txt"]
    # asked against the month before, the change written is the answer
    answer, _ = ask("Tháng 2/2024 số vụ TNGT ở Lam Sơn tăng bao nhiêu so với tháng trước?",
                    reading("tăng 1 vụ"))  # fmt: skip
    assert answer.found and "1 vụ" in answer.text


def test_a_day_the_question_names_picks_the_article_about_that_day(ask):
    question = "Ai chủ trì hội nghị triển khai nhiệm vụ năm 2024 của Công an tỉnh Lam Sơn {}?"
    answer, _ = ask(question.format("sáng 5/1/2024"), ["Đại tá Trần Văn Khải [1]."] * 2)
    assert answer.found and "Trần Văn Khải" in answer.text
    # no article is about a meeting on 9/1: the one of 5/1 does not answer for it
    answer, _ = ask(question.format("sáng 9/1/2024"), ["Đại tá Trần Văn Khải [1]."] * 2)
    assert not answer.found and "Trần Văn Khải" not in answer.text


def test_a_right_figure_in_a_garbled_wording_is_worded_from_its_own_sentence(ask):
    question = "Năm 2024 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?"
    # "Trụ" is written in no paragraph (the model misspelt a word of the question)
    answer, _ = ask(question, reading("Trụ lý 130 vụ tai nạn giao thông"))
    assert answer.found and "130 vụ" in answer.text and "Trụ" not in answer.text
    assert [c.article for c in answer.citations] == ["tngt_2024.txt"]
    # the same garbling on a figure of another period is not reworded: refused
    answer, _ = ask(question, reading("Trụ lý 11 vụ tai nạn giao thông"))
    assert not answer.found and "11" not in answer.text


def test_a_figure_question_is_shown_only_paragraphs_that_write_a_figure(ask):
    _, llm = ask("Năm 2024 Lam Sơn xảy ra bao nhiêu vụ tai nạn giao thông?", reading("130 vụ"))
    shown = llm.calls[0][-1]["content"]
    assert "130 vụ" in shown and "Minh Huệ" not in shown and "Ảnh:" not in shown


def test_a_model_that_finds_nothing_reads_once_more_from_wider_excerpts(corpus_index):
    # shown only "Trong đó, huyện Ia Lốp 20 vụ, …" the reader cannot tell what the 20 count;
    # shown the sentence of the total before it too, it can
    question = "Năm 2024 huyện Ia Lốp xảy ra bao nhiêu vụ tai nạn giao thông?"
    answer = reading("20 vụ")
    readings = []

    def reply(messages):
        text = messages[-1]["content"]
        if "Figures:" in text:
            return "0"  # none of the offered figures
        readings.append(text)
        return answer(messages) if "130 vụ" in text else "NOT_FOUND"

    for reread, found in ((500, True), (0, False)):
        readings.clear()
        config = replace(Config(), index_dir=corpus_index, reread_tokens=reread,
                         context_sentences=1, context_passages=1)  # fmt: skip
        assistant = Assistant(Retriever(corpus_index, HashEmbedder(), config),
                              ScriptedLLM(reply), config)  # fmt: skip
        got = assistant.ask(question)
        assert got.found is found and len(readings) == (2 if found else 1)
        if found:
            assert "20 vụ" in got.text and got.citations[0].article == "tngt_2024.txt"
