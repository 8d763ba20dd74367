"""Generation behind one small interface: `LLM.chat(messages, max_tokens, on_token) -> str`.

Every backend is a llama-index LLM; `LlamaIndexChat` adapts any of them to that interface
(plain `{"role", "content"}` dicts in, text out, pieces to `on_token` as they stream) and
turns whatever the backend raises (server down, timeout, HTTP error) into one `LLMError`
saying what to check, which the answering code turns into a "sources only" reply.
`make_llm(config)` builds the configured one:

- `local`: the GGUF model in-process through llama.cpp (`assistant.llamacpp.LlamaCppLLM`);
- `openai`: any OpenAI-compatible server (vLLM, LM Studio, llama.cpp server, Ollama's
  `/v1`) through llama-index's `OpenAILike`;
- `ollama`: an Ollama server through llama-index's `Ollama` integration.

llama-index is imported only when a backend is built (`assistant --help` stays instant);
its global `Settings` are never read or written. Test doubles live in the tests; prompt
wording lives in `prompts/`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]
TokenCallback = Callable[[str], None]
BACKENDS = ("local", "openai", "ollama")


class LLMError(RuntimeError):
    """The generation backend failed; the message says what to check."""


class LLM(Protocol):
    name: str

    def chat(
        self, messages: Messages, max_tokens: int = 200, on_token: TokenCallback | None = None
    ) -> str: ...


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def describe_failure(exc: BaseException, where: str) -> str:
    """One line for a backend failure: timed out, an HTTP error, unreachable, or else."""
    chain = _chain(exc)
    names = " ".join(type(e).__name__ for e in chain)
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    if "Timeout" in names:
        return f"the LLM server at {where} timed out"
    status = next((e.status_code for e in chain if isinstance(getattr(e, "status_code", None),
                                                            int)), None)  # fmt: skip
    if status is not None:
        return f"the LLM server at {where} answered HTTP {status}: {detail}"
    if "Connect" in names:
        return f"cannot reach the LLM server at {where} ({detail}); is it running?"
    return f"the LLM backend {where} failed: {type(exc).__name__}: {detail}"


def _takes_max_tokens(llm: Any) -> bool:
    """Whether `max_tokens=` given per call reaches the model: llama.cpp in-process and the
    OpenAI family forward it; others (Ollama: `num_predict` at construction) do not."""
    return any(
        (c.__module__, c.__name__) == ("llama_index.llms.openai.base", "OpenAI")
        or c.__name__ == "LlamaCppLLM"
        for c in type(llm).__mro__
    )


class LlamaIndexChat:
    """The assistant's `LLM` interface over a llama-index LLM (`.llm`)."""

    def __init__(self, llm: Any, where: str = "") -> None:
        self.llm = llm
        self.name = str(getattr(llm, "model", "") or type(llm).__name__)
        self.where = where or self.name
        self.build = getattr(llm, "build", "")  # what llama.cpp was compiled for (local)
        self._per_call = _takes_max_tokens(llm)

    def chat(
        self, messages: Messages, max_tokens: int = 200, on_token: TokenCallback | None = None
    ) -> str:
        from llama_index.core.base.llms.types import ChatMessage

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        kwargs = {"max_tokens": max_tokens} if self._per_call else {}
        try:
            if on_token is None:
                return self.llm.chat(chat, **kwargs).message.content or ""
            direct = getattr(self.llm, "stream_with_callback", None)
            if direct is not None:  # llama.cpp in-process: its callback, no thread between
                return direct(chat, on_token, **kwargs)
            parts: list[str] = []
            for response in self.llm.stream_chat(chat, **kwargs):
                if response.delta:
                    parts.append(response.delta)
                    on_token(response.delta)
            return "".join(parts)
        except LLMError:
            raise
        except Exception as exc:
            raise LLMError(describe_failure(exc, self.where)) from exc


def as_chat(llm: Any) -> LLM:
    """`llm` behind the assistant's interface: a llama-index LLM is adapted, anything else
    (already speaking `chat(messages, max_tokens, on_token)`) is taken as it is."""
    if "llama_index.core" in sys.modules:  # else it cannot be a llama-index LLM
        from llama_index.core.base.llms.base import BaseLLM

        if isinstance(llm, BaseLLM):
            return LlamaIndexChat(llm)
    return llm


def local_llm(config) -> Any:
    """The in-process llama.cpp model as the configuration asks for it (the one place it
    is built)."""
    from assistant.llamacpp import LlamaCppLLM

    return LlamaCppLLM(
        config.llm_model_path,
        threads=config.llm_threads,
        context_window=config.llm_ctx,
        parallel=config.llm_parallel,
        max_tokens=config.max_answer_tokens,
    )


def ollama_url(base_url: str) -> str:
    """Ollama's own API lives at the server root: `http://host:11434/v1` -> `http://host:11434`."""
    url = base_url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def llamaindex_llm(config) -> Any:
    """The configured backend as a llama-index LLM."""
    if config.llm not in BACKENDS:
        raise LLMError(f"llm must be one of {', '.join(BACKENDS)}, not {config.llm!r}")
    if config.llm == "local":
        return local_llm(config)
    if not config.llm_model:
        raise LLMError(f"the {config.llm} backend needs a model name (--llm-model)")
    if config.llm == "openai":
        from llama_index.llms.openai_like import OpenAILike

        # A placeholder key, never OPENAI_API_KEY from the environment, for keyless servers;
        # no max_tokens here: one set at construction would override each call's.
        return OpenAILike(model=config.llm_model, api_base=config.llm_base_url,
                          api_key=config.llm_api_key or "no-key", is_chat_model=True,
                          context_window=config.llm_ctx, temperature=0.0,
                          timeout=config.llm_timeout, max_retries=0)  # fmt: skip
    from llama_index.llms.ollama import Ollama

    headers = {"Authorization": f"Bearer {config.llm_api_key}"} if config.llm_api_key else None
    return Ollama(model=config.llm_model, base_url=ollama_url(config.llm_base_url),
                  temperature=0.0, context_window=config.llm_ctx,
                  request_timeout=config.llm_timeout, headers=headers,
                  additional_kwargs={"num_predict": config.max_answer_tokens})  # fmt: skip


def make_llm(config) -> LlamaIndexChat:
    """The configured backend behind the assistant's `LLM` interface."""
    llm = llamaindex_llm(config)
    where = config.llm_base_url if config.llm == "openai" else config.llm_model_path
    if config.llm == "ollama":
        where = ollama_url(config.llm_base_url)
    return LlamaIndexChat(llm, where)
