"""Word and PDF articles written by the tests with the libraries' own writers (python-docx,
fpdf2 with a TrueType font that has Vietnamese glyphs), and a scripted reply that cites
the excerpt holding a given phrase."""

from __future__ import annotations

from pathlib import Path

import pytest

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

DOCX_TITLE = "Huyện Lâm Hà ra mắt mô hình tổ tự quản về an ninh, trật tự"
DOCX_PARAGRAPHS = [
    "Ngày 15/4/2023, UBND huyện Lâm Hà (tỉnh Lâm Đồng) tổ chức hội nghị ra mắt mô hình tổ "
    "tự quản về an ninh, trật tự tại các thôn, tổ dân phố.",
    "Theo báo cáo, toàn huyện Lâm Hà đã thành lập 214 tổ tự quản với hơn 1.700 thành viên "
    "tham gia tuần tra, nắm tình hình tại cơ sở.",
    "Ông Nguyễn Văn Hải, Phó Chủ tịch UBND huyện Lâm Hà, đề nghị các tổ duy trì sinh hoạt "
    "hằng tháng.",
]
DOCX_Q = "Huyện Lâm Hà đã thành lập bao nhiêu tổ tự quản?"

PDF_TITLE = "Đà Lạt lắp thêm camera giám sát giao thông"
# page 1: the lead and the start of a paragraph that ends on page 2; page 2: one more
PDF_PAGE_1 = [
    "Ngày 12/3/2023, UBND TP Đà Lạt cho biết thành phố đã lắp đặt thêm 120 mắt camera giám "
    "sát giao thông tại các nút giao trọng điểm, nâng tổng số camera lên 450 mắt.",
    "Theo Công an TP Đà Lạt, hệ thống camera mới giúp phát hiện 1.250 trường hợp vi phạm",
]
PDF_PAGE_2 = [
    "trật tự an toàn giao thông trong hai tháng đầu năm 2023.",
    "Thành phố Đà Lạt cũng đã bố trí 35 tổ tuần tra lưu động tại các khu du lịch và chợ đêm.",
]
PDF_Q = "Đà Lạt đã bố trí bao nhiêu tổ tuần tra lưu động?"


def font() -> Path:
    """DejaVu Sans (Debian's fonts-dejavu-core; `make fonts` installs it)."""
    if not FONT.is_file():
        pytest.fail(f"{FONT} is missing for the test PDFs: run `make fonts` (fonts-dejavu-core)")
    return FONT


def write_docx(path: Path, title: str = DOCX_TITLE, paragraphs=DOCX_PARAGRAPHS) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def write_pdf(path: Path, title: str = PDF_TITLE, pages=(PDF_PAGE_1, PDF_PAGE_2)) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(font()))
    for number, paragraphs in enumerate(pages):
        pdf.add_page()
        if number == 0:
            pdf.set_font("DejaVu", size=16)
            pdf.multi_cell(0, 9, title)
            pdf.ln(4)
        pdf.set_font("DejaVu", size=11)
        for text in paragraphs:
            pdf.multi_cell(0, 6, text)
            pdf.ln(3)
        pdf.set_y(-15)
        pdf.cell(0, 6, str(number + 1), align="C")  # a page number, not text of the article
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path, text_pages: int = 0, image_pages: int = 2) -> Path:
    """A PDF whose pages are images only (a scan), after `text_pages` pages of text."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = path.with_suffix(".png")
    scan = Image.new("RGB", (600, 300), "white")
    ImageDraw.Draw(scan).text((20, 20), "Trang bao scan", fill="black")
    scan.save(image)
    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(font()))
    pdf.set_font("DejaVu", size=11)
    for _ in range(text_pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, PDF_PAGE_1[0])
    for _ in range(image_pages):
        pdf.add_page()
        pdf.image(str(image), x=10, y=10, w=180)
    pdf.output(str(path))
    image.unlink()
    return path


def marker_of(messages, needle: str) -> int | None:
    """The marker of the excerpt shown to the model that holds `needle`, if one does."""
    for line in messages[-1]["content"].splitlines():
        if needle in line and line.startswith("["):
            return int(line[1 : line.index("]")])
    return None


def citing(needle: str, answer: str):
    """A scripted model reply: `answer` citing the excerpt that contains `needle`."""

    def reply(messages) -> str:
        n = marker_of(messages, needle)
        return "NOT_FOUND" if n is None else f"{answer} [{n}]."

    return reply


def reading(*answers: str):
    """A model that answers each question it is asked with the next of `answers` ("130
    vụ"), citing the shown excerpt that holds those words (else [1]), as a reader would."""
    queue = list(answers)

    def reply(messages) -> str:
        if not queue:
            return "NOT_FOUND"
        answer = queue.pop(0)
        return f"{answer} [{marker_of(messages, answer) or 1}]."

    return reply


def paragraph(text: str, context: str = "", date: str = "2024-01", title: str = "Tổng kết"):
    """A one-paragraph passage of a written article, for reading its figures and people."""
    from assistant.types import Passage

    return Passage(id="p1", article="a.txt", title=title, date=date, paragraph=2, start=0,
                   end=0, text="", context=context, paragraph_text=text)  # fmt: skip
