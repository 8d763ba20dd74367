"""The articles folder as the web page manages it: list, upload, delete, re-index.

Uploads are checked (type, size, a decodable article) and saved under a sanitized name
inside the articles folder only; each change is followed by an incremental `build_index`
run. One indexing run at a time (a lock); readers keep answering from the last committed
index meanwhile and pick up the new one through the manifest. The page is `assistant.web`.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from index.build import IndexReport, build_index
from index.loader import SUFFIXES, UnreadableArticle, load
from index.store import read_manifest

log = logging.getLogger(__name__)


class LibraryError(ValueError):
    """An upload or a deletion that cannot be done; the message says why (in Vietnamese)."""


@dataclass(frozen=True)
class ArticleRow:
    file: str
    title: str
    date: str
    paragraphs: int
    passages: int


def safe_name(name: str) -> str:
    """A file name that stays inside the articles folder: no folders, no leading dot,
    letters (Vietnamese included), digits, '-', '_' and one extension."""
    base = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("._-")[:120]
    ext = ext.lower()
    if not stem:
        raise LibraryError(f"tên tệp {name!r} không dùng được: đổi tên rồi tải lên lại")
    if f".{ext}" not in SUFFIXES:
        kinds = ", ".join(sorted(SUFFIXES))
        raise LibraryError(f"{base}: chỉ nhận tệp {kinds}")
    return f"{stem}.{ext}"


class Library:
    def __init__(self, articles_dir: Path, index_dir: Path, embedder, settings,
                 max_upload_bytes: int, chroma_url: str = "") -> None:  # fmt: skip
        self.articles_dir = articles_dir
        self.index_dir = index_dir
        self.embedder = embedder
        self.settings = settings
        self.max_upload_bytes = max_upload_bytes
        self.chroma_url = chroma_url
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def rows(self) -> list[ArticleRow]:
        """The indexed articles, by file name, as the manifest lists them."""
        manifest = read_manifest(self.index_dir)
        if manifest is None:
            return []
        return [
            ArticleRow(
                name,
                a.get("title", ""),
                a.get("date") or "",
                int(a.get("paragraphs", 0)),
                len(a.get("passages", ())),
            )  # fmt: skip
            for name, a in sorted(manifest.articles.items())
        ]

    def add(self, uploads: list[tuple[str, Path]]) -> list[str]:
        """Check and copy uploaded files (original name, temp path) into the folder; return
        the names saved. Nothing is saved when any file is refused."""
        checked: list[tuple[str, Path]] = []
        for original, path in uploads:
            name = safe_name(original)
            size = path.stat().st_size
            if size > self.max_upload_bytes:
                limit = self.max_upload_bytes / 1_000_000
                raise LibraryError(f"{name}: {size / 1_000_000:.1f} MB, giới hạn là {limit:g} MB")
            try:
                load(path, name)
            except UnreadableArticle as exc:
                raise LibraryError(f"{name}: không đọc được như một bài báo ({exc})") from exc
            checked.append((name, path))
        self.articles_dir.mkdir(parents=True, exist_ok=True)
        for name, path in checked:
            target = self.articles_dir / name
            # Copy beside the target, then rename: the indexer never sees half a file.
            with (
                path.open("rb") as src,
                tempfile.NamedTemporaryFile(
                    dir=self.articles_dir, prefix=".upload-", delete=False
                ) as tmp,
            ):
                shutil.copyfileobj(src, tmp)
            Path(tmp.name).replace(target)
        return [name for name, _ in checked]

    def remove(self, name: str) -> None:
        path = (self.articles_dir / name).resolve()
        if path.parent != self.articles_dir.resolve() or not path.is_file():
            raise LibraryError(f"không có bài {name!r} trong thư mục bài báo")
        path.unlink()

    def update(self, reembed: bool = False, on_progress=None) -> IndexReport:
        """Bring the index in line with the folder (one run at a time);
        `on_progress(done, total)` follows the embedding."""
        with self._lock:
            return build_index(self.articles_dir, self.index_dir, self.embedder, self.settings,
                               reembed=reembed, on_progress=on_progress,
                               chroma_url=self.chroma_url)  # fmt: skip


def summary(report: IndexReport) -> str:
    """One Vietnamese line saying what an indexing run did."""
    parts = [
        f"thêm {report.added}",
        f"cập nhật {report.updated}",
        f"xoá {report.removed}",
        f"giữ nguyên {report.unchanged}",
    ]
    text = f"Đã lập chỉ mục: {', '.join(parts)} bài; {report.chunks} đoạn; {report.seconds:.1f} s."
    for name, reason in report.skipped:
        text += f"\nBỏ qua {name}: {reason}"
    for name, first in report.duplicates:
        text += f"\n{name} trùng nội dung với {first}: chỉ lập chỉ mục một lần"
    return text
