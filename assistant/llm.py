"""Chat-completion backends behind one interface: `LLM.chat(messages, max_tokens, on_token)`.

- `LocalLLM`: a GGUF model in-process through xllamacpp (llama.cpp), CPU only. The
  system prompt is identical across calls, so llama.cpp's prompt cache reuses its KV.
- `OpenAICompatibleLLM`: any server speaking the OpenAI chat API (Ollama, vLLM, LM Studio,
  llama.cpp server), by base URL and model name, streamed over SSE.
Test doubles live in the tests. Prompt wording lives in `prompts/`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]
TokenCallback = Callable[[str], None]


class LLMError(RuntimeError):
    """The generation backend failed; the message says what to check."""


class LLM(Protocol):
    name: str

    def chat(
        self, messages: Messages, max_tokens: int = 200, on_token: TokenCallback | None = None
    ) -> str: ...


class LocalLLM:
    """llama.cpp in-process (xllamacpp), with `parallel` slots of `n_ctx` tokens: calls from
    several threads (one per slot, the rest wait) are decoded together in one batch."""

    def __init__(self, gguf_path: str, threads: int = 0, n_ctx: int = 4096, parallel: int = 1):
        if not os.path.isfile(gguf_path):
            raise LLMError(
                f"the generation model {gguf_path} is missing: run `make models` "
                "(or set ASSISTANT_LLM_MODEL to a GGUF file)"
            )
        import xllamacpp as xlc

        params = xlc.CommonParams()
        params.model.path = gguf_path
        params.n_ctx = n_ctx * parallel  # llama.cpp divides it between the slots
        n_threads = threads or (os.cpu_count() or 2)
        params.cpuparams.n_threads = n_threads
        params.cpuparams_batch.n_threads = n_threads
        params.n_parallel = parallel
        params.verbosity = -1
        self._server = xlc.Server(params)
        self._lock = threading.BoundedSemaphore(parallel)
        self.name = os.path.basename(gguf_path)
        # What llama.cpp was compiled for ("AVX2 = 1 | AVX512 = 1 …"): see `make native-llm`.
        self.build = xlc.get_system_info().strip()
        self.last_timings: dict = {}

    def chat(
        self, messages: Messages, max_tokens: int = 200, on_token: TokenCallback | None = None
    ) -> str:
        request = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "cache_prompt": True,
        }
        with self._lock:
            if on_token is None:
                result = self._server.handle_chat_completions(request)
                if "error" in result:
                    raise LLMError(f"local model failed: {result['error']}")
                self.last_timings = result.get("timings", {})
                return result["choices"][0]["message"]["content"] or ""
            parts: list[str] = []
            errors: list[str] = []

            def callback(chunk: dict) -> None:
                if "error" in chunk:
                    errors.append(str(chunk["error"]))
                    return
                if chunk.get("timings"):
                    self.last_timings = chunk["timings"]
                for choice in chunk.get("choices", []):
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        parts.append(piece)
                        on_token(piece)

            self._server.handle_chat_completions({**request, "stream": True}, callback)
            if errors:
                raise LLMError(f"local model failed: {errors[0]}")
            return "".join(parts)


class OpenAICompatibleLLM:
    """Any OpenAI-compatible chat server (`/v1/chat/completions`), streamed."""

    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 120.0):
        if not model:
            raise LLMError("the OpenAI-compatible backend needs a model name (--llm-model)")
        self.base_url = base_url.rstrip("/")
        self.name = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout

    def chat(
        self, messages: Messages, max_tokens: int = 200, on_token: TokenCallback | None = None
    ) -> str:
        import httpx

        body = {
            "model": self.name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        url = f"{self.base_url}/chat/completions"
        parts: list[str] = []
        try:
            with httpx.stream(
                "POST", url, json=body, headers=self._headers, timeout=self._timeout
            ) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise LLMError(
                        f"the LLM server at {self.base_url} answered HTTP {resp.status_code}: "
                        f"{resp.text[:200]}"
                    )
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    for choice in chunk.get("choices", []):
                        piece = (choice.get("delta") or {}).get("content") or (
                            choice.get("message") or {}
                        ).get("content")
                        if piece:
                            parts.append(piece)
                            if on_token:
                                on_token(piece)
        except httpx.TimeoutException as exc:
            raise LLMError(f"the LLM server at {self.base_url} timed out") from exc
        except httpx.HTTPError as exc:
            raise LLMError(
                f"cannot reach the LLM server at {self.base_url} ({exc}); is it running?"
            ) from exc
        return "".join(parts)


def make_llm(config) -> LLM:
    if config.llm == "openai":
        return OpenAICompatibleLLM(
            config.llm_base_url, config.llm_model, config.llm_api_key, config.llm_timeout
        )
    return LocalLLM(config.llm_model_path, config.llm_threads, config.llm_ctx, config.llm_parallel)
