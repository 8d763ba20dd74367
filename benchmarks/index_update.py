"""Time a full index build of a synthetic corpus against adding one article and a no-op run.

    python benchmarks/index_update.py CORPUS_DIR INDEX_DIR [--embed-model PATH]

CORPUS_DIR: made by the shared `tools/make_corpus.py` (e.g. 1,000 articles). Uses the
configured embedding model (default: the fetched EmbeddingGemma). Prints one JSON object with
wall-clock and CPU seconds (the CPU ratio holds up when other work shares the machine).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from datetime import date
from pathlib import Path

from assistant.config import load_config
from assistant.runtime import make_embedder
from index.build import build_index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("--embed-model", default=None)
    args = ap.parse_args()

    config = load_config(index_dir=args.index_dir, embed_model=args.embed_model)
    embedder = make_embedder(config)
    settings = config.chunk_settings()
    files = sorted(args.corpus.glob("*.txt"))
    extra = files[-1]
    held_out = args.corpus.parent / f".{extra.name}.held"
    shutil.move(extra, held_out)
    shutil.rmtree(args.index_dir, ignore_errors=True)

    t, c = time.perf_counter(), time.process_time()
    full = build_index(args.corpus, args.index_dir, embedder, settings, progress=True)
    full_s, full_cpu = time.perf_counter() - t, time.process_time() - c

    shutil.move(held_out, extra)
    t, c = time.perf_counter(), time.process_time()
    add = build_index(args.corpus, args.index_dir, embedder, settings)
    add_s, add_cpu = time.perf_counter() - t, time.process_time() - c

    t = time.perf_counter()
    noop = build_index(args.corpus, args.index_dir, embedder, settings)
    noop_s = time.perf_counter() - t

    print(json.dumps({
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "embed_model": embedder.name,
        "articles_full_build": full.added,
        "passages_full_build": full.chunks,
        "full_build_s": round(full_s, 1),
        "add_one_article_s": round(add_s, 2),
        "add_one_article_passages": add.embedded,
        "add_vs_full_ratio": round(add_s / full_s, 4),
        "full_build_cpu_s": round(full_cpu, 1),
        "add_one_article_cpu_s": round(add_cpu, 2),
        "add_vs_full_cpu_ratio": round(add_cpu / full_cpu, 4),
        "noop_s": round(noop_s, 3),
        "noop_counts": noop.to_json(),
    }, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
