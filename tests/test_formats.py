"""Word and PDF articles, built by the test with python-docx and fpdf2: read with their
paragraphs (and pages), indexed, cited; a scanned PDF is skipped whole with its reason."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEEDS, ScriptedLLM
from documents import (
    DOCX_PARAGRAPHS,
    DOCX_Q,
    DOCX_TITLE,
    PDF_Q,
    PDF_TITLE,
    citing,
    write_docx,
    write_pdf,
    write_scanned_pdf,
)

from assistant.config import Config
from assistant.library import Library, LibraryError
from assistant.render import answer_html, answer_text
from assistant.runtime import make_assistant
from index.build import build_index
from index.loader import UnreadableArticle, load
from index.store import read_manifest


def test_a_docx_article_keeps_its_headline_paragraphs_and_date(tmp_path):
    article = load(write_docx(tmp_path / "lam-ha.docx"))
    assert article.title == DOCX_TITLE
    assert article.paragraphs == tuple(DOCX_PARAGRAPHS)
    assert article.date == "2023-04" and article.pages == ()


def test_a_pdf_article_keeps_paragraphs_over_a_page_break_and_their_pages(tmp_path):
    article = load(write_pdf(tmp_path / "da-lat.pdf"))
    assert article.title == PDF_TITLE and article.date == "2023-03"
    assert len(article.paragraphs) == 3
    lead, broken, last = article.paragraphs
    assert lead.startswith("Ngày 12/3/2023") and lead.endswith("nâng tổng số camera lên 450 mắt.")
    # one paragraph, started on page 1 and finished on page 2
    assert broken.startswith("Theo Công an TP Đà Lạt") and broken.endswith("đầu năm 2023.")
    assert last.startswith("Thành phố Đà Lạt cũng đã bố trí 35 tổ tuần tra")
    assert article.pages == (1, 1, 2)
    assert not any(p.strip() in ("1", "2") for p in article.paragraphs)  # page numbers dropped


@pytest.mark.parametrize(
    ("text_pages", "reason"),
    [(0, "scanned PDF with no text layer"), (1, r"page\(s\) 2, 3 of the PDF are scanned")],
)
def test_a_scanned_pdf_is_refused_whole_with_its_reason(tmp_path, text_pages, reason):
    path = write_scanned_pdf(tmp_path / "scan.pdf", text_pages=text_pages)
    with pytest.raises(UnreadableArticle, match=reason):
        load(path)
    with pytest.raises(UnreadableArticle, match="OCR"):
        load(path)


def test_broken_word_and_pdf_files_are_skipped_with_a_reason(articles, tmp_path, hash_embedder):
    (articles / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (articles / "broken.pdf").write_bytes(b"%PDF-1.4 nothing else")
    write_scanned_pdf(articles / "scan.pdf")
    write_scanned_pdf(articles / "half.pdf", text_pages=1)
    report = build_index(articles, tmp_path / "idx", hash_embedder, Config().chunk_settings())
    skipped = dict(report.skipped)
    assert "not a readable .docx" in skipped["broken.docx"]
    assert "not a readable PDF" in skipped["broken.pdf"]
    assert "no text layer" in skipped["scan.pdf"] and "OCR" in skipped["half.pdf"]
    assert report.added == 5  # the seeds; nothing of the half-scanned PDF is indexed
    assert set(read_manifest(tmp_path / "idx").articles) == {p.name for p in SEEDS.iterdir()}


@pytest.fixture()
def word_and_pdf_index(articles, tmp_path, hash_embedder):
    write_docx(articles / "lam-ha.docx")
    write_pdf(articles / "da-lat.pdf")
    index_dir = tmp_path / "idx"
    report = build_index(articles, index_dir, hash_embedder, Config().chunk_settings())
    assert report.added == 7 and not report.skipped
    return index_dir


def _assistant(index_dir, hash_embedder, reply):
    config = replace(Config(), index_dir=index_dir, models_dir=index_dir / "no-models")
    return make_assistant(config, embedder=hash_embedder, llm=ScriptedLLM(reply))


def test_word_and_pdf_articles_are_answered_and_cited(word_and_pdf_index, hash_embedder):
    reply = citing("214 tổ tự quản", "Huyện Lâm Hà đã thành lập 214 tổ tự quản")
    answer = _assistant(word_and_pdf_index, hash_embedder, reply).ask(DOCX_Q)
    assert answer.found and "214" in answer.text
    cited = answer.citations[0]
    assert (cited.article, cited.paragraph, cited.page) == ("lam-ha.docx", 2, None)
    assert "trang" not in answer_text(answer)

    reply = citing("35 tổ tuần tra", "Đà Lạt đã bố trí 35 tổ tuần tra lưu động")
    answer = _assistant(word_and_pdf_index, hash_embedder, reply).ask(PDF_Q)
    assert answer.found and "35" in answer.text
    cited = answer.citations[0]
    assert (cited.article, cited.paragraph, cited.page) == ("da-lat.pdf", 3, 2)
    assert "(da-lat.pdf, trang 2, đoạn 3)" in answer_text(answer)
    assert "trang 2" in answer_html(answer)
    assert json.loads(json.dumps(answer.to_json()))["citations"][0]["page"] == 2


def test_the_web_upload_takes_word_and_pdf_with_the_same_checks(tmp_path, hash_embedder):
    folder = tmp_path / "articles"
    library = Library(folder, tmp_path / "idx", hash_embedder, Config().chunk_settings(),
                      max_upload_bytes=1_000_000)  # fmt: skip
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    docx, pdf = write_docx(uploads / "Lâm Hà.docx"), write_pdf(uploads / "da lat.PDF")
    assert library.add([(docx.name, docx), (pdf.name, pdf)]) == ["Lâm_Hà.docx", "da_lat.pdf"]
    report = library.update()
    assert report.added == 2 and {r.file for r in library.rows()} == {"Lâm_Hà.docx", "da_lat.pdf"}
    scan = write_scanned_pdf(uploads / "scan.pdf")
    with pytest.raises(LibraryError, match="no text layer"):
        library.add([(scan.name, scan)])
    assert not (folder / "scan.pdf").exists()
    shutil.copy(docx, uploads / "old.doc")
    with pytest.raises(LibraryError, match="chỉ nhận tệp"):
        library.add([("old.doc", uploads / "old.doc")])


def test_an_index_from_before_pages_still_opens_and_cites(seed_index, hash_embedder):
    """Indexes written before pages existed have no page in their metadata or manifest."""
    manifest = json.loads((Path(seed_index) / "manifest.json").read_text(encoding="utf-8"))
    assert not any("pages" in a for a in manifest["articles"].values())
    reply = citing("gần 300", "Bảo Lộc có gần 300 mắt camera")
    answer = _assistant(seed_index, hash_embedder, reply).ask("Bảo Lộc có bao nhiêu mắt camera?")
    assert answer.found and answer.citations[0].page is None
