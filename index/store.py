"""The on-disk index: a Chroma collection (vectors + passage metadata), a bm25s index over
folded Vietnamese tokens, and `manifest.json` saying how it all was built.

Layout of an index dir: `chroma/` (embedded PersistentClient), `bm25-<id>/` (bm25s files
plus `ids.json`), `manifest.json`. The manifest is the commit point: it names the live
passages and the BM25 folder that goes with them, and is replaced atomically, last. Readers
only trust ids the manifest lists, so a crash mid-update leaves the previous state readable.
Chroma and bm25s types stay in this module; bookkeeping lives in `index.build`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from assistant.text import tokens
from assistant.types import Passage

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
COLLECTION = "passages"
MANIFEST = "manifest.json"
TOKENS = "tokens.npz"
TOKENS_VOCAB = "tokens-vocab.json"


class IndexError_(RuntimeError):
    """The index is missing, damaged or incompatible; the message says how to fix it."""


@dataclass
class Manifest:
    embed_model: str
    embed_dim: int
    chunking: dict
    schema_version: int = SCHEMA_VERSION
    articles: dict[str, dict] = field(default_factory=dict)
    bm25_dir: str = ""
    chroma_url: str = ""  # where the vectors live: "" = embedded in the index dir

    def to_json(self) -> dict:
        return {
            "schema_version": self.schema_version,
            "embed_model": self.embed_model,
            "embed_dim": self.embed_dim,
            "chunking": self.chunking,
            "bm25_dir": self.bm25_dir,
            "chroma_url": self.chroma_url,
            "articles": self.articles,
        }

    @property
    def passage_count(self) -> int:
        return sum(len(a["passages"]) for a in self.articles.values())

    def live_ids(self) -> set[str]:
        return {pid for a in self.articles.values() for pid in a["passages"]}


def read_manifest(index_dir: Path) -> Manifest | None:
    path = index_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(
            embed_model=data["embed_model"],
            embed_dim=int(data["embed_dim"]),
            chunking=data["chunking"],
            schema_version=int(data["schema_version"]),
            articles=data.get("articles", {}),
            bm25_dir=data.get("bm25_dir", ""),
            chroma_url=data.get("chroma_url", ""),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexError_(
            f"the index manifest {path} is damaged ({exc}): run `assistant index --rebuild`"
        ) from exc


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Atomic write: a crash leaves either the old or the new manifest."""
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=index_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(manifest.to_json(), fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / MANIFEST)


def _client(index_dir: Path, chroma_url: str = ""):
    """The embedded store in `index_dir/chroma`, or a Chroma server (`chroma run`) at
    `chroma_url` (http[s]://HOST:PORT)."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=True)
    if not chroma_url:
        return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=settings)
    from urllib.parse import urlparse

    url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise IndexError_(f"--chroma-url {chroma_url!r} is not an http(s)://HOST:PORT address")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    except Exception as exc:  # chromadb raises plain exceptions when the server is down
        raise IndexError_(
            f"cannot reach the Chroma server at {chroma_url} ({exc}): start it with "
            "`chroma run --path DIR --port PORT`, or leave --chroma-url out for the "
            "embedded store"
        ) from exc


class VectorStore:
    """The Chroma side. Embeddings are always passed in; Chroma never embeds."""

    def __init__(self, index_dir: Path, chroma_url: str = "") -> None:
        self._client = _client(index_dir, chroma_url)
        self._col = self._client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def close(self) -> None:
        """Release this client; a new VectorStore then sees what other processes wrote
        (Chroma keeps one shared system per path and process until its last client closes)."""
        close = getattr(self._client, "close", None)
        if close is not None:
            close()

    @staticmethod
    def drop(index_dir: Path, chroma_url: str = "") -> None:
        """Delete the collection (through the client, which Chroma caches per path)."""
        if not chroma_url and not (index_dir / "chroma").exists():
            return
        client = _client(index_dir, chroma_url)
        try:
            names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
            if COLLECTION in names:
                client.delete_collection(COLLECTION)
        finally:
            getattr(client, "close", lambda: None)()

    def count(self) -> int:
        return self._col.count()

    def upsert(self, passages: list[Passage], vectors: list[list[float]]) -> None:
        if not passages:
            return
        self._col.upsert(
            ids=[p.id for p in passages],
            documents=[p.text for p in passages],
            metadatas=[p.metadata() for p in passages],
            embeddings=vectors,
        )

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), 5000):
            self._col.delete(ids=ids[i : i + 5000])

    def get(self, ids: list[str]) -> dict[str, Passage]:
        if not ids:
            return {}
        got = self._col.get(ids=ids, include=["documents", "metadatas"])
        return {
            pid: Passage.from_metadata(pid, doc, meta)
            for pid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    def all_ids(self, batch: int = 10000) -> set[str]:
        ids: set[str] = set()
        for offset in range(0, self.count(), batch):
            ids.update(self._col.get(include=[], limit=batch, offset=offset)["ids"])
        return ids

    def texts_for_bm25(self, ids: list[str], batch: int = 5000) -> list[str]:
        """Passage text with its article context, in the order of `ids`, for BM25."""
        texts: dict[str, str] = {}
        for i in range(0, len(ids), batch):
            got = self._col.get(ids=ids[i : i + batch], include=["documents", "metadatas"])
            for pid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                texts[pid] = f"{meta.get('context', '')}\n{doc}"
        missing = [pid for pid in ids if pid not in texts]
        if missing:
            raise IndexError_(
                f"{len(missing)} passages listed in the manifest are missing from the vector "
                "store: run `assistant index --rebuild`"
            )
        return [texts[pid] for pid in ids]

    def query(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        k = min(k, self.count())
        if k <= 0:
            return []
        res = self._col.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return list(zip(res["ids"][0], (1.0 - d for d in res["distances"][0]), strict=True))


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG when imported; keep it quiet.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class LexicalIndex:
    """The bm25s side, over folded tokens so queries without diacritics match."""

    def __init__(self, retriever, ids: list[str], corpus=None) -> None:
        self._retriever = retriever
        self.ids = ids
        self._corpus = corpus  # (token ids per passage, vocabulary) when just built

    @staticmethod
    def tokenize(texts: list[str]) -> list[list[str]]:
        return [tokens(t) for t in texts]

    @classmethod
    def build(cls, ids: list[str], token_lists: list[list[str]]) -> LexicalIndex:
        vocab: dict[str, int] = {}
        doc_ids = [[vocab.setdefault(t, len(vocab)) for t in toks] for toks in token_lists]
        retriever = _bm25s().BM25()
        if ids:
            retriever.index((doc_ids, dict(vocab)), show_progress=False)
        return cls(retriever, ids, (doc_ids, vocab))

    def save(self, index_dir: Path) -> str:
        """Write into a new `bm25-<id>` folder (complete before the manifest names it);
        return its name. The passages' tokens are kept beside the index, so the next
        update tokenizes only new passages instead of reading every text back."""
        import numpy as np

        tmp = Path(tempfile.mkdtemp(prefix=".bm25-tmp-", dir=index_dir))
        if self.ids:
            self._retriever.save(str(tmp), show_progress=False)
        if self._corpus is not None:
            doc_ids, vocab = self._corpus
            lengths = np.fromiter((len(d) for d in doc_ids), dtype=np.int64, count=len(doc_ids))
            np.savez(
                tmp / TOKENS,
                flat=np.fromiter((t for d in doc_ids for t in d), dtype=np.int32,
                                 count=int(lengths.sum())),
                offsets=np.concatenate([[0], np.cumsum(lengths)]),
            )  # fmt: skip
            (tmp / TOKENS_VOCAB).write_text(json.dumps(list(vocab), ensure_ascii=False),
                                            encoding="utf-8")  # fmt: skip
        (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        name = f"bm25-{uuid.uuid4().hex[:12]}"
        os.replace(tmp, index_dir / name)
        return name

    @classmethod
    def load(cls, index_dir: Path, name: str) -> LexicalIndex:
        bm25s = _bm25s()
        folder = index_dir / name
        try:
            ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            retriever = bm25s.BM25.load(str(folder)) if ids else bm25s.BM25()
        except (OSError, ValueError) as exc:
            raise IndexError_(
                f"the keyword index in {folder} is missing or damaged: "
                "run `assistant index --rebuild`"
            ) from exc
        return cls(retriever, ids)

    @staticmethod
    def saved_tokens(index_dir: Path, name: str) -> dict[str, list[str]]:
        """{passage id: tokens} kept by `save` in folder `name` ({} when absent or
        unreadable: the caller then tokenizes from the texts)."""
        import numpy as np

        folder = index_dir / name
        try:
            ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            vocab = json.loads((folder / TOKENS_VOCAB).read_text(encoding="utf-8"))
            with np.load(folder / TOKENS) as data:
                flat, offsets = data["flat"].tolist(), data["offsets"].tolist()
        except (OSError, ValueError, KeyError):
            return {}
        if len(offsets) != len(ids) + 1:
            return {}
        return {
            pid: [vocab[t] for t in flat[offsets[i] : offsets[i + 1]]] for i, pid in enumerate(ids)
        }

    @property
    def vocabulary(self):
        return getattr(self._retriever, "vocab_dict", None) or {}

    def query(self, text: str, k: int) -> list[tuple[str, float]]:
        query = tokens(text)
        if not self.ids or not query:
            return []
        vocab = getattr(self._retriever, "vocab_dict", None)
        if vocab is not None:
            query = [t for t in query if t in vocab]
            if not query:
                return []
        k = min(k, len(self.ids))
        docs, scores = self._retriever.retrieve([query], k=k, show_progress=False)
        return [
            (self.ids[int(d)], float(s))
            for d, s in zip(docs[0], scores[0], strict=True)
            if float(s) > 0
        ]
