"""Keep an index in step with an article folder while running (`assistant watch`).

Polls the folder's file names, sizes and modification times every `interval` seconds and
runs the incremental `build_index` when they change, so only changed articles are read and
embedded. Polling (not inotify) works the same on every filesystem, network shares included.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from index.build import IndexReport, build_index
from index.chunker import ChunkSettings
from index.embedder import Embedder
from index.loader import article_files

log = logging.getLogger(__name__)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for path in article_files(folder):
        try:
            st = path.stat()
        except OSError:
            continue
        out[str(path.relative_to(folder))] = (st.st_mtime_ns, st.st_size)
    return out


def watch(
    articles_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    settings: ChunkSettings,
    on_report: Callable[[IndexReport], None],
    interval: float = 2.0,
    stop: threading.Event | None = None,
    chroma_url: str = "",
) -> None:
    """Index now, then again after every change, until `stop` is set (or forever)."""
    stop = stop or threading.Event()
    seen = None
    while not stop.is_set():
        current = snapshot(articles_dir)
        if current != seen:
            try:
                on_report(build_index(articles_dir, index_dir, embedder, settings,
                                      chroma_url=chroma_url))  # fmt: skip
                seen = current
            except OSError as exc:  # a file vanished mid-run: try again next round
                log.warning("indexing failed (%s); retrying", exc)
        stop.wait(interval)
