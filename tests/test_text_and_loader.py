from pathlib import Path

import pytest

from assistant.text import fold, numbers, split_sentences, tokens
from index.loader import UnreadableArticle, decode, load, parse

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def test_fold_and_tokens_match_without_diacritics():
    assert fold("Bảo Lộc Đà Nẵng") == "bao loc da nang"
    assert tokens("bao loc co bao nhieu mat camera") == tokens("Bảo Lộc có bao nhiêu mắt camera")
    assert "9890" in tokens("với 9.890 lượt người")


def test_numbers_are_canonical():
    assert numbers("9.890 người, 09 cá nhân, 2,9 tỷ, 11/11 xã") == ["9890", "9", "2.9", "11", "11"]


def test_sentences_do_not_split_after_abbreviations():
    text = "Chủ tịch UBND TP. Pleiku phát biểu. Công an tỉnh có 10 tập thể."
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "Chủ tịch UBND TP. Pleiku phát biểu.",
        "Công an tỉnh có 10 tập thể.",
    ]


def test_seed_with_date_marker_and_debris():
    article = load(SEEDS / "002_7b481aa43f29ee0d.txt")
    assert article.title.startswith("Triển khai công tác xây dựng phong trào")
    assert article.date == "2023-03"  # no date line: the dateline "Chiều 14/3/2023"
    assert all(p.strip() not in ("|", ".jpg) |") for p in article.paragraphs)
    # photo captions are kept as text
    assert any(p.endswith("Ảnh: Thúy Trinh") for p in article.paragraphs)
    dated = load(SEEDS / "000_2246f83234220e73.txt")
    assert dated.date == "2022-03"
    assert not dated.paragraphs[0].startswith("date")
    assert "Pleiku" in dated.title


def test_headline_after_date_marker():
    article = load(SEEDS / "003_fc3363d4b09c08b0.txt")
    assert article.date == "2022-01"
    assert article.title.startswith("Phát động phong trào thi đua")
    assert article.paragraphs[0].startswith("Sáng 4-1")


def test_date_line_under_the_headline():
    text = (
        "Đơn Dương lắp camera giám sát\ndate 2022-03\n"
        "Ngày 5/3, Công an huyện Đơn Dương cho biết đã lắp 137 camera giám sát.\n"
    )
    article = parse(text, "a.txt")
    assert (article.title, article.date) == ("Đơn Dương lắp camera giám sát", "2022-03")
    assert article.paragraphs == (
        "Ngày 5/3, Công an huyện Đơn Dương cho biết đã lắp 137 camera giám sát.",
    )


def test_broken_caption_lines_are_joined():
    article = load(SEEDS / "004_721a6428900b10ba.txt")
    assert any(
        "tặng giấy khen cho các tập thể có thành tích xuất sắc năm 2017" in p
        for p in article.paragraphs
    )


def test_nfd_input_is_normalised():
    import unicodedata

    text = unicodedata.normalize("NFD", "Tiêu đề bài\nBảo Lộc có gần 300 mắt camera.")
    article = parse(text, "x.txt")
    assert article.paragraphs[0] == unicodedata.normalize("NFC", "Bảo Lộc có gần 300 mắt camera.")


@pytest.mark.parametrize(
    "raw",
    [
        "Tiêu đề\nĐà Nẵng có 5 mô hình.".encode("utf-16"),
        b"\xef\xbb\xbf" + "Tiêu đề\nĐà Nẵng có 5 mô hình.".encode(),
    ],
)
def test_decoding(raw):
    assert parse(decode(raw), "x.txt").paragraphs[0] == "Đà Nẵng có 5 mô hình."


def test_binary_is_refused():
    with pytest.raises(UnreadableArticle):
        decode(b"\x00\x01\x02binary")


def test_html_and_markdown(tmp_path):
    page = tmp_path / "a.html"
    page.write_text(
        "<html><head><title>Tin Gia Lai</title><script>var x=1;</script></head>"
        "<body><h1>Tin Gia Lai</h1><p>Gia Lai có 551 mắt camera.</p><p>Ảnh: A</p></body></html>",
        encoding="utf-8",
    )
    article = load(page)
    assert article.title == "Tin Gia Lai"
    assert article.paragraphs == ("Gia Lai có 551 mắt camera.", "Ảnh: A")
    md = tmp_path / "b.md"
    md.write_text("# Tin Bảo Lộc\n\n![ảnh](x.jpg)\n\nCó **gần 300** mắt [camera](u).\n")
    article = load(md)
    assert article.title == "Tin Bảo Lộc"
    assert "Có gần 300 mắt camera." in article.paragraphs


def _cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters with circumflex/breve/horn are
    precomposed, tone marks are combining characters."""
    import unicodedata

    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed[1:] if c in "\u0300\u0301\u0303\u0309\u0323")
        shape = "".join(c for c in decomposed[1:] if c not in tones)
        out += unicodedata.normalize("NFC", decomposed[0] + shape).encode("cp1258")
        out += tones.encode("cp1258")
    return out


def test_windows_1258_is_read_and_normalised():
    text = "Tiêu đề bài báo\nĐà Nẵng lắp đặt gần 300 mắt camera ở 11/11 xã, phường."
    raw = _cp1258(text)
    raw.decode("cp1258")  # sanity: a real cp1258 byte string
    article = parse(decode(raw), "x.txt")
    assert article.title == "Tiêu đề bài báo"
    assert article.paragraphs == ("Đà Nẵng lắp đặt gần 300 mắt camera ở 11/11 xã, phường.",)


def test_an_english_question_may_quote_a_vietnamese_term():
    from assistant.text import looks_english

    assert looks_english('How many defendants were prosecuted in "tín dụng đen" cases?')
    assert looks_english("How many loan-sharking (tín dụng đen) cases were there?")
    assert not looks_english('Năm 2023 có bao nhiêu vụ "tín dụng đen"?')
