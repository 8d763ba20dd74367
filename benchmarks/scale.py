"""Retrieval latency, index size and update cost at 10k-100k passages.

    python benchmarks/scale.py CORPUS_DIR INDEX_DIR [--dim 768] [--real-query-embedder]

CORPUS_DIR: made by the shared `tools/make_corpus.py` (about 19 passages per article).
Embedding 100k passages with EmbeddingGemma takes hours on 2 cores, so the index is built
with the deterministic hash embedder at the real model's dimension (768): Chroma's HNSW,
BM25 and fusion do the same work whatever the vectors mean. The real model's query
embedding time (constant in the index size) is measured separately with
--real-query-embedder. Prints one JSON object.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import time
from datetime import date
from pathlib import Path

from assistant.bench import DEFAULT_QUESTIONS, _rss_mb, time_retrieval
from assistant.config import load_config
from assistant.evaluate import percentile
from assistant.retrieve import Retriever
from index.build import build_index
from index.embedder import HashEmbedder


def _du_mb(path: Path) -> float:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True).stdout
    return round(int(out.split()[0]) / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--real-query-embedder", action="store_true")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep an existing index (the 'full build' is then the removal of one "
        "article; use it to time updates and retrieval again)",
    )
    args = ap.parse_args()

    config = load_config(index_dir=args.index_dir)
    embedder = HashEmbedder(dim=args.dim, name=f"hash-{args.dim}")
    settings = config.chunk_settings()
    files = sorted(args.corpus.glob("*.txt"))
    held = args.corpus.parent / f".{files[-1].name}.held"
    shutil.move(files[-1], held)
    if not args.reuse:
        shutil.rmtree(args.index_dir, ignore_errors=True)
    try:
        t = time.perf_counter()
        full = build_index(args.corpus, args.index_dir, embedder, settings, progress=True)
        full_s = time.perf_counter() - t
    finally:
        shutil.move(held, files[-1])
    t = time.perf_counter()
    add = build_index(args.corpus, args.index_dir, embedder, settings)
    add_s = time.perf_counter() - t
    t = time.perf_counter()
    build_index(args.corpus, args.index_dir, embedder, settings)
    noop_s = time.perf_counter() - t

    t = time.perf_counter()
    retriever = Retriever(args.index_dir, embedder, config)
    open_s = time.perf_counter() - t
    times = time_retrieval(retriever, list(DEFAULT_QUESTIONS), rounds=5)
    result = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "articles": full.added + full.unchanged + add.added,
        "passages": add.chunks,
        "embedder": embedder.name,
        "full_build_s": None if args.reuse else round(full_s, 1),
        "add_one_article_s": round(add_s, 2),
        "noop_s": round(noop_s, 3),
        "index_size_mb": _du_mb(args.index_dir),
        "open_index_s": round(open_s, 2),
        "retrieval_ms_p50": round(statistics.median(times), 1),
        "retrieval_ms_p95": round(percentile(times, 0.95), 1),
    }
    if args.real_query_embedder:
        from assistant.runtime import make_embedder

        real = make_embedder(config)
        real.embed_query(DEFAULT_QUESTIONS[0])
        q = []
        for question in DEFAULT_QUESTIONS * 3:
            t = time.perf_counter()
            real.embed_query(question)
            q.append((time.perf_counter() - t) * 1000)
        result["real_query_embedding_ms_p50"] = round(statistics.median(q), 1)
        result["retrieval_ms_p50_with_real_query"] = round(
            result["retrieval_ms_p50"] + result["real_query_embedding_ms_p50"], 1
        )
    result["rss_mb"] = round(_rss_mb())
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
