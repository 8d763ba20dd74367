"""The llama-index LLM backends (`OpenAILike`, `Ollama`) against real local HTTP servers
started by the test, behind the assistant's `chat(messages, max_tokens, on_token)`."""

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from serving import free_port

from assistant.config import Config
from assistant.llm import LLMError, make_llm

PIECES = ["Bảo Lộc có ", "gần 300 ", "mắt camera [1]."]
HI = [{"role": "system", "content": "Trả lời ngắn."}, {"role": "user", "content": "hi"}]


class _Handler(BaseHTTPRequestHandler):
    """An OpenAI-compatible `/v1/chat/completions` (SSE when streamed) and Ollama's
    `/api/chat` (NDJSON), each answering with PIECES; model "broken" gets HTTP 500."""

    seen: list[dict] = []

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 (http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.seen.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if body["model"] == "broken":
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "model exploded"}}')
            return
        if self.path == "/api/chat":
            return self._ollama(body)
        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(PIECES)}
            return self._json(
                {
                    "id": "1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                }
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in PIECES:
            chunk = {
                "id": "1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def _json(self, data: dict) -> None:
        raw = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _ollama(self, body: dict) -> None:
        if not body.get("stream", True):
            message = {"role": "assistant", "content": "".join(PIECES)}
            return self._json({"model": body["model"], "created_at": "2026-11-21T00:00:00Z",
                               "message": message, "done": True})  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for piece in [*PIECES, ""]:
            line = {
                "model": body["model"],
                "created_at": "2026-11-21T00:00:00Z",
                "message": {"role": "assistant", "content": piece},
                "done": not piece,
            }
            self.wfile.write((json.dumps(line, ensure_ascii=False) + "\n").encode())
            self.wfile.flush()


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _llm(backend: str, base_url: str, model: str = "qwen2.5:1.5b", **kw):
    return make_llm(replace(Config(), llm=backend, llm_base_url=base_url, llm_model=model, **kw))


def test_openai_like_streams_tokens_from_a_compatible_server(server):
    llm = _llm("openai", f"{server}/v1", llm_api_key="secret")
    assert type(llm.llm).__name__ == "OpenAILike"  # llama-index's own integration
    tokens = []
    text = llm.chat(HI, max_tokens=50, on_token=tokens.append)
    assert text == "Bảo Lộc có gần 300 mắt camera [1]."
    assert tokens == PIECES
    request = _Handler.seen[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "qwen2.5:1.5b" and request["body"]["stream"] is True
    assert request["body"]["max_tokens"] == 50 and request["body"]["temperature"] == 0.0
    assert request["body"]["messages"] == HI
    assert request["auth"] == "Bearer secret"
    assert llm.chat(HI, max_tokens=80) == "".join(PIECES)  # not streamed


def test_no_api_key_never_sends_the_environments_openai_key(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-of-the-user")
    _llm("openai", f"{server}/v1").chat(HI)
    assert "sk-of-the-user" not in (_Handler.seen[-1]["auth"] or "")


def test_ollama_integration_streams_from_an_ollama_server(server):
    llm = _llm("ollama", f"{server}/v1", llm_ctx=2048)  # the /v1 of the default URL is dropped
    assert type(llm.llm).__name__ == "Ollama"
    tokens = []
    assert llm.chat(HI, on_token=tokens.append) == "".join(PIECES)
    assert tokens == PIECES
    request = _Handler.seen[-1]
    assert request["path"] == "/api/chat" and request["body"]["messages"] == HI
    assert request["body"]["options"]["temperature"] == 0.0
    assert request["body"]["options"]["num_predict"] == Config().max_answer_tokens
    assert llm.chat(HI) == "".join(PIECES)


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_server_errors_and_unreachable_servers_are_clear(server, backend):
    base = f"{server}/v1" if backend == "openai" else server
    with pytest.raises(LLMError, match="HTTP 500"):
        _llm(backend, base, "broken").chat(HI, on_token=lambda _: None)
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LLMError, match="cannot reach"):
        _llm(backend, f"{closed}/v1", llm_timeout=2).chat(HI)


def test_a_backend_without_a_model_name_is_refused():
    with pytest.raises(LLMError, match="needs a model name"):
        make_llm(replace(Config(), llm="openai"))
