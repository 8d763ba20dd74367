"""The OpenAI-compatible API of `assistant serve`: `GET /v1/models` and
`POST /v1/chat/completions`, for chat front-ends and scripts written against the OpenAI API.

- The conversation comes from `messages`: user/assistant pairs become `Turn`s (the
  "Nguồn" lines a client sends back are dropped), the last user message is the question,
  system messages are not read (the assistant's own instructions apply). Follow-ups are
  resolved as in the web chat: the standalone question of a turn answered here is
  remembered by the conversation's text; for one this server has not answered, the
  assistant re-derives it.
- The reply's `content` is the checked answer followed by its numbered "Nguồn" lines
  (`render.answer_text`); the citations also come as data (`citations`: article, title,
  date, paragraph, text, quote) with `found`, extra fields that ordinary clients ignore.
  A refusal is an ordinary answer that says so.
- `stream: true`: OpenAI's `chat.completion.chunk` events. While the model writes, its
  unchecked draft goes out only in an extra `draft` field of the deltas (never in
  `content`); once checked, the answer is sent as `content`, the citations ride on the
  last chunk, then `data: [DONE]`.
- Errors are OpenAI-shaped (`{"error": {"message", "type", "param", "code"}}`): 400 for
  bad JSON, empty messages or a question over the length limit, 401 for a missing or
  wrong key, 404 for an unknown model, 413 for an oversized body. Sampling parameters
  (temperature, max_tokens, …) are ignored: the answer is whatever passes the checks.

How the routes are served next to the web page (and the login) is `assistant.web`.
"""

# No `from __future__ import annotations`: FastAPI reads the route handlers' annotations
# (Request) at run time, from inside `router`.
import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from assistant.answer import MAX_QUESTION_CHARS, Assistant, QuestionError, Turn, clean_question
from assistant.llm import LLMError
from assistant.render import answer_text
from assistant.types import Answer

log = logging.getLogger(__name__)

MODEL_ID = "vn-news-assistant"
MAX_BODY_BYTES = 1_000_000
SOURCES = "\n\nNguồn:\n"  # where `answer_text` starts the numbered sources
CREATED = 1_767_225_600  # 2026-01-01, the `created` of the one model listed


class ApiError(Exception):
    """A request the API refuses; becomes an OpenAI-shaped error body with `status`."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 param: str | None = None, kind: str = "invalid_request_error"):  # fmt: skip
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.kind = (
            status, message, code, param, kind)  # fmt: skip

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param,
                          "code": self.code}}  # fmt: skip


@dataclass(frozen=True)
class ChatRequest:
    question: str
    exchanges: tuple[tuple[str, str], ...]  # earlier (question, answer) pairs, oldest first
    stream: bool


def _text(content, where: str) -> str:
    """A message's text: a string, or the text parts of a list (images are not read)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p["text"] for p in content
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        )  # fmt: skip
    raise ApiError(400, f"{where}.content must be a string or a list of text parts",
                   "invalid_type", where)  # fmt: skip


def answer_part(content: str) -> str:
    """An assistant message as a client sends it back, without its "Nguồn" lines."""
    return content.split(SOURCES, 1)[0].strip()


def parse_request(raw: bytes, model_id: str = MODEL_ID) -> ChatRequest:
    """The question and the conversation before it, or ApiError saying what is wrong."""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"the request body is over {MAX_BODY_BYTES} bytes",
                       "request_too_large")  # fmt: skip
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"the request body is not valid JSON ({exc})", "invalid_json") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object", "invalid_json")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, f'give the model: "model": "{model_id}"', "missing_model", "model")
    if model != model_id:
        raise ApiError(404, f"the model {model!r} does not exist here; use {model_id!r} "
                       "(GET /v1/models)", "model_not_found", "model")  # fmt: skip
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise ApiError(400, "stream must be true or false", "invalid_type", "stream")
    if body.get("n") not in (None, 1):
        raise ApiError(400, "only n = 1 is supported", "unsupported_value", "n")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list of {role, content} objects",
                       "empty_messages", "messages")  # fmt: skip
    talk: list[tuple[str, str]] = []
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ApiError(400, f"{where} must be an object with a role and a content",
                           "invalid_type", where)  # fmt: skip
        if m["role"] in ("user", "assistant"):
            talk.append((m["role"], _text(m.get("content"), where)))
    if not talk or talk[-1][0] != "user":
        raise ApiError(400, "the last message must be the user's question (role user)",
                       "invalid_messages", "messages")  # fmt: skip
    question = talk[-1][1]
    try:
        clean_question(question)
    except QuestionError as exc:
        long = len(" ".join(question.split())) > MAX_QUESTION_CHARS
        code = "context_length_exceeded" if long else "empty_question"
        raise ApiError(400, str(exc), code, f"messages[{len(messages) - 1}].content") from exc
    earlier = talk[:-1]  # each user message answered by the assistant message after it
    pairs = zip(earlier, earlier[1:], strict=False)
    exchanges = tuple((q, answer_part(a)) for (r, q), (s, a) in pairs
                      if r == "user" and s == "assistant" and q.strip())  # fmt: skip
    return ChatRequest(question, exchanges, stream)


class Conversations:
    """The standalone question of each turn (what the assistant understood it as), keyed by
    the conversation's text up to that turn: a follow-up then builds on the turn as it was
    understood when it was answered, as in the web chat. Bounded; nothing but question
    texts is kept, and a conversation's text is its only key."""

    def __init__(self, size: int = 4096) -> None:
        self._known: OrderedDict[str, str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    @staticmethod
    def _key(exchanges) -> str:
        text = json.dumps([[q.strip(), a.strip()] for q, a in exchanges], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def remember(self, exchanges, standalone: str) -> None:
        with self._lock:
            self._known[self._key(exchanges)] = standalone
            self._known.move_to_end(self._key(exchanges))
            while len(self._known) > self._size:
                self._known.popitem(last=False)

    def _recall(self, exchanges) -> str | None:
        with self._lock:
            return self._known.get(self._key(exchanges))

    def history(self, assistant: Assistant, exchanges) -> list[Turn]:
        """`Turn`s for the earlier exchanges; a turn not answered here is re-derived."""
        turns: list[Turn] = []
        for i, (question, answer) in enumerate(exchanges):
            standalone = self._recall(exchanges[: i + 1])
            if standalone is None:
                try:
                    standalone = assistant.standalone(clean_question(question), turns)
                except (QuestionError, LLMError) as exc:
                    log.info("earlier turn not re-derived: %s", exc)
                    standalone = ""
                self.remember(exchanges[: i + 1], standalone)
            turns.append(Turn(question, answer, standalone))
        return turns


def answer_for(assistant: Assistant, conversations: Conversations, request: ChatRequest,
               on_token=None) -> Answer:  # fmt: skip
    """Answer the request's question in its conversation (blocking: run it in a thread)."""
    history = conversations.history(assistant, request.exchanges)
    answer = assistant.ask(request.question, history, on_token=on_token)
    turn = (request.question, answer.text)
    conversations.remember((*request.exchanges, turn), answer.standalone_question)
    return answer


def _extras(answer: Answer) -> dict:
    return {"citations": [c.to_json() for c in answer.citations], "found": answer.found}


def completion(answer: Answer, model: str, cid: str, created: int) -> dict:
    message = {"role": "assistant", "content": answer_text(answer)}
    return {"id": cid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop",
                         "logprobs": None}], **_extras(answer)}  # fmt: skip


def chunk(model: str, cid: str, created: int, delta: dict, finish: str | None = None,
          **extra) -> str:  # fmt: skip
    """One server-sent event holding a `chat.completion.chunk`."""
    data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                         "logprobs": None}], **extra}  # fmt: skip
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def stream_events(assistant: Assistant, conversations: Conversations,
                        request: ChatRequest, model: str) -> AsyncIterator[str]:  # fmt: skip
    """The SSE stream of one answer: role, draft deltas, the checked answer line by line,
    the last chunk with the citations, `[DONE]`. The answer is worked out in a thread."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

    def put(kind: str, value: object) -> None:
        loop.call_soon_threadsafe(events.put_nowait, (kind, value))

    def work() -> None:
        try:
            put("final", answer_for(assistant, conversations, request,
                                    lambda piece: put("draft", piece)))  # fmt: skip
        except Exception as exc:  # the client reads an error event, never a traceback
            log.exception("answering failed")
            put("error", exc)

    threading.Thread(target=work, daemon=True, name="openai-answer").start()
    yield chunk(model, cid, created, {"role": "assistant", "content": ""})
    while True:
        kind, value = await events.get()
        if kind == "draft":
            yield chunk(model, cid, created, {"draft": value})
        elif kind == "final":
            assert isinstance(value, Answer)
            for line in answer_text(value).splitlines(keepends=True):
                yield chunk(model, cid, created, {"content": line})
            yield chunk(model, cid, created, {}, "stop", **_extras(value))
            break
        else:
            error = ApiError(500, f"answering failed ({value.__class__.__name__}: {value})",
                             "answer_failed", kind="server_error")  # fmt: skip
            yield f"data: {json.dumps(error.body(), ensure_ascii=False)}\n\n"
            break
    yield "data: [DONE]\n\n"


def key_ok(header: str, logins: list[tuple[str, str]]) -> bool:
    """`Authorization: Bearer PASSWORD` or `Bearer USER:PASSWORD`, for any --auth login."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    token = token.strip().encode()
    ok = False
    for user, password in logins:  # compare with every login: no early exit, constant time
        ok |= hmac.compare_digest(token, password.encode())
        ok |= hmac.compare_digest(token, f"{user}:{password}".encode())
    return ok


def router(assistant: Assistant, logins: list[tuple[str, str]] | None = None,
           model_id: str = MODEL_ID):  # fmt: skip
    """A FastAPI router with the two routes; `logins` (from --auth) require a key."""
    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse, StreamingResponse
    from starlette.concurrency import run_in_threadpool

    api = APIRouter()
    conversations = Conversations()

    def refused(error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(error.body(), status_code=error.status, headers=headers)

    def check_key(request: Request) -> None:
        if logins and not key_ok(request.headers.get("authorization", ""), logins):
            raise ApiError(401, "a valid API key is required: Authorization: Bearer PASSWORD "
                           "(or USER:PASSWORD) of an --auth login", "invalid_api_key")  # fmt: skip

    def model_card() -> dict:
        return {"id": model_id, "object": "model", "created": CREATED, "owned_by": "local"}

    @api.get("/v1/models")
    async def list_models(request: Request):
        try:
            check_key(request)
        except ApiError as error:
            return refused(error)
        return {"object": "list", "data": [model_card()]}

    @api.get("/v1/models/{name}")
    async def get_model(name: str, request: Request):
        try:
            check_key(request)
            if name != model_id:
                raise ApiError(404, f"the model {name!r} does not exist here; use "
                               f"{model_id!r}", "model_not_found", "model")  # fmt: skip
        except ApiError as error:
            return refused(error)
        return model_card()

    @api.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        try:
            check_key(request)
            chat = parse_request(await request.body(), model_id)
        except ApiError as error:
            return refused(error)
        if chat.stream:
            events = stream_events(assistant, conversations, chat, model_id)
            return StreamingResponse(events, media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})  # fmt: skip
        try:
            answer = await run_in_threadpool(answer_for, assistant, conversations, chat)
        except Exception as exc:  # one line for the client, the traceback in the log
            log.exception("answering failed")
            return refused(ApiError(500, f"answering failed ({exc.__class__.__name__}: {exc})",
                                    "answer_failed", kind="server_error"))  # fmt: skip
        cid = f"chatcmpl-{uuid.uuid4().hex}"
        return completion(answer, model_id, cid, int(time.time()))

    return api
