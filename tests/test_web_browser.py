"""The web page in a real browser (Debian chromium driven by Playwright), real models.

One server for the module, on a copy of the seeds; the steps run in order like a user's
session: examples, a cited answer with its highlighted source, a follow-up, feedback, a
new conversation, then the articles panel (upload, ask about it, delete) and login.
Screenshots go to $SCREENSHOT_DIR (default: the test's temp dir).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from documents import DOCX_Q, write_docx, write_scanned_pdf
from serving import BROWSER_FLAGS, CHROMIUM, start_server, stop

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.models

NEW_ARTICLE = (
    "Đơn Dương lắp đặt camera giám sát trên các tuyến đường trọng điểm\n"
    "date 2022-03\n"
    "Ngày 5/3, Công an huyện Đơn Dương (tỉnh Lâm Đồng) cho biết đã phối hợp với các xã, "
    "thị trấn lắp đặt 137 camera giám sát tại các tuyến đường trọng điểm của huyện.\n\n"
    "Thượng tá Nguyễn Văn Hùng, Trưởng Công an huyện Đơn Dương, cho biết nhờ hệ thống "
    "camera, trong năm 2021 lực lượng công an huyện đã làm rõ 42 vụ trộm cắp tài sản.\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian chromium)")
    base = tmp_path_factory.mktemp("web")
    articles, index = base / "articles", base / "index"
    shutil.copytree(ROOT / "seeds", articles)
    built = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--articles", str(articles), "--index-dir",
         str(index)], cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    proc, url = start_server("--articles", str(articles), "--index-dir", str(index))
    shots = Path(os.environ.get("SCREENSHOT_DIR") or base / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    yield {"url": url, "articles": articles, "index": index, "shots": shots, "base": base}
    stop(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    page.set_default_timeout(180_000)
    page.goto(site["url"], wait_until="load")
    page.wait_for_selector("#question textarea")
    return page


def ask(page, question: str):
    """Type a question, wait for the checked answer; return the last answer's locator."""
    count = page.locator("#chat .answer").count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#chat .answer').length > {count}", polling=200
    )
    return page.locator("#chat .answer").last


def test_examples_then_cited_answer_with_highlighted_source(page, site):
    assert "Bảo Lộc có bao nhiêu mắt camera an ninh?" in page.inner_text("#chat")
    page.screenshot(path=site["shots"] / "1-empty.png")

    page.evaluate(
        """() => new MutationObserver(() => {
             const d = document.querySelector('#chat .draft p');
             if (d && d.innerText.trim()) window.sawDraft = d.innerText;
           }).observe(document.body, {subtree: true, childList: true, characterData: true})"""
    )
    page.get_by_text("Bảo Lộc có bao nhiêu mắt camera an ninh?").click()
    page.wait_for_selector("#chat .draft, #chat .answer")  # something shows at once
    page.wait_for_selector("#chat .answer")
    assert page.evaluate("window.sawDraft"), "the model's words were not streamed"
    answer = page.locator("#chat .answer").last
    assert "300" in answer.locator("p").first.inner_text()
    # the marker is a superscript link to a source listed under the answer
    link = answer.locator("sup.cite a").first
    target = link.get_attribute("href")
    source = answer.locator(f"li{target}")
    assert source.count() == 1
    assert "001_221d6abb8b15921d.txt" in source.inner_text()
    assert "300" in source.locator("blockquote mark").inner_text()
    link.click()
    assert source.is_visible()
    page.screenshot(path=site["shots"] / "2-answer.png")


def test_follow_up_uses_the_conversation(page, site):
    answer = ask(page, "Còn tỉnh Gia Lai thì sao?")
    assert "551" in answer.locator("p").first.inner_text()
    assert "002_7b481aa43f29ee0d.txt" in answer.locator(".sources").inner_text()
    page.screenshot(path=site["shots"] / "3-follow-up.png")


def test_like_is_logged_with_question_answer_and_citations(page, site):
    page.locator("#chat button[aria-label='Like']").first.click()
    log = site["index"] / "feedback.jsonl"
    page.wait_for_function("1")  # let the event reach the server
    for _ in range(50):
        if log.is_file() and log.read_text().strip():
            break
        page.wait_for_timeout(200)
    record = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert record["liked"] is True
    assert record["question"] == "Bảo Lộc có bao nhiêu mắt camera an ninh?"
    assert "300" in record["answer"] and record["citations"][0]["paragraph"] == 6


def test_new_conversation_clears_the_chat_and_its_context(page, site):
    page.click("#new-chat")
    page.wait_for_function("document.querySelectorAll('#chat .answer').length === 0")
    answer = ask(page, "Còn tỉnh Gia Lai thì sao?")  # nothing to follow up on now
    assert "551" not in answer.inner_text()


def wait_for_status(page, before: str, needle: str, timeout: int = 600_000) -> str:
    """Wait until the index status is a new one (not `before`) holding `needle`; return it.
    A status left by an earlier action must not pass for this one's."""
    page.wait_for_function(
        "([before, needle]) => { const t = document.querySelector('#index-status').innerText;"
        " return t !== before && t.includes(needle); }",
        arg=[before, needle],
        timeout=timeout,
        polling=250,
    )
    return page.inner_text("#index-status")


def test_upload_an_article_ask_about_it_then_delete_it(page, site):
    page.click("#tab-articles-button")
    table = page.locator("#articles")
    page.wait_for_function("document.querySelector('#articles').innerText.includes('.txt')")
    assert "001_221d6abb8b15921d.txt" in table.inner_text()
    upload = site["base"] / "don duong/../camera Đơn Dương?.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text(NEW_ARTICLE, encoding="utf-8")
    before = page.inner_text("#index-status")
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    status = wait_for_status(page, before, "Đã lập chỉ mục")
    assert "thêm 1" in status, status
    saved = [p.name for p in site["articles"].iterdir()]
    assert "camera_Đơn_Dương.txt" in saved  # sanitized, inside the articles folder
    assert "Đơn Dương" in table.inner_text()
    page.screenshot(path=site["shots"] / "4-articles.png")

    page.click("#tab-chat-button")
    answer = ask(page, "Huyện Đơn Dương đã lắp đặt bao nhiêu camera giám sát?")
    assert "137" in answer.locator("p").first.inner_text()
    assert "camera_Đơn_Dương.txt" in answer.locator(".sources").inner_text()
    page.screenshot(path=site["shots"] / "5-uploaded-answer.png")

    page.click("#tab-articles-button")
    page.locator("#pick input").fill("camera_Đơn_Dương.txt")
    page.get_by_role("option", name="camera_Đơn_Dương.txt").click()
    before = page.inner_text("#index-status")
    page.click("#delete")
    assert "xoá 1" in wait_for_status(page, before, "Đã xoá")
    assert not (site["articles"] / "camera_Đơn_Dương.txt").exists()
    page.click("#tab-chat-button")
    answer = ask(page, "Huyện Đơn Dương đã lắp đặt bao nhiêu camera giám sát?")
    assert "137" not in answer.inner_text()


def test_chat_keeps_answering_while_the_index_is_rebuilt(page, site):
    from gradio_client import Client

    page.click("#tab-articles-button")
    page.click("#rebuild")
    page.wait_for_function(
        "document.querySelector('#index-status').innerText.includes('Đang lập lại chỉ mục')"
    )
    page.wait_for_timeout(3000)
    page.screenshot(path=site["shots"] / "7-rebuilding.png")
    reply = Client(site["url"], verbose=False).predict(
        "Bảo Lộc có bao nhiêu mắt camera an ninh?", api_name="/chat"
    )
    still_running = "Đã lập chỉ mục" not in page.inner_text("#index-status")
    assert "300" in reply and "001_221d6abb8b15921d.txt" in reply
    assert still_running, "the rebuild ended before the answer: nothing was shown"
    page.wait_for_function(  # re-embedding the seeds takes ~4 min on an AVX2-only CPU
        "document.querySelector('#index-status').innerText.includes('Đã lập chỉ mục')",
        timeout=900_000,
    )
    assert "giữ nguyên 5" in page.inner_text("#index-status")


def test_upload_a_word_article_and_ask_about_it(page, site):
    page.click("#tab-articles-button")
    write_docx(site["base"] / "lam-ha.docx")
    before = page.inner_text("#index-status")
    page.locator("#upload input[type=file]").set_input_files(str(site["base"] / "lam-ha.docx"))
    assert "thêm 1" in wait_for_status(page, before, "Đã lập chỉ mục")
    page.click("#tab-chat-button")
    answer = ask(page, DOCX_Q)
    assert "214" in answer.locator("p").first.inner_text()
    assert "lam-ha.docx" in answer.locator(".sources").inner_text()


def test_upload_of_a_wrong_type_or_a_scan_is_refused(page, site):
    page.click("#tab-articles-button")
    bad = site["base"] / "notes.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0 an old Word file")
    page.locator("#upload input[type=file]").set_input_files(str(bad))
    page.wait_for_timeout(1500)
    assert not (site["articles"] / "notes.doc").exists()
    scan = write_scanned_pdf(site["base"] / "scan.pdf")
    before = page.inner_text("#index-status")
    page.locator("#upload input[type=file]").set_input_files(str(scan))
    wait_for_status(page, before, "no text layer")
    assert not any(p.suffix == ".pdf" for p in site["articles"].iterdir())


LOAD_QUESTIONS = {
    "Bảo Lộc có bao nhiêu mắt camera an ninh?": "300",
    "Tỉnh Gia Lai có bao nhiêu mắt camera an ninh?": "551",
    "Năm 2021 các cơ quan, đoàn thể ở Pleiku đã tổ chức bao nhiêu lượt phát động phong trào?": (
        "105"
    ),
    "Có bao nhiêu lượt người tham dự các đợt phát động phong trào ở Pleiku năm 2021?": "9.890",
}


def test_sixteen_users_at_once_each_get_their_own_answer(site):
    """Answers are generated together (llama.cpp's parallel slots); every user gets the
    answer to their own question, none mixed up with another's."""
    import statistics
    import time
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    questions = [q for q in LOAD_QUESTIONS for _ in range(4)]

    def one(question: str):
        started = time.perf_counter()
        reply = Client(site["url"], verbose=False).predict(question, api_name="/chat")
        return question, reply, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, questions))
    for question, reply, _ in results:
        expected = LOAD_QUESTIONS[question]
        others = [v for q, v in LOAD_QUESTIONS.items() if q != question]
        assert expected in reply, (question, reply)
        assert not any(v in reply.split("Nguồn")[0] for v in others), (question, reply)
    seconds = sorted(s for _, _, s in results)
    print(f"16 users: p50 {statistics.median(seconds):.1f} s, p95 {seconds[14]:.1f} s, "
          f"max {seconds[-1]:.1f} s")  # fmt: skip


def test_login_is_required_for_the_page_and_the_api(site, browser):
    from gradio_client import Client

    login = {"ASSISTANT_AUTH": "bientap:mat-khau-9"}
    proc, url = start_server("--articles", str(site["articles"]), "--index-dir",
                             str(site["index"]), env=login)  # fmt: skip
    try:
        with pytest.raises(Exception, match=re.compile("401|403|login|auth|Unauthor", re.I)):
            Client(url, verbose=False).predict("Bảo Lộc có bao nhiêu mắt camera?", api_name="/chat")
        reply = Client(url, auth=("bientap", "mat-khau-9"), verbose=False).predict(
            "Bảo Lộc có bao nhiêu mắt camera an ninh?", api_name="/chat"
        )
        assert "300" in reply
        import httpx

        upload = httpx.post(f"{url}gradio_api/upload", files={"files": ("a.txt", b"x")})
        assert upload.status_code in (401, 403)
        page = browser.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_selector("input[type=password]", timeout=60_000)
        assert page.locator("#question").count() == 0
        page.screenshot(path=site["shots"] / "6-login.png")
        page.close()
    finally:
        stop(proc)
