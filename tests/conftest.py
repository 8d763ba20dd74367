"""Shared fixtures: seed articles, a deterministic embedder, a scripted LLM, a test index."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


class ScriptedLLM:
    """Replies from a script: a list of strings, or a function of the messages.
    Records every prompt it saw."""

    name = "scripted"

    def __init__(self, replies):
        self.replies = replies
        self.calls: list[list[dict]] = []

    def chat(self, messages, max_tokens=200, on_token=None):
        self.calls.append(messages)
        if callable(self.replies):
            reply = self.replies(messages)
        else:
            reply = self.replies.pop(0) if self.replies else "NOT_FOUND"
        if on_token:
            for piece in reply.split(" "):
                on_token(piece + " ")
        return reply


@pytest.fixture(scope="session")
def hash_embedder():
    from index.embedder import HashEmbedder

    return HashEmbedder()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, hash_embedder):
    """The five seeds indexed with the hash embedder (real Chroma + bm25s)."""
    from assistant.config import Config
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("index")
    config = Config(index_dir=index_dir)
    build_index(SEEDS, index_dir, hash_embedder, config.chunk_settings())
    return index_dir


@pytest.fixture()
def config(seed_index, tmp_path):
    from assistant.config import Config

    return replace(Config(), index_dir=seed_index, models_dir=tmp_path / "models")


@pytest.fixture()
def make_assistant(config, hash_embedder):
    from assistant.answer import Assistant
    from assistant.retrieve import Retriever

    def build(replies, **overrides):
        cfg = replace(config, **overrides)
        return Assistant(Retriever(cfg.index_dir, hash_embedder, cfg), ScriptedLLM(replies), cfg)

    return build


@pytest.fixture()
def articles(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder
