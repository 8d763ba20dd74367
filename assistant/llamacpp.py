"""The in-process generation backend: a GGUF model through xllamacpp (llama.cpp), CPU only,
as a llama-index `CustomLLM` (`LlamaCppLLM`), so it works wherever llama-index takes an LLM.

Messages go to llama.cpp's own chat endpoint (the model's chat template, not a prompt
format of ours) with `cache_prompt`: the system prompt is identical across calls, so its
KV is reused and only the excerpts and the question are read per answer. One request at a
time: calls are serialised. Nothing here touches llama-index's global `Settings`. How the
assistant calls an LLM (and turns failures into `LLMError`) is `assistant.llm`.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from assistant.llm import LLMError

_DONE = object()


class LlamaCppLLM(CustomLLM):
    """A GGUF chat model run in this process by llama.cpp (xllamacpp).

    `chat`/`stream_chat` take llama-index `ChatMessage`s; `max_tokens` and `temperature`
    may be given per call. `stream_with_callback` is the same streamed request with a plain
    callback per piece (what the assistant's own adapter uses: no thread in between).
    Failures raise `assistant.llm.LLMError`."""

    model_path: str = Field(description="Path of the GGUF file.")
    threads: int = Field(default=0, description="CPU threads (0: all cores).")
    context_window: int = Field(default=4096, description="Context size (n_ctx) per slot.")
    parallel: int = Field(default=1, description="llama.cpp slots decoded together.")
    max_tokens: int = Field(default=256, description="Tokens generated when a call sets none.")
    temperature: float = Field(default=0.0, description="Sampling temperature.")
    build: str = Field(default="", description="What llama.cpp was compiled for.")
    last_timings: dict = Field(default_factory=dict, description="llama.cpp's last timings.")

    _server: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default=None)

    def __init__(self, model_path: str, threads: int = 0, context_window: int = 4096,
                 parallel: int = 1, **kwargs: Any) -> None:  # fmt: skip
        if not os.path.isfile(model_path):
            raise LLMError(
                f"the generation model {model_path} is missing: run `make models` "
                "(or set ASSISTANT_LLM_MODEL to a GGUF file)"
            )
        super().__init__(model_path=model_path, threads=threads, context_window=context_window,
                         parallel=parallel, **kwargs)  # fmt: skip
        import xllamacpp as xlc

        params = xlc.CommonParams()
        params.model.path = model_path
        params.n_ctx = context_window * parallel  # llama.cpp divides it between the slots
        n_threads = threads or (os.cpu_count() or 2)
        params.cpuparams.n_threads = n_threads
        params.cpuparams_batch.n_threads = n_threads
        params.n_parallel = parallel
        params.verbosity = -1
        self._server = xlc.Server(params)
        # one call per slot at a time; the rest wait (with 1 slot, calls are serialised)
        self._lock = threading.BoundedSemaphore(parallel)
        # "AVX2 = 1 | AVX512 = 1 …": see `make native-llm`.
        self.build = xlc.get_system_info().strip()

    @classmethod
    def class_name(cls) -> str:
        return "LlamaCppInProcess"

    @property
    def model(self) -> str:
        return os.path.basename(self.model_path)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_tokens,
                           is_chat_model=True, model_name=self.model)  # fmt: skip

    # -- requests ----------------------------------------------------------------------
    def _request(self, messages: Sequence[ChatMessage], kwargs: dict) -> dict:
        return {
            "messages": [{"role": m.role.value, "content": m.content or ""} for m in messages],
            "max_tokens": int(kwargs.get("max_tokens") or self.max_tokens),
            "temperature": float(kwargs.get("temperature", self.temperature)),
            "cache_prompt": True,
        }

    def stream_with_callback(
        self, messages: Sequence[ChatMessage], on_piece: Callable[[str], None], **kwargs: Any
    ) -> str:
        """Generate, calling `on_piece` with each piece as llama.cpp writes it; the text."""
        request = {**self._request(messages, kwargs), "stream": True}
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
                    on_piece(piece)

        with self._lock:
            self._server.handle_chat_completions(request, callback)
        if errors:
            raise LLMError(f"local model failed: {errors[0]}")
        return "".join(parts)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        with self._lock:
            result = self._server.handle_chat_completions(self._request(messages, kwargs))
        if "error" in result:
            raise LLMError(f"local model failed: {result['error']}")
        self.last_timings = result.get("timings", {})
        text = result["choices"][0]["message"]["content"] or ""
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                            raw=result)  # fmt: skip

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        # llama.cpp calls back per piece; a worker thread turns that into a generator.
        pieces: queue.SimpleQueue = queue.SimpleQueue()

        def work() -> None:
            try:
                self.stream_with_callback(messages, pieces.put, **kwargs)
                pieces.put(_DONE)
            except Exception as exc:  # handed to the reading side
                pieces.put(exc)

        def gen() -> ChatResponseGen:
            threading.Thread(target=work, daemon=True, name="llama.cpp").start()
            text = ""
            while (item := pieces.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise item
                text += item
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                                   delta=item)  # fmt: skip

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        response = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs)
        return CompletionResponse(text=response.message.content or "", raw=response.raw)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            messages = [ChatMessage(role=MessageRole.USER, content=prompt)]
            for response in self.stream_chat(messages, **kwargs):
                yield CompletionResponse(text=response.message.content or "",
                                         delta=response.delta)  # fmt: skip

        return gen()
