"""The OpenAI-compatible endpoint of a real `assistant serve` (real models, seeds), driven by
the official `openai` client: plain and streamed answers with structured citations, a
follow-up read from the messages, a refusal, bad requests, the key that --auth requires,
and 8 clients at once each getting their own answer. One server for the module."""

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
from serving import start_server, stop

from assistant.evaluate import answer_matches, read_questions

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.models

KEY = "mat-khau-9"
MODEL = "vn-news-assistant"
CAMERA_Q = "Bảo Lộc có bao nhiêu mắt camera an ninh?"
BAO_LOC = "001_221d6abb8b15921d.txt"
GIA_LAI = "002_7b481aa43f29ee0d.txt"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    base = tmp_path_factory.mktemp("openai")
    articles, index = base / "articles", base / "index"
    shutil.copytree(ROOT / "seeds", articles)
    built = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--articles", str(articles), "--index-dir",
         str(index)], cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    proc, url = start_server("--articles", str(articles), "--index-dir", str(index),
                             "--auth", f"bientap:{KEY}")  # fmt: skip
    yield url
    stop(proc)


def client(url: str, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}v1", api_key=key, timeout=600, max_retries=0)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def streamed(stream) -> tuple[str, list[dict]]:
    content, citations = "", []
    for chunk in stream:
        if chunk.choices:
            content += chunk.choices[0].delta.content or ""
        citations = (chunk.model_extra or {}).get("citations") or citations
    return content, citations


def test_plain_answer_cites_the_bao_loc_article(url):
    reply = client(url).chat.completions.create(model=MODEL, messages=[user(CAMERA_Q)])
    content = reply.choices[0].message.content
    assert "300" in content.split("Nguồn:")[0] and "\n\nNguồn:\n[1] " in content
    citations = reply.model_extra["citations"]
    assert BAO_LOC in [c["article"] for c in citations]
    assert all(c["quote"] and c["title"] and c["paragraph"] >= 1 for c in citations)
    assert any("300" in c["quote"] for c in citations)


def test_streamed_answer_is_the_checked_answer_with_its_citations(url):
    stream = client(url).chat.completions.create(model=MODEL, messages=[user(CAMERA_Q)],
                                                 stream=True)  # fmt: skip
    content, citations = streamed(stream)
    assert "300" in content.split("Nguồn:")[0] and "Nguồn:" in content
    assert BAO_LOC in [c["article"] for c in citations]


def test_follow_up_from_two_messages(url):
    api = client(url)
    first = api.chat.completions.create(model=MODEL, messages=[user(CAMERA_Q)])
    messages = [user(CAMERA_Q), {"role": "assistant", "content": first.choices[0].message.content},
                user("Còn tỉnh Gia Lai thì sao?")]  # fmt: skip
    content, citations = streamed(
        api.chat.completions.create(model=MODEL, messages=messages, stream=True)
    )
    assert "551" in content.split("Nguồn:")[0]
    assert GIA_LAI in [c["article"] for c in citations]


def test_refusal_is_an_ordinary_answer(url):
    reply = client(url).chat.completions.create(
        model=MODEL, messages=[user("Đà Nẵng có bao nhiêu mắt camera an ninh?")]
    )
    assert reply.choices[0].message.content.startswith("Không tìm thấy")
    assert reply.model_extra["found"] is False and reply.model_extra["citations"] == []


def test_bad_requests_and_the_key(url):
    api = client(url)
    with pytest.raises(openai.NotFoundError):
        api.chat.completions.create(model="gpt-4o", messages=[user(CAMERA_Q)])
    with pytest.raises(openai.BadRequestError):
        api.chat.completions.create(model=MODEL, messages=[])
    with pytest.raises(openai.BadRequestError, match="context_length_exceeded"):
        api.chat.completions.create(model=MODEL, messages=[user("camera " * 1000)])
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    bad = httpx.post(f"{url}v1/chat/completions", content=b"{oops", headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
    with pytest.raises(openai.AuthenticationError):
        client(url, "wrong").chat.completions.create(model=MODEL, messages=[user(CAMERA_Q)])
    assert httpx.get(f"{url}v1/models").status_code == 401
    assert client(url, f"bientap:{KEY}").models.list().data[0].id == MODEL


def test_eight_clients_at_once_each_get_their_own_answer(url):
    # figures of three digits or more, so that a figure cannot match by chance
    dev = [i for i in read_questions(ROOT / "tests/data/dev_questions.jsonl")
           if i["kind"] in ("numeric", "english") and len(i["answers"][0][0]) >= 3][:8]  # fmt: skip
    assert len({i["turns"][0] for i in dev}) == 8

    def one(n_item):
        n, item = n_item
        create = client(url).chat.completions.create
        messages = [user(item["turns"][0])]
        if n % 2:
            return streamed(create(model=MODEL, messages=messages, stream=True))
        reply = create(model=MODEL, messages=messages)
        return reply.choices[0].message.content, reply.model_extra["citations"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, enumerate(dev)))
    for item, (content, citations) in zip(dev, results, strict=True):
        answer = content.split("\n\nNguồn:\n")[0]
        assert answer_matches(answer, item["answers"]), (item["turns"][0], content)
        assert {c["article"] for c in citations} <= set(item["sources"]), json.dumps(citations)
        assert citations, item["turns"][0]
