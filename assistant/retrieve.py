"""Hybrid retrieval: dense (Chroma) fused with BM25 (bm25s) by reciprocal-rank fusion.

`Retriever.search(question)` returns `Hit`s, best first. Opening an index checks the
manifest against the configured embedding model. Answer generation is elsewhere.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from assistant.text import looks_english
from assistant.types import Hit
from index.build import check_compatible
from index.embedder import Embedder
from index.store import MANIFEST, IndexError_, LexicalIndex, VectorStore, read_manifest

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
    """Reads the index as its manifest describes it, and re-reads it when the manifest
    changes (an `index` run or the watcher), so a running server never answers from a
    stale BM25 side or from passages the manifest no longer lists."""

    def __init__(self, index_dir: Path, embedder: Embedder, config) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self.config = config
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._load()

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            st = (self.index_dir / MANIFEST).stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _load(self) -> None:
        stamp = self._manifest_stamp()
        manifest = read_manifest(self.index_dir)
        if manifest is None:
            raise IndexError_(
                f"no index in {self.index_dir}: run `assistant index --articles DIR "
                f"--index-dir {self.index_dir}` first"
            )
        check_compatible(manifest, self.embedder.name, self.config.chunk_settings(),
                         self.config.chroma_url)  # fmt: skip
        if not manifest.bm25_dir:
            raise IndexError_(
                f"the index in {self.index_dir} is incomplete: run `assistant index --rebuild`"
            )
        self.lexical = LexicalIndex.load(self.index_dir, manifest.bm25_dir)
        if getattr(self, "vectors", None) is not None:
            self.vectors.close()
        self.vectors = VectorStore(self.index_dir, self.config.chroma_url)
        if self.vectors.count() < manifest.passage_count:
            raise IndexError_(
                f"the vector store of {self.index_dir} holds {self.vectors.count()} passages "
                f"but the manifest lists {manifest.passage_count} (deleted or damaged): run "
                "`assistant index --rebuild`"
            )
        self.manifest = manifest
        self.live = manifest.live_ids()
        self._stamp = stamp

    def version(self) -> tuple[int, int] | None:
        """What identifies the index on disk now (its manifest's time and size)."""
        return self._manifest_stamp()

    def refresh(self) -> None:
        """Reload if the manifest changed since it was read."""
        if self._manifest_stamp() != self._stamp:
            with self._lock:
                if self._manifest_stamp() != self._stamp:
                    log.info("index changed on disk: reloading")
                    self._load()

    @property
    def vocabulary(self):
        """Folded words of the indexed articles (the BM25 vocabulary)."""
        return self.lexical.vocabulary

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        """Fused hits for `question`, best first. Safe from several threads: the index
        is read under the lock a reload takes (a few ms; the query embedding is outside)."""
        self.refresh()
        k = k or self.config.candidates
        dense_too = self.config.fusion in ("rrf", "dense")
        vector = self.embedder.embed_query(question) if dense_too else None
        with self._lock:
            live = self.live
            rankings: dict[str, list[str]] = {}
            if vector is not None:
                # Ask for a few more than needed: ids an unfinished update added are skipped.
                dense = self.vectors.query(vector, self.config.candidates + 10)
                rankings["dense"] = [pid for pid, _ in dense if pid in live][
                    : self.config.candidates
                ]
            if self.config.fusion in ("rrf", "bm25"):
                rankings["bm25"] = [
                    pid for pid, _ in self.lexical.query(question, self.config.candidates)
                ]
            # Keyword matching is weak across languages: trust the multilingual embedder more.
            weights = {"bm25": 0.3} if looks_english(question) else None
            fused = rrf(rankings, self.config.rrf_k, weights)[:k]
            passages = self.vectors.get([pid for pid, _, _ in fused])
        return [Hit(passages[pid], score, ranks) for pid, score, ranks in fused if pid in passages]
