"""Plain llama-index against this assistant, same models, same questions, one run.

    python benchmarks/llamaindex_baseline.py [--questions FILE] [--articles DIR] [--out FILE]

The baseline is what a llama-index tutorial builds: `SimpleDirectoryReader`, the default
`SentenceSplitter`, an in-memory `VectorStoreIndex`, `as_query_engine()` (top-2 chunks,
default prompt) and, for conversations, the `condense_question` chat engine. It gets the
same EmbeddingGemma and Qwen2.5-1.5B (through thin adapters; nothing from llama-index's
global Settings is used). Both are scored by `assistant.evaluate`. Prints one JSON object.
"""

import argparse
import json
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from assistant.config import load_config
from assistant.evaluate import read_questions, summarize
from assistant.evaluate import run as run_ours
from assistant.llm import make_llm
from assistant.reading import is_refusal
from assistant.runtime import make_assistant, make_embedder
from index.build import build_index

ROOT = Path(__file__).resolve().parents[1]


def llama_models(embedder, llm_backend, max_tokens: int):
    """llama-index adapters around this project's embedder and LLM."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    class Embedding(BaseEmbedding):
        backend: Any = None

        def _get_query_embedding(self, query: str) -> list[float]:
            return self.backend.embed_query(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self.backend.embed_documents([text], [""])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self.backend.embed_documents(texts, [""] * len(texts))

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    class LLM(CustomLLM):
        backend: Any = None

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(context_window=4096, num_output=max_tokens, model_name="local")

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs) -> CompletionResponse:
            messages = [{"role": "user", "content": prompt}]
            return CompletionResponse(text=self.backend.chat(messages, max_tokens=max_tokens))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):
            yield self.complete(prompt)

    return Embedding(backend=embedder, model_name=embedder.name), LLM(backend=llm_backend)


def run_baseline(items, articles: Path, embed_model, llm) -> tuple[list[dict], float]:
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    t = time.perf_counter()
    documents = SimpleDirectoryReader(str(articles)).load_data()
    index = VectorStoreIndex.from_documents(
        documents, embed_model=embed_model, transformations=[SentenceSplitter()]
    )
    build_s = time.perf_counter() - t
    records = []
    for item in items:
        started = time.perf_counter()
        if len(item["turns"]) == 1:
            response = index.as_query_engine(llm=llm).query(item["turns"][0])
        else:
            engine = index.as_chat_engine(chat_mode="condense_question", llm=llm)
            for turn in item["turns"]:
                response = engine.chat(turn)
        text = str(response).strip()
        records.append({
            "id": item["id"],
            "answer": text,
            "found": not is_refusal(text) and text != "Empty Response",
            "citations": [{"article": n.node.metadata.get("file_name", "")}
                          for n in response.source_nodes],
            "seconds": time.perf_counter() - started,
        })  # fmt: skip
    return records, build_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=ROOT / "tests/data/dev_questions.jsonl")
    ap.add_argument("--articles", type=Path, default=ROOT / "seeds")
    ap.add_argument("--out", type=Path, default=None, help="also write per-question records")
    args = ap.parse_args()

    items = read_questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="baseline-") as tmp:
        config = load_config(index_dir=Path(tmp) / "index", articles_dir=args.articles)
        embedder = make_embedder(config)
        llm = make_llm(config)
        t = time.perf_counter()
        build_index(args.articles, config.index_dir, embedder, config.chunk_settings())
        ours_build_s = time.perf_counter() - t
        ours = list(run_ours(make_assistant(config, embedder, llm), items))
        embed_model, llama_llm = llama_models(embedder, llm, config.max_answer_tokens * 2)
        base, base_build_s = run_baseline(items, args.articles, embed_model, llama_llm)

    def report(records, build_s):
        summary = summarize(items, records)
        summary["answer_seconds_mean"] = round(statistics.mean(r["seconds"] for r in records), 2)
        summary["index_build_s"] = round(build_s, 1)
        return summary

    result = {
        "date": date.today().isoformat(),
        "questions_file": str(args.questions),
        "assistant": report(ours, ours_build_s),
        "plain_llamaindex": report(base, base_build_s),
    }
    if args.out:
        with args.out.open("w", encoding="utf-8") as f:
            for name, records in (("assistant", ours), ("plain_llamaindex", base)):
                for r in records:
                    f.write(json.dumps({"system": name, **r}, ensure_ascii=False) + "\n")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
