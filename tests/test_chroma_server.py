"""The vectors in a real Chroma server (`chroma run`, started here) instead of the embedded
store: index, update, search, and clear messages for a mismatch or a server that is down."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serving import free_port

from assistant.config import Config
from assistant.retrieve import Retriever
from index.build import build_index
from index.store import IndexError_, read_manifest

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    if not CHROMA.exists():
        pytest.fail(f"{CHROMA} is missing: chromadb's server CLI comes with the chromadb package")
    port = free_port()
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert proc.poll() is None, proc.stdout.read()
        time.sleep(0.3)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def test_index_and_search_through_a_chroma_server(chroma_url, articles, tmp_path, hash_embedder):
    index_dir = tmp_path / "idx"
    config = Config(index_dir=index_dir, chroma_url=chroma_url)
    report = build_index(articles, index_dir, hash_embedder, config.chunk_settings(),
                         chroma_url=chroma_url)  # fmt: skip
    assert report.added == 5
    assert not (index_dir / "chroma").exists()  # no embedded store on this side
    assert read_manifest(index_dir).chroma_url == chroma_url

    retriever = Retriever(index_dir, hash_embedder, config)
    hits = retriever.search("Bảo Lộc có bao nhiêu mắt camera an ninh?")
    assert hits and "gần 300 mắt camera" in hits[0].passage.paragraph_text

    (articles / "001_221d6abb8b15921d.txt").unlink()
    report = build_index(articles, index_dir, hash_embedder, config.chunk_settings(),
                         chroma_url=chroma_url)  # fmt: skip
    assert report.removed == 1
    hits = retriever.search("Bảo Lộc có bao nhiêu mắt camera an ninh?")
    assert all(h.passage.article != "001_221d6abb8b15921d.txt" for h in hits)
    assert retriever.vectors.count() == report.chunks  # stale vectors deleted on the server

    # the same index opened without the server: refused with the fix, not empty answers
    with pytest.raises(IndexError_, match="chroma-url"):
        Retriever(index_dir, hash_embedder, Config(index_dir=index_dir))


def test_a_server_that_is_down_reads_as_a_clear_message(articles, tmp_path, hash_embedder):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(IndexError_, match="chroma run"):
        build_index(articles, tmp_path / "idx", hash_embedder, Config().chunk_settings(),
                    chroma_url=url)  # fmt: skip
    shutil.rmtree(tmp_path / "idx", ignore_errors=True)
