"""Embedding models behind one small interface: `Embedder.embed_documents` / `embed_query`.

`SentenceTransformerEmbedder` loads any sentence-transformers model (the default is the
locally assembled EmbeddingGemma-300M; a hub id works for users with internet) and uses
the model's own query/document prompts when it has them. `HashEmbedder` is a
deterministic, dependency-free stand-in for fast tests. Nothing else here.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from typing import Protocol

from assistant.text import tokens

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str], titles: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def cpu_has_native_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU does bfloat16 arithmetic natively (AVX512-BF16 or AMX-BF16).

    Without it, torch emulates bf16 matrix products and EmbeddingGemma runs several times
    slower than in float32 (README, "Embedding precision"). Non-Linux systems: False.
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                cpuinfo = f.read()
        except OSError:
            return False
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    words = set(flags.partition(":")[2].split())
    return bool(words & {"avx512_bf16", "amx_bf16"})


def resolve_dtype(dtype: str) -> str:
    """ "auto" is bfloat16 where the CPU has it natively, else float32; others unchanged."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if cpu_has_native_bf16() else "float32"


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU, normalised embeddings.

    `dtype` "auto" (the default) picks bfloat16 on CPUs with native bf16 and float32
    elsewhere; both give the same rankings (MODELS.md), so an index built in one is
    queried in the other.
    """

    def __init__(self, model: str, dtype: str = "auto", batch_size: int = 16) -> None:
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()

        dtype = resolve_dtype(dtype)
        if dtype not in {"bfloat16", "float32"}:
            raise ValueError(f"embedding dtype {dtype!r}: use auto, bfloat16 or float32")
        self.dtype = dtype
        log.info("embedding model in %s", dtype)
        kwargs = {"torch_dtype": getattr(torch, dtype)} if dtype != "float32" else {}
        self._model = SentenceTransformer(model, device="cpu", model_kwargs=kwargs)
        self._model.max_seq_length = min(self._model.max_seq_length or 512, 512)
        self.name = model
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())
        self.batch_size = batch_size
        prompts = getattr(self._model, "prompts", {}) or {}
        self._doc_prompt = prompts.get("document", "")
        self._query_prompt = prompts.get("query", "")
        # Queries from several users' threads go one at a time: each already uses every
        # core, and the tokenizer is not meant to be shared by threads.
        self._query_lock = threading.Lock()

    def _doc_string(self, text: str, title: str) -> str:
        # EmbeddingGemma was trained with "title: {title} | text: {text}" for documents.
        if self._doc_prompt.startswith("title: none"):
            return f"title: {title or 'none'} | text: {text}"
        return f"{self._doc_prompt}{title}\n{text}" if title else f"{self._doc_prompt}{text}"

    def embed_documents(self, texts: list[str], titles: list[str]) -> list[list[float]]:
        strings = [self._doc_string(t, h) for t, h in zip(texts, titles, strict=True)]
        vectors = self._model.encode(
            strings,
            prompt="",
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.astype("float32").tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._query_lock:
            vector = self._model.encode(
                [text],
                prompt=self._query_prompt,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )[0]
        return vector.astype("float32").tolist()


class HashEmbedder:
    """Deterministic bag-of-folded-words embedding (feature hashing). For tests only:
    it retrieves by shared words, so test expectations stay predictable."""

    def __init__(self, dim: int = 256, name: str = "test-hash-embedder") -> None:
        self.name = name
        self.dim = dim

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for tok in tokens(text):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 63) == 0 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str], titles: list[str]) -> list[list[float]]:
        return [self._vector(f"{h} {t}") for t, h in zip(texts, titles, strict=True)]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
