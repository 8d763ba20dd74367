"""Bring an index dir in line with an article folder: add, update, remove, skip unchanged.

Articles are tracked by the sha256 of their bytes in the manifest. Changed and removed
articles lose their old passages, new and changed ones are chunked and embedded, the BM25
side is rebuilt from the stored passages, and the manifest is written last. Reading and
chunking are in `index.loader` / `index.chunker`; storage in `index.store`.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.chunker import ChunkSettings, chunk
from index.embedder import Embedder
from index.loader import UnreadableArticle, article_files, load
from index.store import (
    SCHEMA_VERSION,
    IndexError_,
    LexicalIndex,
    Manifest,
    VectorStore,
    read_manifest,
    write_manifest,
)

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
        }


def check_compatible(manifest: Manifest, embed_model: str, settings: ChunkSettings) -> None:
    if manifest.schema_version != SCHEMA_VERSION:
        raise IndexError_(
            f"the index was built with schema {manifest.schema_version}, this version uses "
            f"{SCHEMA_VERSION}: run `assistant index --rebuild`"
        )
    if manifest.embed_model != embed_model:
        raise IndexError_(
            f"the index was built with the embedding model {manifest.embed_model!r}, but "
            f"{embed_model!r} is configured: use that model, or run `assistant index --rebuild`"
        )
    if manifest.chunking != settings.to_json():
        raise IndexError_(
            f"the index was built with chunking {manifest.chunking}, but {settings.to_json()} "
            "is configured: run `assistant index --rebuild`"
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_index(
    articles_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    settings: ChunkSettings,
    rebuild: bool = False,
    progress: bool = False,
    batch_size: int = 32,
) -> IndexReport:
    """Index `articles_dir` into `index_dir`; return what changed."""
    from tqdm import tqdm

    started = time.perf_counter()
    if not articles_dir.is_dir():
        raise IndexError_(f"the articles folder {articles_dir} does not exist or is not a folder")
    index_dir.mkdir(parents=True, exist_ok=True)
    if rebuild:
        # Manifest first: an interrupted rebuild must not look like a finished index.
        (index_dir / "manifest.json").unlink(missing_ok=True)
        VectorStore.drop(index_dir)
        shutil.rmtree(index_dir / "bm25", ignore_errors=True)
    manifest = read_manifest(index_dir)
    if manifest is None:
        manifest = Manifest(embed_model=embedder.name, embed_dim=embedder.dim,
                            chunking=settings.to_json())  # fmt: skip
    else:
        check_compatible(manifest, embedder.name, settings)

    report = IndexReport()
    current: dict[str, tuple[Path, str]] = {}
    seen_hashes: dict[str, str] = {}
    for path in article_files(articles_dir):
        name = str(path.relative_to(articles_dir))
        try:
            digest = _sha256(path)
        except OSError as exc:
            report.skipped.append((name, f"cannot be read ({exc.strerror or exc})"))
            continue
        if digest in seen_hashes:
            report.duplicates.append((name, seen_hashes[digest]))
            continue
        seen_hashes[digest] = name
        current[name] = (path, digest)

    store = VectorStore(index_dir)
    old = manifest.articles
    removed = [name for name in old if name not in current]
    todo = [n for n, (_, d) in current.items() if n not in old or old[n]["sha256"] != d]
    report.unchanged = len(current) - len(todo)

    stale_ids = [pid for name in removed for pid in old[name]["passages"]]
    stale_ids += [pid for name in todo if name in old for pid in old[name]["passages"]]
    store.delete(stale_ids)
    for name in removed:
        del manifest.articles[name]
    report.removed = len(removed)

    bar = tqdm(total=len(todo), desc="Indexing articles", unit="article", disable=not progress)
    for name in todo:
        path, digest = current[name]
        try:
            article = load(path, name)
        except (UnreadableArticle, OSError) as exc:
            report.skipped.append((name, str(exc)))
            manifest.articles.pop(name, None)
            bar.update(1)
            continue
        passages = chunk(article, settings)
        for i in range(0, len(passages), batch_size):
            batch = passages[i : i + batch_size]
            vectors = embedder.embed_documents([p.text for p in batch], [p.context for p in batch])
            store.upsert(batch, vectors)
        if name in old:
            report.updated += 1
        else:
            report.added += 1
        manifest.articles[name] = {
            "sha256": digest,
            "title": article.title,
            "date": article.date,
            "paragraphs": len(article.paragraphs),
            "passages": [p.id for p in passages],
        }
        bar.update(1)
    bar.close()

    ids, texts = store.all_for_bm25()
    LexicalIndex.build(ids, texts).save(index_dir)
    write_manifest(index_dir, manifest)
    report.chunks = manifest.passage_count
    report.seconds = time.perf_counter() - started
    return report
