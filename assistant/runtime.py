"""Build the heavy components (embedder, retriever, LLM, Assistant) from a `Config`.

Checks first that the configured models exist, so a missing model reads as one clear
message ("run `make models`") instead of a loader's traceback. The CLI, the web page,
`assistant bench` and `assistant.llamaindex` all get their Assistant here.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from assistant.config import Config
from assistant.models import EMBEDDING_GEMMA, QWEN_15B, is_installed

log = logging.getLogger(__name__)


class ModelMissing(RuntimeError):
    """A configured model is not on disk; the message says how to get it."""


def _quiet_libraries() -> None:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    for name in ("sentence_transformers", "chromadb", "httpx", "transformers"):
        logging.getLogger(name).setLevel(logging.WARNING)


def check_embed_model(config: Config) -> None:
    if config.embed_model:
        return  # user-supplied id or path: sentence-transformers resolves it
    if not is_installed(EMBEDDING_GEMMA, config.models_dir):
        raise ModelMissing(
            f"the embedding model is missing from {config.models_dir}: run `make models` "
            "(or set ASSISTANT_EMBED_MODEL to a sentence-transformers model id or folder)"
        )


def check_llm_model(config: Config) -> None:
    if config.llm != "local" or config.llm_model:
        return
    if not is_installed(QWEN_15B, config.models_dir):
        raise ModelMissing(
            f"the generation model is missing from {config.models_dir}: run `make models` "
            "(or set ASSISTANT_LLM_MODEL to a GGUF file, or use --llm openai)"
        )


def make_embedder(config: Config):
    from index.embedder import SentenceTransformerEmbedder

    _quiet_libraries()
    check_embed_model(config)
    if config.embed_model and not Path(config.embed_model).exists():
        log.info("loading embedding model %s (may download it)", config.embed_model)
    return SentenceTransformerEmbedder(config.embed_model_path, config.embed_dtype)


def make_assistant(config: Config, embedder=None, llm=None):
    """The full read path. Fails fast (before loading models) when there is no index.
    `llm`: instead of the configured backend, the assistant's `LLM` interface or any
    llama-index LLM."""
    from assistant.llm import as_chat, make_llm
    from assistant.retrieve import Retriever
    from index.store import IndexError_, read_manifest

    _quiet_libraries()
    if read_manifest(config.index_dir) is None:
        raise IndexError_(
            f"no index in {config.index_dir}: run `assistant index --articles DIR "
            f"--index-dir {config.index_dir}` first"
        )
    if llm is None:
        check_llm_model(config)
    embedder = embedder or make_embedder(config)
    retriever = Retriever(config.index_dir, embedder, config)
    from assistant.answer import Assistant

    return Assistant(retriever, as_chat(llm) if llm else make_llm(config), config)
