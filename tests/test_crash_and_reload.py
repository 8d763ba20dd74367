"""Crash safety (a real indexer killed with SIGKILL) and readers following index changes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import Config
from assistant.retrieve import Retriever
from index.build import build_index
from index.embedder import HashEmbedder
from index.store import VectorStore, read_manifest

ROOT = Path(__file__).resolve().parents[1]

INDEXER = """
import sys, time
from pathlib import Path
from assistant.config import Config
from index.build import build_index
from index.embedder import HashEmbedder

class Slow(HashEmbedder):
    def embed_documents(self, texts, titles):
        time.sleep(0.02 * len(texts))
        return super().embed_documents(texts, titles)

build_index(Path(sys.argv[1]), Path(sys.argv[2]), Slow(), Config().chunk_settings(), batch_size=4)
print("done", flush=True)
"""


def _state(index_dir):
    manifest = read_manifest(index_dir)
    bm25 = json.loads((index_dir / manifest.bm25_dir / "ids.json").read_text())
    return sorted(manifest.live_ids()), sorted(bm25), manifest.articles.keys()


def _run_killed(articles, index_dir, delay):
    proc = subprocess.Popen([sys.executable, "-c", INDEXER, str(articles), str(index_dir)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _search_articles(index_dir, question):
    retriever = Retriever(index_dir, HashEmbedder(), Config(index_dir=index_dir))
    return {h.passage.article for h in retriever.search(question)}


@pytest.mark.parametrize("delay", [0.6, 1.2, 2.0, 3.0])
def test_kill_minus_nine_keeps_last_state_and_next_run_converges(articles, tmp_path, delay):
    index_dir = tmp_path / "idx"
    build_index(articles, index_dir, HashEmbedder(), Config().chunk_settings())
    before = _state(index_dir)
    # change the folder: one edit, one new article, one deletion
    (articles / "zz_new.txt").write_text("Tin Đà Nẵng\nĐà Nẵng lắp 120 mắt camera.\n" * 30, "utf-8")
    edited = articles / "003_fc3363d4b09c08b0.txt"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Phạm Gia Túc", "Túc"), "utf-8")
    (articles / "004_721a6428900b10ba.txt").unlink()

    _run_killed(articles, index_dir, delay)
    after_kill = _state(index_dir)
    # the index still answers: either the old complete state or the new complete one
    fresh = tmp_path / "fresh"
    build_index(articles, fresh, HashEmbedder(), Config().chunk_settings())
    assert after_kill in (before, _state(fresh))
    assert _search_articles(index_dir, "camera an ninh")  # readable, no error
    if after_kill == before:
        assert "zz_new.txt" not in _search_articles(index_dir, "Đà Nẵng lắp 120 mắt camera")

    # the next run converges to exactly what a fresh build holds
    report = build_index(articles, index_dir, HashEmbedder(), Config().chunk_settings())
    assert _state(index_dir) == _state(fresh)
    assert report.chunks == read_manifest(fresh).passage_count
    store = VectorStore(index_dir)
    assert store.all_ids() == read_manifest(index_dir).live_ids()
    store.close()
    assert len(list(index_dir.glob("bm25-*"))) == 1


def test_a_reader_picks_up_changes_without_restart(articles, tmp_path):
    index_dir = tmp_path / "idx"
    build_index(articles, index_dir, HashEmbedder(), Config().chunk_settings())
    retriever = Retriever(index_dir, HashEmbedder(), Config(index_dir=index_dir))
    question = "Quảng Trị lắp bao nhiêu trạm quan trắc"
    assert "qt.txt" not in {h.passage.article for h in retriever.search(question)}
    (articles / "qt.txt").write_text("Tin Quảng Trị\nQuảng Trị lắp 42 trạm quan trắc.", "utf-8")
    # another process updates the index while this reader stays open
    subprocess.run([sys.executable, "-c", INDEXER.replace("time.sleep", "float"), str(articles),
                    str(index_dir)], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    top = retriever.search(question)[0]
    assert top.passage.article == "qt.txt" and "42 trạm" in top.passage.text
    os.remove(articles / "qt.txt")
    build_index(articles, index_dir, HashEmbedder(), Config().chunk_settings())
    assert "qt.txt" not in {h.passage.article for h in retriever.search(question)}


def test_watch_follows_the_folder(articles, tmp_path):
    import threading

    from index.watch import watch

    index_dir = tmp_path / "idx"
    reports = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(articles, index_dir, HashEmbedder(), Config().chunk_settings(), reports.append),
        kwargs={"interval": 0.2, "stop": stop},
        daemon=True,
    )
    thread.start()
    try:
        deadline = time.time() + 30
        while not reports and time.time() < deadline:
            time.sleep(0.1)
        assert reports[0].added == 5
        (articles / "late.txt").write_text("Tin muộn\nKon Tum có 7 chốt.", encoding="utf-8")
        while len(reports) < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert (reports[1].added, reports[1].unchanged) == (1, 5)
        assert "late.txt" in read_manifest(index_dir).articles
    finally:
        stop.set()
        thread.join(timeout=10)
