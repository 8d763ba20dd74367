"""Hybrid retrieval: dense (Chroma) fused with BM25 (bm25s) by reciprocal-rank fusion.

`Retriever.search(question)` returns `Hit`s, best first. Opening an index checks the
manifest against the configured embedding model. Answer generation is elsewhere.
"""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.text import looks_english
from assistant.types import Hit
from index.build import check_compatible
from index.embedder import Embedder
from index.store import IndexError_, LexicalIndex, VectorStore, read_manifest

log = logging.getLogger(__name__)


def rrf(
    rankings: dict[str, list[str]], k: int = 60, weights: dict[str, float] | None = None
) -> list[tuple[str, float, dict[str, int]]]:
    """Weighted reciprocal-rank fusion of rankings of ids (1-based ranks kept per source)."""
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for source, ids in rankings.items():
        weight = (weights or {}).get(source, 1.0)
        for rank, pid in enumerate(ids, start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (k + rank)
            ranks.setdefault(pid, {})[source] = rank
    order = sorted(scores, key=lambda pid: (-scores[pid], min(ranks[pid].values())))
    return [(pid, scores[pid], ranks[pid]) for pid in order]


class Retriever:
    def __init__(self, index_dir: Path, embedder: Embedder, config) -> None:
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise IndexError_(
                f"no index in {index_dir}: run `assistant index --articles DIR "
                f"--index-dir {index_dir}` first"
            )
        check_compatible(manifest, embedder.name, config.chunk_settings())
        self.manifest = manifest
        self.embedder = embedder
        self.config = config
        self.vectors = VectorStore(index_dir)
        self.lexical = LexicalIndex.load(index_dir)

    @property
    def vocabulary(self):
        """Folded words of the indexed articles (the BM25 vocabulary)."""
        return self.lexical.vocabulary

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        """Fused hits for `question`, best first."""
        k = k or self.config.candidates
        rankings: dict[str, list[str]] = {}
        if self.config.fusion in ("rrf", "dense"):
            dense = self.vectors.query(self.embedder.embed_query(question), self.config.candidates)
            rankings["dense"] = [pid for pid, _ in dense]
        if self.config.fusion in ("rrf", "bm25"):
            rankings["bm25"] = [
                pid for pid, _ in self.lexical.query(question, self.config.candidates)
            ]
        # Keyword matching is weak across languages: trust the multilingual embedder more.
        weights = {"bm25": 0.3} if looks_english(question) else None
        fused = rrf(rankings, self.config.rrf_k, weights)[:k]
        passages = self.vectors.get([pid for pid, _, _ in fused])
        return [Hit(passages[pid], score, ranks) for pid, score, ranks in fused if pid in passages]
