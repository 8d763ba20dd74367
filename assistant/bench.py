"""`assistant bench`: where the seconds go, measured in one run on this machine.

Times, on an existing index: retrieval alone (query embedding, Chroma, BM25, fusion),
whole answers and the first streamed token, then indexing a sample of articles into a
temporary index against the embedding model alone on the same passages, and the process's
peak memory. Speed targets live here, never in timed unit tests.
"""

import logging
import os
import platform
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from assistant import evaluate
from assistant.evaluate import percentile

log = logging.getLogger(__name__)

# Used when no --questions file is given: one of each kind of question users ask.
DEFAULT_QUESTIONS = (
    "Bảo Lộc có bao nhiêu mắt camera an ninh?",
    "bao loc co bao nhieu mat camera an ninh",
    "Năm 2021 các cơ quan, đoàn thể ở Pleiku đã tổ chức bao nhiêu lượt phát động phong trào?",
    "Ai là Trưởng Công an TP. Pleiku?",
    "Gia Lai có bao nhiêu mô hình Dân vận khéo?",
    "How many security cameras does Bao Loc have?",
    "Đà Nẵng có bao nhiêu mắt camera an ninh?",
    "Hội nghị tổng kết phong trào ở Bảo Lộc diễn ra ngày nào?",
)


def read_questions(path: Path | None) -> list[str]:
    """First turns of an eval file (JSONL, read and checked by `assistant.evaluate`), or a
    text file with one question per line; the defaults when `path` is None."""
    if path is None:
        return list(DEFAULT_QUESTIONS)
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    if lines and lines[0].startswith("{"):
        return [item["turns"][0] for item in evaluate.read_questions(path)]
    return lines


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def time_retrieval(retriever, questions: list[str], rounds: int = 3) -> list[float]:
    retriever.search(questions[0])  # warm: first-call costs are not per-query costs
    times = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            retriever.search(q)
            times.append((time.perf_counter() - t) * 1000)
    return times


def time_answers(assistant, questions: list[str]) -> tuple[list[float], list[float]]:
    """Seconds per answer, and seconds to the first streamed token (answers that streamed)."""
    answers, first = [], []
    for q in questions:
        started = time.perf_counter()
        seen: list[float] = []

        def on_token(_piece: str, started=started, seen=seen) -> None:
            if not seen:
                seen.append(time.perf_counter() - started)

        assistant.ask(q, on_token=on_token)
        answers.append(time.perf_counter() - started)
        first += seen[:1]
    return answers, first


def time_indexing(articles_dir: Path, embedder, settings, sample: int) -> dict:
    """Index up to `sample` articles into a temporary index, then embed the same passages
    with the model alone (same call size): passages per second for both."""
    from index.build import build_index
    from index.chunker import chunk
    from index.loader import UnreadableArticle, article_files, load

    files = article_files(articles_dir)[:sample]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        corpus = Path(tmp) / "articles"
        corpus.mkdir()
        for f in files:
            (corpus / f.name).write_bytes(f.read_bytes())
        t = time.perf_counter()
        report = build_index(corpus, Path(tmp) / "index", embedder, settings)
        index_s = time.perf_counter() - t
    passages = []
    for f in files:
        try:
            passages += chunk(load(f), settings)
        except UnreadableArticle:
            continue
    t = time.perf_counter()
    for i in range(0, len(passages), 256):
        batch = passages[i : i + 256]
        embedder.embed_documents([p.text for p in batch], [p.context for p in batch])
    embed_s = time.perf_counter() - t
    return {
        "index_articles": len(files),
        "index_paragraphs": report.chunks,
        "index_s": round(index_s, 2),
        "embed_s": round(embed_s, 2),
        "index_paragraphs_per_s": round(report.chunks / index_s, 2) if index_s else None,
        "embedder_paragraphs_per_s": round(len(passages) / embed_s, 2) if embed_s else None,
        "index_vs_embedder": round(index_s / embed_s, 3) if embed_s else None,
    }


def run(config, questions: list[str], index_sample: int = 5, answers: bool = True) -> dict:
    """All measurements as one JSON-ready dict."""
    from assistant.runtime import make_assistant

    t = time.perf_counter()
    assistant = make_assistant(config)
    load_s = time.perf_counter() - t
    retriever = assistant.retriever
    retrieval = time_retrieval(retriever, questions)
    answer_s, first_s = time_answers(assistant, questions) if answers else ([], [])
    result = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "index_dir": str(config.index_dir),
        "index_paragraphs": retriever.manifest.passage_count,
        "questions": len(questions),
        "llm": assistant.llm.name,
        "llm_build": getattr(assistant.llm, "build", ""),
        "models_load_s": round(load_s, 2),
        "retrieval_ms_p50": round(statistics.median(retrieval), 1),
        "retrieval_ms_p95": round(percentile(retrieval, 0.95), 1),
        "answer_s_p50": round(statistics.median(answer_s), 2) if answer_s else None,
        "answer_s_p95": round(percentile(answer_s, 0.95), 2) if answer_s else None,
        "first_token_s_p50": round(statistics.median(first_s), 2) if first_s else None,
        "first_token_answers": len(first_s),
    }
    if index_sample > 0 and config.articles_dir.is_dir():
        result |= time_indexing(
            config.articles_dir, retriever.embedder, config.chunk_settings(), index_sample
        )
    result["rss_mb"] = round(_rss_mb())
    return result
