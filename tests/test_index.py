import json
import os
import shutil

import pytest

from assistant.config import Config
from index.build import build_index
from index.embedder import HashEmbedder
from index.store import IndexError_, read_manifest


def _build(articles, index_dir, embedder=None, **kw):
    return build_index(articles, index_dir, embedder or HashEmbedder(), Config().chunk_settings(),
                       **kw)  # fmt: skip


def test_full_build_then_add_edit_delete_noop(articles, tmp_path):
    index_dir = tmp_path / "idx"
    first = _build(articles, index_dir)
    assert (first.added, first.updated, first.removed, first.unchanged) == (5, 0, 0, 0)
    manifest = read_manifest(index_dir)
    assert manifest.embed_model == "test-hash-embedder" and manifest.embed_dim == 256
    assert manifest.chunking == Config().chunk_settings().to_json()
    assert first.chunks == manifest.passage_count > 5

    again = _build(articles, index_dir)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert again.chunks == first.chunks

    (articles / "new.txt").write_text("Tin Đà Nẵng\nĐà Nẵng lắp 120 mắt camera.", encoding="utf-8")
    edited = articles / "004_721a6428900b10ba.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nThêm một đoạn mới.", "utf-8")
    (articles / "000_2246f83234220e73.txt").unlink()
    changed = _build(articles, index_dir)
    assert (changed.added, changed.updated, changed.removed, changed.unchanged) == (1, 1, 1, 3)

    fresh = tmp_path / "fresh"
    rebuilt = _build(articles, fresh)
    assert rebuilt.chunks == changed.chunks
    assert _state(index_dir) == _state(fresh)
    # one BM25 folder, no leftovers
    assert [p.name for p in index_dir.glob("bm25-*")] == [read_manifest(index_dir).bm25_dir]


def _state(index_dir):
    """What a reader sees: the live ids, the BM25 ids and the vectors actually stored."""
    from index.store import VectorStore

    manifest = read_manifest(index_dir)
    bm25_ids = json.loads((index_dir / manifest.bm25_dir / "ids.json").read_text())
    store = VectorStore(index_dir)
    stored = sorted(store.all_ids())
    store.close()
    return sorted(manifest.live_ids()), sorted(bm25_ids), stored


def test_edit_re_embeds_only_the_changed_paragraphs(articles, tmp_path):
    index_dir = tmp_path / "idx"
    _build(articles, index_dir)
    path = articles / "001_221d6abb8b15921d.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("gần 300", "gần 350"), "utf-8")
    report = _build(articles, index_dir)
    assert (report.updated, report.unchanged) == (1, 4)
    # only the (overlapping) windows holding "gần 300" are embedded again, not the article
    assert 1 <= report.embedded <= 2


def test_unchanged_files_are_known_by_size_and_time_and_edits_still_seen(articles, tmp_path):
    index_dir = tmp_path / "idx"
    _build(articles, index_dir)
    path = articles / "001_221d6abb8b15921d.txt"
    recorded = read_manifest(index_dir).articles[path.name]
    assert recorded["size"] == path.stat().st_size
    assert recorded["mtime_ns"] == path.stat().st_mtime_ns
    # same size, new content (a figure changed digit for digit), new time: re-read
    path.write_text(path.read_text(encoding="utf-8").replace("gần 300", "gần 900"), "utf-8")
    report = _build(articles, index_dir)
    assert (report.updated, report.unchanged) == (1, 4)
    # touched, same bytes: unchanged, nothing embedded
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    report = _build(articles, index_dir)
    assert (report.added, report.updated, report.unchanged, report.embedded) == (0, 0, 5, 0)


def test_updates_reuse_kept_tokens_and_match_a_fresh_build(articles, tmp_path):
    from index.store import LexicalIndex

    index_dir = tmp_path / "idx"
    _build(articles, index_dir)
    path = articles / "001_221d6abb8b15921d.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("gần 300", "gần 350"), "utf-8")
    (articles / "new.txt").write_text("Tin Đà Nẵng\nĐà Nẵng lắp 120 mắt camera.", "utf-8")
    _build(articles, index_dir)
    fresh_dir = tmp_path / "fresh"
    _build(articles, fresh_dir)
    updated, fresh = read_manifest(index_dir), read_manifest(fresh_dir)
    kept = LexicalIndex.saved_tokens(index_dir, updated.bm25_dir)
    assert set(kept) == updated.live_ids()
    a = LexicalIndex.load(index_dir, updated.bm25_dir)
    b = LexicalIndex.load(fresh_dir, fresh.bm25_dir)
    for query in ("bao loc co bao nhieu mat camera", "Đà Nẵng camera", "gần 350"):
        assert a.query(query, 10) == b.query(query, 10)


def test_duplicate_content_is_indexed_once(articles, tmp_path):
    shutil.copy(articles / "001_221d6abb8b15921d.txt", articles / "copy.txt")
    report = _build(articles, tmp_path / "idx")
    assert report.added == 5
    assert report.duplicates == [("copy.txt", "001_221d6abb8b15921d.txt")]


def test_unreadable_files_are_skipped_with_a_reason(articles, tmp_path):
    (articles / "empty.txt").write_bytes(b"")
    (articles / "junk.txt").write_bytes(b"\x00\x01\x02\x03" * 50)
    report = _build(articles, tmp_path / "idx")
    assert report.added == 5
    reasons = dict(report.skipped)
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["junk.txt"]


def test_other_embedding_model_is_refused(articles, tmp_path):
    index_dir = tmp_path / "idx"
    _build(articles, index_dir)
    with pytest.raises(IndexError_, match="rebuild"):
        _build(articles, index_dir, HashEmbedder(name="another-model"))
    report = _build(articles, index_dir, HashEmbedder(name="another-model"), rebuild=True)
    assert report.added == 5


def test_embedding_dtype_auto_is_bf16_only_where_the_cpu_has_it():
    from index.embedder import cpu_has_native_bf16

    avx2_only = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n"
    zen4 = "flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n"
    sapphire = "flags\t\t: fpu avx2 avx512f amx_bf16 amx_tile\n"
    assert not cpu_has_native_bf16(avx2_only)
    assert cpu_has_native_bf16(zen4) and cpu_has_native_bf16(sapphire)
    assert not cpu_has_native_bf16("")  # no flags line (not Linux): float32
