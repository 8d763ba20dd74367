"""The assistant seen through llama-index's own API, the way a `VectorStoreIndex` is used:

    from assistant.llamaindex import NewsIndex
    index = NewsIndex.open("/path/to/index-dir")   # settings as the CLI resolves them
    index.as_retriever()      # BaseRetriever: NodeWithScore of paragraph TextNodes
    index.as_query_engine()   # BaseQueryEngine: the checked answer and the cited paragraphs
    index.as_chat_engine()    # BaseChatEngine: follow-ups as in the web chat
    NewsIndex.from_documents(documents, "/path/to/index-dir")  # Documents of any reader

All three adapt the project's own `Retriever` and `Assistant` (`assistant.runtime`), so
they answer exactly as the CLI and the web page do. A node is one paragraph: `text` the
whole paragraph, id `"<article>#<paragraph>"`, metadata `article`, `title`, `date`,
`paragraph` (1-based), and `page` for PDF articles. The query and chat engines' nodes are
exactly the cited paragraphs, with `quote` (the supporting sentence), `n` (the answer's
`[n]`) and `found`; `Response.metadata["found"]` is False on a refusal (no source nodes) and
on a "sources only" reply when the LLM cannot be reached (the nodes are then the most
relevant paragraphs, nothing is claimed).

Streaming (`as_query_engine(streaming=True)`, `stream_chat`): `response_gen` yields the
model's draft as it is written: unchecked, with the `[n]` the model wrote. Once it is
exhausted the answer has been checked: `str(response)`, `response_txt` / `response` and
`source_nodes` are the checked answer and its citations, which may differ from the draft
(markers renumbered, a draft repaired, replaced by what the paragraphs say, or refused).
Answers that need no model (a place no article names, a comparison read from the
paragraphs) stream nothing.

llama-index's global `Settings` are never read or written: pass your LLM (`llm=`) where
llama-index code needs one. Errors propagate as the project's exceptions (`IndexError_`,
`ModelMissing`, `QuestionError`), each with a message that says what to do.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.base.response.schema import Response, StreamingResponse
from llama_index.core.callbacks import CallbackManager
from llama_index.core.chat_engine.types import (
    AgentChatResponse,
    BaseChatEngine,
    StreamingAgentChatResponse,
)
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.answer import Assistant, Turn
from assistant.config import Config, load_config
from assistant.retrieve import Retriever
from assistant.types import Answer

_END = object()


def node_id(article: str, paragraph: int) -> str:
    return f"{article}#{paragraph}"


def paragraph_node(article: str, title: str, date: str | None, paragraph: int, text: str,
                   page: int | None = None, **extra: Any) -> TextNode:  # fmt: skip
    metadata: dict[str, Any] = {"article": article, "title": title, "date": date or "",
                                "paragraph": paragraph}  # fmt: skip
    if page is not None:
        metadata["page"] = page
    metadata.update(extra)
    hidden = [k for k in ("n", "found") if k in metadata]  # bookkeeping, not text to read
    return TextNode(
        id_=node_id(article, paragraph),
        text=text,
        metadata=metadata,
        excluded_llm_metadata_keys=hidden,
        excluded_embed_metadata_keys=hidden,
    )


def cited_nodes(answer: Answer) -> list[NodeWithScore]:
    """The paragraphs an answer cites, in the order of its [n]."""
    return [
        NodeWithScore(node=paragraph_node(c.article, c.title, c.date, c.paragraph, c.text,
                                          c.page, quote=c.quote, n=c.n, found=answer.found))
        for c in answer.citations
    ]  # fmt: skip


def answer_metadata(answer: Answer) -> dict[str, Any]:
    return {"found": answer.found, "standalone_question": answer.standalone_question,
            "seconds": round(answer.seconds, 3), "notes": list(answer.notes)}  # fmt: skip


class NewsRetriever(BaseRetriever):
    """Hybrid retrieval (dense + BM25, fused) as a llama-index retriever: the best
    `similarity_top_k` paragraphs, each scored by its best passage's fused score."""

    def __init__(self, retriever: Retriever, similarity_top_k: int = 4,
                 callback_manager: CallbackManager | None = None) -> None:  # fmt: skip
        super().__init__(callback_manager=callback_manager or CallbackManager([]))
        self._retriever = retriever
        self.similarity_top_k = similarity_top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        out: dict[tuple[str, int], NodeWithScore] = {}
        for hit in self._retriever.search(query_bundle.query_str):
            p = hit.passage
            if (p.article, p.paragraph) not in out:
                node = paragraph_node(p.article, p.title, p.date, p.paragraph, p.paragraph_text,
                                      p.page)  # fmt: skip
                out[(p.article, p.paragraph)] = NodeWithScore(node=node, score=hit.score)
            if len(out) == self.similarity_top_k:
                break
        return list(out.values())


class _AnswerStream:
    """`Assistant.ask` in a worker thread: the draft's pieces as they come, then the
    checked answer (`answer`)."""

    def __init__(self, assistant: Assistant, question: str, history: list[Turn]) -> None:
        self._pieces: queue.SimpleQueue = queue.SimpleQueue()
        self.answer: Answer | None = None
        self._thread = threading.Thread(target=self._work, args=(assistant, question, history),
                                        daemon=True, name="answer")  # fmt: skip
        self._thread.start()

    def _work(self, assistant: Assistant, question: str, history: list[Turn]) -> None:
        try:
            self._pieces.put(_Done(assistant.ask(question, history, on_token=self._pieces.put)))
        except BaseException as exc:  # raised on the reading side
            self._pieces.put(_Failed(exc))

    def pieces(self) -> Generator[str, None, None]:
        while True:
            item = self._pieces.get()
            if isinstance(item, _Done):
                self.answer = item.answer
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item


@dataclass
class _Done:
    answer: Answer


@dataclass
class _Failed:
    error: BaseException


@dataclass
class CheckedStreamingResponse(StreamingResponse):
    """A `StreamingResponse` whose stream is the unchecked draft and whose text, once the
    stream is exhausted, is the checked answer (see the module docstring)."""

    answer: Answer | None = None

    def _finish(self) -> None:
        if self.answer is None and self.response_gen is not None:
            for _ in self.response_gen:
                pass

    def __str__(self) -> str:
        self._finish()
        return self.response_txt or ""

    def get_response(self) -> Response:
        self._finish()
        return Response(self.response_txt, self.source_nodes, self.metadata)

    def print_response_stream(self) -> None:
        """Print the draft as it streams, then the checked answer where it differs."""
        draft = ""
        if self.answer is None and self.response_gen is not None:
            for piece in self.response_gen:
                print(piece, end="", flush=True)
                draft += piece
        if (self.response_txt or "").strip() != draft.strip():
            print(("\n\n" if draft else "") + (self.response_txt or ""), flush=True)
        else:
            print(flush=True)


def _streamed_query(assistant: Assistant, question: str) -> CheckedStreamingResponse:
    stream = _AnswerStream(assistant, question, [])
    response = CheckedStreamingResponse(response_gen=None, source_nodes=[], metadata={})

    def gen() -> Generator[str, None, None]:
        yield from stream.pieces()
        response.answer = stream.answer
        response.response_txt = stream.answer.text
        response.source_nodes[:] = cited_nodes(stream.answer)
        response.metadata.update(answer_metadata(stream.answer))

    response.response_gen = gen()
    return response


class NewsQueryEngine(BaseQueryEngine):
    """`query(q)` -> `Response`: the checked answer, `source_nodes` = the cited paragraphs
    (`CheckedStreamingResponse` with `streaming=True`). `retrieve(q)`: the retriever's."""

    def __init__(self, assistant: Assistant, retriever: NewsRetriever, streaming: bool = False,
                 callback_manager: CallbackManager | None = None) -> None:  # fmt: skip
        super().__init__(callback_manager=callback_manager or CallbackManager([]))
        self._assistant = assistant
        self._retriever = retriever
        self.streaming = streaming

    def _get_prompt_modules(self) -> dict:
        return {}

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._retriever.retrieve(query_bundle)

    def _query(self, query_bundle: QueryBundle) -> Response | CheckedStreamingResponse:
        if self.streaming:
            return _streamed_query(self._assistant, query_bundle.query_str)
        answer = self._assistant.ask(query_bundle.query_str)
        return Response(answer.text, cited_nodes(answer), answer_metadata(answer))

    async def _aquery(self, query_bundle: QueryBundle) -> Response | CheckedStreamingResponse:
        return await asyncio.to_thread(self._query, query_bundle)


@dataclass
class CheckedStreamingChatResponse(StreamingAgentChatResponse):
    """A chat reply whose `response_gen` is the unchecked draft; once it is exhausted,
    `response` and `source_nodes` are the checked answer and its citations."""

    stream: Any = None
    answer: Answer | None = None
    on_answer: Any = None
    metadata: dict | None = None

    @property
    def response_gen(self) -> Generator[str, None, None]:
        if self.answer is not None:
            return
        yield from self.stream.pieces()
        self.answer = self.stream.answer
        self.response = self.answer.text
        self.source_nodes[:] = cited_nodes(self.answer)
        self.metadata = answer_metadata(self.answer)
        self.is_done = True
        if self.on_answer is not None:
            self.on_answer(self.answer)

    async def async_response_gen(self):
        pieces = iter(self.response_gen)
        while (piece := await asyncio.to_thread(next, pieces, _END)) is not _END:
            yield piece

    def __str__(self) -> str:
        for _ in self.response_gen:
            pass
        return self.response

    def print_response_stream(self) -> None:
        draft = "".join(print(p, end="", flush=True) or p for p in self.response_gen)
        extra = self.response if self.response.strip() != draft.strip() else ""
        print(("\n\n" if draft and extra else "") + extra, flush=True)


class NewsChatEngine(BaseChatEngine):
    """A conversation: follow-ups ("Còn Gia Lai thì sao?") are read against the turns before
    them, as in the web chat. `chat_history=` replaces the kept turns for one call."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._turns: list[Turn] = []

    def reset(self) -> None:
        self._turns = []

    @property
    def chat_history(self) -> list[ChatMessage]:
        return [m for t in self._turns for m in (
            ChatMessage(role=MessageRole.USER, content=t.question),
            ChatMessage(role=MessageRole.ASSISTANT, content=t.answer))]  # fmt: skip

    def _history(self, chat_history: list[ChatMessage] | None) -> list[Turn]:
        if chat_history is None:
            return list(self._turns)
        turns, question = [], None
        for message in chat_history:
            if message.role == MessageRole.USER:
                question = message.content or ""
            elif message.role == MessageRole.ASSISTANT and question is not None:
                turns.append(Turn(question, message.content or ""))
                question = None
        return turns

    def _remember(self, history: list[Turn], message: str, answer: Answer) -> None:
        self._turns = [*history, Turn(message, answer.text, answer.standalone_question)]

    def chat(self, message: str, chat_history: list[ChatMessage] | None = None
             ) -> AgentChatResponse:  # fmt: skip
        history = self._history(chat_history)
        answer = self._assistant.ask(message, history)
        self._remember(history, message, answer)
        return AgentChatResponse(response=answer.text, source_nodes=cited_nodes(answer),
                                 metadata=answer_metadata(answer))  # fmt: skip

    def stream_chat(self, message: str, chat_history: list[ChatMessage] | None = None
                    ) -> CheckedStreamingChatResponse:  # fmt: skip
        history = self._history(chat_history)
        return CheckedStreamingChatResponse(
            stream=_AnswerStream(self._assistant, message, history),
            on_answer=lambda answer: self._remember(history, message, answer),
        )

    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None
                    ) -> AgentChatResponse:  # fmt: skip
        return await asyncio.to_thread(self.chat, message, chat_history)

    async def astream_chat(self, message: str, chat_history: list[ChatMessage] | None = None
                           ) -> CheckedStreamingChatResponse:  # fmt: skip
        return self.stream_chat(message, chat_history)


class NewsIndex:
    """An index dir built by `assistant index` (or `from_documents`), with the assistant
    that answers from it."""

    def __init__(self, assistant: Assistant, report: Any = None) -> None:
        self.assistant = assistant
        self.report = report  # what `from_documents` indexed (an `IndexReport`), else None

    @staticmethod
    def _config(index_dir: str | Path | None, config: Config | None) -> Config:
        config = config or load_config()
        return replace(config, index_dir=Path(index_dir)) if index_dir else config

    @classmethod
    def open(cls, index_dir: str | Path | None = None, config: Config | None = None, *,
             llm: Any = None, embedder: Any = None) -> NewsIndex:  # fmt: skip
        """The index in `index_dir`, with the settings `assistant` would use (flags aside:
        `ASSISTANT_*` variables, then defaults) unless `config` is given. `llm`: any
        llama-index LLM instead of the configured backend; `embedder`: the embedding model
        the index was built with, already loaded (an `index.embedder.Embedder`)."""
        from assistant.runtime import make_assistant

        return cls(make_assistant(cls._config(index_dir, config), embedder=embedder, llm=llm))

    @classmethod
    def from_documents(cls, documents: Iterable[Any], index_dir: str | Path | None = None,
                       config: Config | None = None, *, llm: Any = None,
                       embedder: Any = None) -> NewsIndex:  # fmt: skip
        """Index llama-index `Document`s (any reader's) into `index_dir` — exactly these:
        see `index.documents` for how they become articles — and open it."""
        from assistant.runtime import make_embedder
        from index.documents import build_from_documents

        config = cls._config(index_dir, config)
        embedder = embedder or make_embedder(config)
        settings = config.chunk_settings()
        report = build_from_documents(documents, config.index_dir, embedder, settings,
                                      chroma_url=config.chroma_url)  # fmt: skip
        index = cls.open(config=config, llm=llm, embedder=embedder)
        index.report = report
        return index

    @property
    def llm(self) -> Any:
        """The LLM that words the answers (a llama-index LLM for the built-in backends)."""
        return getattr(self.assistant.llm, "llm", self.assistant.llm)

    @property
    def embedder(self) -> Any:
        """The embedding model the index was built with (to open or build another)."""
        return self.assistant.retriever.embedder

    def as_retriever(self, similarity_top_k: int | None = None) -> NewsRetriever:
        top_k = similarity_top_k or self.assistant.config.context_passages
        return NewsRetriever(self.assistant.retriever, top_k)

    def as_query_engine(self, streaming: bool = False,
                        similarity_top_k: int | None = None) -> NewsQueryEngine:  # fmt: skip
        """`similarity_top_k` applies to `retrieve()`; answers read what they need."""
        return NewsQueryEngine(self.assistant, self.as_retriever(similarity_top_k), streaming)

    def as_chat_engine(self) -> NewsChatEngine:
        return NewsChatEngine(self.assistant)
