"""The web page's parts without a browser: rendering, the articles folder, feedback."""

import json

import pytest

from assistant.feedback import FeedbackLog
from assistant.library import Library, LibraryError, safe_name
from assistant.render import answer_html, answer_text, draft_html
from assistant.types import Answer, Citation

LONG = (
    ("Mở đầu đoạn văn dài. " * 20)
    + "Có gần 300 mắt camera trên các tuyến đường. "
    + ("Phần sau của đoạn. " * 20)
)


def citation(n=1, text=LONG, quote="Có gần 300 mắt camera trên các tuyến đường.", **kw):
    data = dict(n=n, article="bao-loc.txt", title="Bảo Lộc <tổng kết>", date="2022-01",
                paragraph=6, text=text, quote=quote)  # fmt: skip
    return Citation(**{**data, **kw})


def test_markers_become_superscript_links_to_listed_sources():
    html = answer_html(Answer("Gần 300 mắt camera [1].", True, (citation(),)))
    link = html.split('<sup class="cite"><a href="#')[1].split('"')[0]
    assert f'id="{link}"' in html
    assert "&lt;tổng kết&gt;" in html and "<tổng kết>" not in html  # escaped
    assert "2022-01" in html and "bao-loc.txt" in html and "đoạn 6" in html


def test_long_paragraph_is_trimmed_around_the_highlight_and_expandable():
    html = answer_html(Answer("Gần 300 [1].", True, (citation(),)))
    shown = html.split('<blockquote class="src-text">')[1].split("</blockquote>")[0]
    assert "<mark>Có gần 300 mắt camera trên các tuyến đường.</mark>" in shown
    assert shown.startswith("… ") and shown.endswith(" …") and len(shown) < len(LONG)
    full = html.split('<details class="src-full">')[1]
    assert full.count("Mở đầu đoạn văn dài.") == 20 and "<mark>Có gần 300" in full


def test_short_paragraph_is_shown_whole_and_unknown_markers_stay_text():
    short = citation(text="Có gần 300 mắt camera trên các tuyến đường.")
    html = answer_html(Answer("Gần 300 [1] [7].", True, (short,)))
    assert "<details" not in html and "[7]" in html and html.count("<sup") == 1


def test_draft_is_marked_unchecked_and_has_no_markers():
    html = draft_html("Bảo Lộc có gần 300 [1] mắt camera [2")
    assert "chưa đối chiếu" in html
    assert html.split("<p>")[1].split("</p>")[0] == "Bảo Lộc có gần 300  mắt camera"
    assert "<script>" not in draft_html("<script>alert(1)</script>")


def test_plain_text_answer_lists_numbered_sources():
    text = answer_text(Answer("Gần 300 [1].", True, (citation(),)))
    assert text.splitlines()[2] == "Nguồn:"
    assert "[1] Bảo Lộc <tổng kết>, 2022-01 (bao-loc.txt, đoạn 6)" in text


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("bài mới.TXT", "bài_mới.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\\\Users\\\\x\\\\tin tức.md", "tin_tức.md"),
        (".hidden.html", "hidden.html"),
        ("camera Đơn Dương?.txt", "camera_Đơn_Dương.txt"),
    ],
)
def test_upload_names_are_sanitized(name, safe):
    assert safe_name(name) == safe


@pytest.mark.parametrize("name", ["x.doc", "script.py", "noext", "....txt"])
def test_other_types_and_empty_names_are_refused(name):
    with pytest.raises(LibraryError):
        safe_name(name)


def make_library(tmp_path, limit=1000):
    return Library(tmp_path / "articles", tmp_path / "index", None, None, limit)


def test_add_checks_size_and_content_before_saving_anything(tmp_path):
    lib = make_library(tmp_path)
    good, big, empty = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    good.write_text("Tiêu đề\nNội dung bài báo có 12 chữ.\n", encoding="utf-8")
    big.write_text("x" * 2000)
    empty.write_text("  \n")
    with pytest.raises(LibraryError, match="giới hạn"):
        lib.add([("a.txt", good), ("b.txt", big)])
    with pytest.raises(LibraryError, match="không đọc được"):
        lib.add([("c.txt", empty)])
    assert not (tmp_path / "articles").exists() or not any((tmp_path / "articles").iterdir())
    assert lib.add([("../a.txt", good)]) == ["a.txt"]
    assert (tmp_path / "articles" / "a.txt").read_bytes() == good.read_bytes()
    assert [p.name for p in (tmp_path / "articles").iterdir()] == ["a.txt"]  # no temp left


def test_remove_stays_inside_the_articles_folder(tmp_path):
    lib = make_library(tmp_path)
    (tmp_path / "articles").mkdir()
    (tmp_path / "secret.txt").write_text("keep")
    with pytest.raises(LibraryError):
        lib.remove("../secret.txt")
    assert (tmp_path / "secret.txt").exists()


def test_feedback_lines_hold_the_exchange(tmp_path):
    log = FeedbackLog(tmp_path)
    log.record(True, {"question": "Q?", "answer": "A [1].", "citations": [{"n": 1}]})
    log.record(False, {"question": "Q2?", "answer": "B", "citations": []})
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert [json.loads(x)["liked"] for x in lines] == [True, False]
    assert first["question"] == "Q?" and first["citations"] == [{"n": 1}] and "time" in first
