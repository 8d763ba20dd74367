"""The OpenAI-compatible backend against a real local HTTP server started by the test."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.llm import LLMError, OpenAICompatibleLLM


class _Handler(BaseHTTPRequestHandler):
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
            self.end_headers()
            self.wfile.write(b"model exploded")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in ["Bảo Lộc có ", "gần 300 ", "mắt camera [1]."]:
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_streams_tokens_from_a_compatible_server(server):
    llm = OpenAICompatibleLLM(server, "qwen2.5:1.5b", api_key="secret")
    tokens = []
    text = llm.chat([{"role": "user", "content": "hi"}], max_tokens=50, on_token=tokens.append)
    assert text == "Bảo Lộc có gần 300 mắt camera [1]."
    assert tokens == ["Bảo Lộc có ", "gần 300 ", "mắt camera [1]."]
    request = _Handler.seen[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "qwen2.5:1.5b" and request["body"]["stream"] is True
    assert request["auth"] == "Bearer secret"


def test_server_errors_and_unreachable_servers_are_clear(server):
    with pytest.raises(LLMError, match="HTTP 500"):
        OpenAICompatibleLLM(server, "broken").chat([{"role": "user", "content": "hi"}])
    with pytest.raises(LLMError, match="cannot reach"):
        OpenAICompatibleLLM("http://127.0.0.1:9/v1", "m", timeout=2).chat(
            [{"role": "user", "content": "hi"}]
        )
