from dataclasses import replace

import pytest

from assistant.retrieve import Retriever, rrf
from index.embedder import HashEmbedder
from index.store import IndexError_


def test_rrf_prefers_agreement():
    fused = rrf({"dense": ["a", "b", "c"], "bm25": ["b", "a", "d"]})
    assert [pid for pid, _, _ in fused][:2] in (["a", "b"], ["b", "a"])
    assert fused[-1][0] in ("c", "d")
    weighted = rrf({"dense": ["a", "b"], "bm25": ["b", "a"]}, weights={"bm25": 0.3})
    assert weighted[0][0] == "a"


@pytest.mark.parametrize(
    "question",
    ["bao loc co bao nhieu mat camera an ninh", "Bảo Lộc có bao nhiêu mắt camera an ninh?"],
)
def test_bm25_finds_bao_loc_paragraph_with_or_without_diacritics(config, hash_embedder, question):
    retriever = Retriever(config.index_dir, hash_embedder, replace(config, fusion="bm25"))
    top = retriever.search(question)[:3]
    assert any(
        h.passage.article == "001_221d6abb8b15921d.txt" and "gần 300 mắt camera" in h.passage.text
        for h in top
    )


def test_missing_index_and_wrong_model(config, tmp_path):
    with pytest.raises(IndexError_, match="run `assistant index"):
        Retriever(tmp_path / "none", HashEmbedder(), config)
    with pytest.raises(IndexError_, match="embedding model"):
        Retriever(config.index_dir, HashEmbedder(name="other"), config)
