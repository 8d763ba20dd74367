"""The OpenAI-compatible routes with the official `openai` client, a scripted model and the
hash embedder (no real models): answers, streaming, follow-ups, refusals, errors, the key.
The same against a real `assistant serve` is in tests/test_openai_serve.py."""

import json
import re

import openai
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.openai_api import MODEL_ID, Conversations, parse_request, router

CAMERA_Q = "Bảo Lộc có bao nhiêu mắt camera an ninh?"
BAO_LOC = "001_221d6abb8b15921d.txt"
GIA_LAI = "002_7b481aa43f29ee0d.txt"


def camera_model(messages) -> str:
    """Answers a camera question from the excerpts it is shown, with their marker."""
    prompt = messages[-1]["content"]
    question = prompt.rsplit("Question:", 1)[-1]
    wanted = "551" if "Gia Lai" in question else "gần 300"
    for line in prompt.splitlines():
        found = re.match(rf"\[(\d+)\] .*{wanted} mắt camera", line)
        if found:
            return f"Có {wanted} mắt camera [{found.group(1)}]."
    return "NOT_FOUND"


def client_for(assistant, logins=None, api_key="none") -> openai.OpenAI:
    app = FastAPI()
    app.include_router(router(assistant, logins))
    http = TestClient(app, base_url="http://testserver")
    return openai.OpenAI(base_url="http://testserver/v1", api_key=api_key, http_client=http,
                         max_retries=0)  # fmt: skip


@pytest.fixture()
def client(make_assistant):
    return client_for(make_assistant(camera_model))


def ask(client, messages, **kw):
    return client.chat.completions.create(model=MODEL_ID, messages=messages, **kw)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def test_the_one_model_is_listed(client):
    assert [m.id for m in client.models.list().data] == [MODEL_ID]
    assert client.models.retrieve(MODEL_ID).id == MODEL_ID


def test_answer_with_numbered_sources_and_structured_citations(client):
    reply = ask(client, [{"role": "system", "content": "Be brief."}, user(CAMERA_Q)])
    content = reply.choices[0].message.content
    answer, sources = content.split("\n\nNguồn:\n")
    assert "gần 300 mắt camera" in answer and answer.endswith("[1].")
    assert sources.startswith("[1] ") and f"({BAO_LOC}, đoạn 6)" in sources
    (citation,) = reply.model_extra["citations"]
    assert citation["n"] == 1 and citation["article"] == BAO_LOC and citation["paragraph"] == 6
    assert "gần 300 mắt camera" in citation["quote"] and citation["date"] == "2022-01"
    assert citation["title"] and reply.model_extra["found"] is True


def test_stream_carries_the_checked_answer_and_the_draft_apart(client):
    plain = ask(client, [user(CAMERA_Q)]).choices[0].message.content
    chunks = list(ask(client, [user(CAMERA_Q)], stream=True))
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    draft = "".join((c.choices[0].delta.model_extra or {}).get("draft", "") for c in chunks)
    assert content == plain  # what a client shows: the checked answer and its sources
    assert draft.strip() == "Có gần 300 mắt camera [1]."  # the model's words, unchecked
    assert "tính đến" in content and "tính đến" not in draft  # the checks added the date
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert [c["article"] for c in chunks[-1].model_extra["citations"]] == [BAO_LOC]


def test_a_follow_up_is_read_from_the_messages(client):
    first = ask(client, [user(CAMERA_Q)]).choices[0].message.content
    messages = [user(CAMERA_Q), {"role": "assistant", "content": first},
                user("Còn tỉnh Gia Lai thì sao?")]  # fmt: skip
    reply = ask(client, messages)
    assert "551" in reply.choices[0].message.content
    assert [c["article"] for c in reply.model_extra["citations"]] == [GIA_LAI]


def test_earlier_turns_are_understood_as_when_they_were_answered(make_assistant):
    assistant = make_assistant(camera_model)
    first = assistant.ask(CAMERA_Q)
    follow = "Còn tỉnh Gia Lai thì sao?"
    exchanges = ((CAMERA_Q, first.text), (follow, "Có 551 mắt camera [1]."))
    fresh = Conversations().history(assistant, exchanges)  # a conversation not seen here
    assert [t.standalone for t in fresh] == [
        CAMERA_Q,
        "Tỉnh Gia Lai có bao nhiêu mắt camera an ninh?",
    ]
    known = Conversations()
    known.remember(exchanges[:1], CAMERA_Q)
    known.remember(exchanges, "Gia Lai có bao nhiêu mắt camera an ninh (tỉnh)?")
    assert known.history(assistant, exchanges)[-1].standalone.endswith("(tỉnh)?")


def test_a_refusal_is_an_ordinary_answer(client):
    reply = ask(client, [user("Đà Nẵng có bao nhiêu mắt camera an ninh?")])
    assert reply.choices[0].message.content == "Không tìm thấy thông tin này trong các bài báo."
    assert reply.model_extra["citations"] == [] and reply.model_extra["found"] is False
    streamed = list(ask(client, [user("Đà Nẵng có bao nhiêu mắt camera an ninh?")], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in streamed).startswith("Không tìm")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"[]", 400, "invalid_json"),
        (json.dumps({"model": MODEL_ID, "messages": []}).encode(), 400, "empty_messages"),
        (json.dumps({"model": MODEL_ID}).encode(), 400, "empty_messages"),
        (json.dumps({"messages": [user("x")]}).encode(), 400, "missing_model"),
        (json.dumps({"model": "gpt-4o", "messages": [user("x")]}).encode(), 404,
         "model_not_found"),
        (json.dumps({"model": MODEL_ID, "messages": [user("   ")]}).encode(), 400,
         "empty_question"),
        (json.dumps({"model": MODEL_ID, "messages": [user("camera " * 1000)]}).encode(), 400,
         "context_length_exceeded"),
        (json.dumps({"model": MODEL_ID, "messages": [user("x"), {"role": "assistant",
         "content": "y"}]}).encode(), 400, "invalid_messages"),
        (json.dumps({"model": MODEL_ID, "messages": [user("x")], "stream": "yes"}).encode(), 400,
         "invalid_type"),
        (b" " * 1_000_001, 413, "request_too_large"),
    ],
)  # fmt: skip
def test_bad_requests_get_openai_shaped_errors(make_assistant, body, status, code):
    assistant = make_assistant(camera_model)
    app = FastAPI()
    app.include_router(router(assistant))
    reply = TestClient(app).post("/v1/chat/completions", content=body)
    assert reply.status_code == status
    error = reply.json()["error"]
    assert error["code"] == code and error["type"] == "invalid_request_error"
    assert error["message"] and "Traceback" not in error["message"]
    assert assistant.llm.calls == []


def test_the_official_client_raises_its_own_errors(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[user(CAMERA_Q)])
    with pytest.raises(openai.BadRequestError, match="context_length_exceeded"):
        ask(client, [user("camera " * 1000)])


def test_text_parts_are_read_as_the_message(make_assistant):
    parts = [{"type": "text", "text": CAMERA_Q}, {"type": "image_url", "image_url": {"url": "x"}}]
    body = json.dumps({"model": MODEL_ID, "messages": [{"role": "user", "content": parts}]})
    assert parse_request(body.encode()).question == CAMERA_Q


def test_the_key_is_required_with_auth(make_assistant):
    assistant = make_assistant(camera_model)
    logins = [("bientap", "mat-khau-9")]
    for key in ("none", "bientap", "mat-khau-8", "bientap:mat-khau-8"):
        with pytest.raises(openai.AuthenticationError):
            ask(client_for(assistant, logins, key), [user(CAMERA_Q)])
        with pytest.raises(openai.AuthenticationError):
            client_for(assistant, logins, key).models.list()
    for key in ("mat-khau-9", "bientap:mat-khau-9"):
        reply = ask(client_for(assistant, logins, key), [user(CAMERA_Q)])
        assert "300" in reply.choices[0].message.content
    app = FastAPI()
    app.include_router(router(assistant, logins))
    bare = TestClient(app).post("/v1/chat/completions", content=b"{}")
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "invalid_api_key"


def test_the_web_app_serves_the_page_and_the_api_on_one_port(make_assistant, tmp_path):
    from assistant.web import app

    assistant = make_assistant([], articles_dir=tmp_path, auth="bientap:mat-khau-9")
    with TestClient(app(assistant, assistant.config)) as web:
        assert web.get("/v1/models").status_code == 401
        headers = {"Authorization": "Bearer mat-khau-9"}
        assert web.get("/v1/models", headers=headers).json()["data"][0]["id"] == MODEL_ID
        assert web.get("/config").status_code == 401  # the page needs its login too
        web.post("/login", data={"username": "bientap", "password": "mat-khau-9"})
        assert web.get("/config").status_code == 200
