"""The index through llama-index's own API, with real llama-index objects: its retriever,
query and chat engines inside `RetrieverQueryEngine`, `QueryEngineTool`,
`QueryFusionRetriever` and llama-index evaluators; Documents from a llama-index reader.

The generation model here is a scripted llama-index `CustomLLM` (fast and deterministic),
reached through the same adapter as the real backends; the seeds are indexed with the
hash embedder into a real Chroma. The real models are in test_integration.py."""

from dataclasses import replace
from typing import Any

import pytest
from conftest import SEEDS
from documents import PDF_PAGE_1, PDF_PAGE_2, PDF_Q, PDF_TITLE, citing
from llama_index.core import Document, SimpleDirectoryReader
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field
from llama_index.core.evaluation import FaithfulnessEvaluator, RetrieverEvaluator
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.tools import QueryEngineTool

from assistant.config import Config
from assistant.llamaindex import NewsIndex
from assistant.llm import LlamaIndexChat
from assistant.reading import NOT_FOUND_VI

CAMERA_Q = "Bảo Lộc có bao nhiêu mắt camera an ninh?"
BAO_LOC = "001_221d6abb8b15921d.txt"
GIA_LAI = "002_7b481aa43f29ee0d.txt"
CAMERA_REPLY = citing("gần 300", "Bảo Lộc có gần 300 mắt camera")


class ScriptedLlama(CustomLLM):
    """A llama-index LLM answering `reply(messages)` (messages as role/content dicts),
    streamed word by word; every chat it was sent is kept in `seen`."""

    reply: Any = None
    seen: list = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted-llama", is_chat_model=True)

    def _text(self, messages) -> str:
        chat = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        self.seen.append(chat)
        return self.reply(chat)

    @llm_chat_callback()
    def chat(self, messages, **kwargs) -> ChatResponse:
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT,
                                                content=self._text(messages)))  # fmt: skip

    @llm_chat_callback()
    def stream_chat(self, messages, **kwargs):
        def gen():
            text = ""
            for word in self._text(messages).split(" "):
                text += word + " "
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                                   delta=word + " ")  # fmt: skip

        return gen()

    @llm_completion_callback()
    def complete(self, prompt, formatted=False, **kwargs) -> CompletionResponse:
        return CompletionResponse(text=self._text([ChatMessage(content=prompt)]))

    @llm_completion_callback()
    def stream_complete(self, prompt, formatted=False, **kwargs):
        yield self.complete(prompt)


@pytest.fixture()
def news(config, hash_embedder):
    def open_index(reply=CAMERA_REPLY, **overrides) -> NewsIndex:
        llm = ScriptedLlama(reply=reply)
        return NewsIndex.open(config=replace(config, **overrides), llm=llm, embedder=hash_embedder)

    return open_index


def _where(node_with_score) -> tuple[str, int]:
    meta = node_with_score.node.metadata
    return meta["article"], meta["paragraph"]


def test_the_retriever_gives_paragraph_nodes_with_their_source(news):
    nodes = news().as_retriever(similarity_top_k=3).retrieve(CAMERA_Q)
    assert len(nodes) == 3 and _where(nodes[0]) == (BAO_LOC, 6)
    first = nodes[0].node
    assert first.node_id == f"{BAO_LOC}#6" and "gần 300 mắt camera" in first.text
    assert first.metadata["title"].startswith("(LĐ online)") and first.metadata["date"] == "2022-01"
    assert "page" not in first.metadata  # a text article has no pages
    assert nodes[0].score >= nodes[1].score >= nodes[2].score
    assert len({n.node.node_id for n in nodes}) == 3  # one node per paragraph


def test_a_retriever_query_engine_over_it_reads_those_paragraphs(news):
    judge = ScriptedLlama(reply=lambda messages: "Khoảng 300 mắt camera.")
    engine = RetrieverQueryEngine.from_args(news().as_retriever(), llm=judge)
    response = engine.query(CAMERA_Q)
    assert str(response) == "Khoảng 300 mắt camera."
    assert _where(response.source_nodes[0]) == (BAO_LOC, 6)
    prompt = " ".join(m["content"] for m in judge.seen[-1])
    assert "gần 300 mắt camera trên khắp các tuyến đường" in prompt and CAMERA_Q in prompt


def test_the_query_engine_answers_with_exactly_the_cited_paragraphs(news):
    index = news()
    assert isinstance(index.assistant.llm, LlamaIndexChat)  # the llama-index LLM, adapted
    response = index.as_query_engine().query(CAMERA_Q)
    assert "gần 300" in str(response) and response.metadata["found"] is True
    assert [_where(n) for n in response.source_nodes] == [(BAO_LOC, 6)]
    meta = response.source_nodes[0].node.metadata
    assert "gần 300 mắt camera" in meta["quote"] and meta["quote"] in response.source_nodes[0].text
    assert meta["found"] is True and meta["n"] == 1


def test_a_refusal_has_no_source_nodes_and_found_false(news):
    response = news().as_query_engine().query("Đà Nẵng có bao nhiêu mắt camera an ninh?")
    assert str(response) == NOT_FOUND_VI
    assert response.metadata["found"] is False and response.source_nodes == []


def test_llm_down_lists_the_paragraphs_with_found_false(config, hash_embedder):
    from serving import free_port

    down = replace(config, llm="openai", llm_model="m", llm_timeout=2,
                   llm_base_url=f"http://127.0.0.1:{free_port()}/v1")  # fmt: skip
    response = NewsIndex.open(config=down, embedder=hash_embedder).as_query_engine().query(CAMERA_Q)
    assert response.metadata["found"] is False and "cannot reach" in str(response)
    nodes = response.source_nodes
    assert nodes and not any(n.node.metadata["found"] for n in nodes)
    assert (BAO_LOC, 6) in [_where(n) for n in response.source_nodes]


def test_streaming_gives_the_draft_then_the_checked_answer(news):
    response = news().as_query_engine(streaming=True).query(CAMERA_Q)
    draft = "".join(response.response_gen)
    assert "300" in draft  # the model's words, as they came
    assert "gần 300" in str(response) and response.metadata["found"] is True
    assert [_where(n) for n in response.source_nodes] == [(BAO_LOC, 6)]
    assert response.get_response().response == str(response)

    refused = news().as_query_engine(streaming=True).query("Đà Nẵng có bao nhiêu camera?")
    assert list(refused.response_gen) == [] and str(refused) == NOT_FOUND_VI
    assert refused.source_nodes == []


def test_a_query_engine_tool_call_returns_the_cited_answer(news):
    tool = QueryEngineTool.from_defaults(
        news().as_query_engine(), name="tin_tuc", description="Hỏi đáp về các bài báo"
    )
    output = tool.call(CAMERA_Q)
    assert "gần 300" in output.content and output.tool_name == "tin_tuc"
    assert _where(output.raw_output.source_nodes[0]) == (BAO_LOC, 6)


def test_query_fusion_and_retriever_evaluation_work_over_it(news):
    fused = QueryFusionRetriever([news().as_retriever()], num_queries=1, use_async=False,
                                 mode="reciprocal_rerank", similarity_top_k=2,
                                 llm=ScriptedLlama(reply=lambda m: ""))  # fmt: skip
    assert _where(fused.retrieve(CAMERA_Q)[0]) == (BAO_LOC, 6)
    evaluator = RetrieverEvaluator.from_metric_names(
        ["hit_rate", "mrr"], retriever=news().as_retriever()
    )
    result = evaluator.evaluate(query=CAMERA_Q, expected_ids=[f"{BAO_LOC}#6"])
    assert result.metric_vals_dict == {"hit_rate": 1.0, "mrr": 1.0}


def test_a_faithfulness_evaluator_judges_against_the_cited_paragraph(news):
    judge = ScriptedLlama(reply=lambda messages: "YES")
    response = news().as_query_engine().query(CAMERA_Q)
    result = FaithfulnessEvaluator(llm=judge).evaluate_response(query=CAMERA_Q, response=response)
    assert result.passing is True
    shown = " ".join(m["content"] for chat in judge.seen for m in chat)
    assert "gần 300 mắt camera trên khắp các tuyến đường" in shown


def _camera_reader(messages) -> str:
    """Reads the camera figure of whichever province is shown."""
    gia_lai = citing("551 mắt camera", "Gia Lai có 551 mắt camera")(messages)
    return CAMERA_REPLY(messages) if gia_lai == "NOT_FOUND" else gia_lai


def test_the_chat_engine_follows_up_as_the_web_chat_does(news):
    chat = news(reply=_camera_reader).as_chat_engine()
    first = chat.chat(CAMERA_Q)
    assert "gần 300" in str(first) and _where(first.source_nodes[0]) == (BAO_LOC, 6)
    follow = chat.chat("Còn tỉnh Gia Lai thì sao?")
    assert "551" in str(follow) and _where(follow.source_nodes[0])[0] == GIA_LAI
    assert [m.role for m in chat.chat_history] == [MessageRole.USER, MessageRole.ASSISTANT] * 2
    chat.reset()
    streamed = chat.stream_chat(CAMERA_Q)
    "".join(streamed.response_gen)
    assert "gần 300" in str(streamed) and _where(streamed.source_nodes[0]) == (BAO_LOC, 6)
    follow = chat.stream_chat("Còn tỉnh Gia Lai thì sao?")
    assert "551" in str(follow) and _where(follow.source_nodes[0])[0] == GIA_LAI
    assert len(chat.chat_history) == 4


def test_documents_from_a_llamaindex_reader_are_indexed_and_cited(tmp_path, hash_embedder):
    documents = SimpleDirectoryReader(str(SEEDS)).load_data()
    pages = [  # what a PDF reader gives: one Document per page
        Document(text="\n".join([PDF_TITLE, *PDF_PAGE_1]),
                 metadata={"file_name": "da-lat.pdf", "page_label": "1"}),
        Document(text="\n".join(PDF_PAGE_2), metadata={"file_name": "da-lat.pdf",
                                                       "page_label": "2"}),
        Document(text="  \n ", metadata={"file_name": "empty.txt"}),
    ]  # fmt: skip
    config = replace(Config(), index_dir=tmp_path / "idx")
    reply = citing("35 tổ tuần tra", "Đà Lạt đã bố trí 35 tổ tuần tra lưu động")
    index = NewsIndex.from_documents(
        [*documents, *pages], config=config, llm=ScriptedLlama(reply=reply), embedder=hash_embedder
    )
    assert index.report.added == 6
    assert dict(index.report.skipped) == {"empty.txt": "no text after cleaning"}
    response = index.as_query_engine().query(PDF_Q)
    assert "35" in str(response)
    meta = response.source_nodes[0].node.metadata
    assert (meta["article"], meta["paragraph"], meta["page"]) == ("da-lat.pdf", 3, 2)
    camera = NewsIndex.open(config=config, llm=ScriptedLlama(reply=CAMERA_REPLY),
                            embedder=hash_embedder).as_query_engine().query(CAMERA_Q)  # fmt: skip
    assert _where(camera.source_nodes[0]) == (BAO_LOC, 6)
    again = NewsIndex.from_documents(documents, config=config, embedder=hash_embedder,
                                     llm=ScriptedLlama(reply=reply))  # fmt: skip
    assert (again.report.removed, again.report.unchanged, again.report.added) == (1, 5, 0)


def test_documents_of_one_file_are_one_article_and_same_names_stay_apart():
    from index.documents import articles_from_documents

    def doc(text, **metadata):
        return Document(text=text, metadata=metadata)

    articles, skipped = articles_from_documents([
        doc("Tin A\nBài A có đoạn thứ hai.", file_path="/x/b/tin.txt", file_name="tin.txt",
            page_label="2"),
        doc("Tin A trang một\nBài A có đoạn thứ nhất.", file_path="/x/b/tin.txt",
            file_name="tin.txt", page_label="1"),
        doc("Tin B\nBài B ở thư mục khác.", file_path="/x/c/tin.txt", file_name="tin.txt"),
        doc("Tin C\nBài C.", file_name="c.txt", title="Tiêu đề C", date="2024-05-02"),
    ])  # fmt: skip
    by_name = {a.file: a for a in articles}
    assert sorted(by_name) == ["/x/b/tin.txt", "/x/c/tin.txt", "c.txt"] and not skipped
    paged = by_name["/x/b/tin.txt"]
    assert paged.title == "Tin A trang một" and paged.pages == (1, 2, 2)
    assert paged.paragraphs[0] == "Bài A có đoạn thứ nhất."
    assert (by_name["c.txt"].title, by_name["c.txt"].date) == ("Tiêu đề C", "2024-05")
