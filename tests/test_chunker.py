from pathlib import Path

from index.chunker import ChunkSettings, chunk, count_tokens
from index.loader import load

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def test_long_paragraph_becomes_windows_within_budget_and_spans_map_back():
    settings = ChunkSettings(max_tokens=120, overlap_sentences=1)
    article = load(SEEDS / "001_221d6abb8b15921d.txt")
    passages = chunk(article, settings)
    by_paragraph = {}
    for p in passages:
        by_paragraph.setdefault(p.paragraph, []).append(p)
        assert p.paragraph_text[p.start : p.end] == p.text
        assert p.paragraph_text == article.paragraphs[p.paragraph - 1]
    long_one = by_paragraph[3]
    assert len(long_one) > 2
    # every window fits unless it is a single over-long sentence
    for p in long_one:
        assert count_tokens(p.text) <= settings.max_tokens or "." not in p.text.rstrip(".")
    # windows leave no gap, mostly overlap by a sentence, and cover the paragraph
    assert long_one[0].start == 0 and long_one[-1].end == len(long_one[0].paragraph_text)
    pairs = list(zip(long_one, long_one[1:], strict=False))
    assert all(b.start <= a.end + 1 for a, b in pairs)
    assert sum(b.start < a.end for a, b in pairs) >= len(pairs) // 2
    # short paragraphs stay whole; ids are stable
    assert [p.text for p in by_paragraph[1]] == [article.paragraphs[0]]
    assert [p.id for p in chunk(article, settings)] == [p.id for p in passages]


def test_passages_carry_article_context():
    article = load(SEEDS / "004_721a6428900b10ba.txt")
    passages = chunk(article, ChunkSettings())
    assert all("Cao Bằng" in p.context for p in passages)
    assert passages[0].title.startswith("Triển khai nhiệm vụ")
