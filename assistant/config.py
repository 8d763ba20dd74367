"""One `Config` object, built at the CLI entry point from flags and `ASSISTANT_*` variables.

Precedence: command-line flag > environment variable > default. Everything downstream
receives the Config explicitly; nothing reads global settings.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from assistant.models import EMBED_DIR_NAME, LLM_FILE_NAME, default_models_dir


def default_index_dir() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "vn-news-assistant" / "index"


@dataclass(frozen=True)
class Config:
    index_dir: Path = field(default_factory=default_index_dir)
    articles_dir: Path = Path("seeds")
    models_dir: Path = field(default_factory=default_models_dir)
    # Vectors: "" = embedded Chroma in the index dir; http://HOST:PORT = a `chroma run` server
    chroma_url: str = ""
    # Embeddings: a local folder or any sentence-transformers model id ("" = the default).
    embed_model: str = ""
    # "auto": bfloat16 where the CPU has native bf16 (AVX512-BF16, AMX), else float32
    embed_dtype: str = "auto"
    # Generation (a llama-index LLM each): "local" (GGUF in-process via llama.cpp), "openai"
    # (any OpenAI-compatible server: OpenAILike) or "ollama" (an Ollama server).
    llm: str = "local"
    llm_model: str = ""  # GGUF path for local ("" = the default), model name otherwise
    # openai: the server's /v1 URL; ollama: its root (a trailing /v1 is dropped)
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_api_key: str = ""
    llm_threads: int = 0  # 0 = all cores
    llm_ctx: int = 4096  # tokens of context per slot
    # Answers generated at once (llama.cpp slots, decoded together in one batch); more
    # requests wait for a free slot. Local backend only. On 2 CPU cores more slots only
    # share the same compute (README, "Many readers at once"): 1.
    llm_parallel: int = 1
    llm_timeout: float = 120.0
    max_answer_tokens: int = 120
    # Chunking
    chunk_encoding: str = "o200k_base"
    chunk_tokens: int = 160
    chunk_overlap: int = 1
    # Retrieval
    fusion: str = "rrf"  # rrf | dense | bm25
    rrf_k: int = 60
    candidates: int = 20  # per retriever, before fusion
    context_passages: int = 4  # passages shown to the model
    context_sentences: int = 2  # best sentences per passage shown to the model
    context_tokens: int = 200  # budget for all excerpts shown to the model
    # Sentences scoring under this share of the best one (by shared rare words) are not
    # shown: fewer prompt tokens, a faster first token (0 = keep the best 2 of each passage)
    context_min_share: float = 0.6
    # When the model finds no answer in those excerpts, it reads once more with this many
    # tokens of excerpts (more passages, more sentences of each); 0: never. Off: at 500, on
    # our corpus's 115 questions, 1 more right and 2 more wrong shown as found (README)
    reread_tokens: int = 0
    # Web
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""  # "user:password[,user2:password2]": login required on every route
    max_upload_mb: float = 5.0

    @property
    def embed_model_path(self) -> str:
        return self.embed_model or str(self.models_dir / EMBED_DIR_NAME)

    @property
    def llm_model_path(self) -> str:
        if self.llm == "local":
            return self.llm_model or str(self.models_dir / LLM_FILE_NAME)
        return self.llm_model

    def chunk_settings(self):
        from index.chunker import ChunkSettings

        return ChunkSettings(self.chunk_encoding, self.chunk_tokens, self.chunk_overlap)

    def to_json(self) -> dict:
        data = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}
        data["embed_model"] = self.embed_model_path
        data["llm_model"] = self.llm_model_path
        data["llm_api_key"] = "***" if self.llm_api_key else ""
        data["auth"] = "***" if self.auth else ""
        return data


def _coerce(value: str, kind: type):
    if kind is Path or kind == "Path":
        return Path(value).expanduser()
    if kind in (int, "int"):
        return int(value)
    if kind in (float, "float"):
        return float(value)
    return value


def load_config(**overrides) -> Config:
    """Defaults, then `ASSISTANT_<FIELD>` variables, then non-None `overrides` (CLI flags)."""
    config = Config()
    values = {}
    for f in fields(Config):
        env = os.environ.get(f"ASSISTANT_{f.name.upper()}")
        if env not in (None, ""):
            try:
                values[f.name] = _coerce(env, f.type)
            except ValueError as exc:
                raise ValueError(f"ASSISTANT_{f.name.upper()}={env!r} is not valid: {exc}") from exc
    for name, value in overrides.items():
        if value is not None:
            kind = next(f.type for f in fields(Config) if f.name == name)
            values[name] = _coerce(value, kind) if isinstance(value, str) else value
    config = replace(config, **values)
    if config.llm not in ("local", "openai", "ollama"):
        raise ValueError(f"llm must be 'local', 'openai' or 'ollama', not {config.llm!r}")
    if config.llm_parallel < 1:
        raise ValueError(f"llm_parallel must be at least 1, not {config.llm_parallel}")
    if config.fusion not in ("rrf", "dense", "bm25"):
        raise ValueError(f"fusion must be rrf, dense or bm25, not {config.fusion!r}")
    return config
