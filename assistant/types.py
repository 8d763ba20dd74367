"""Small domain types shared across the write path (`index/`) and the read path (`assistant/`).

These are plain dataclasses: no llama-index, Chroma or Gradio types cross module seams.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Article:
    """One cleaned article: its file name, headline, `YYYY-MM` date (or None) and paragraphs.

    `pages`: for paged formats (PDF), the 1-based page each paragraph starts on, one per
    paragraph; empty otherwise."""

    file: str
    title: str
    date: str | None
    paragraphs: tuple[str, ...]
    sha256: str = ""
    pages: tuple[int, ...] = ()

    def page_of(self, paragraph: int) -> int | None:
        """The page the 1-based `paragraph` starts on (None when the format has none)."""
        return self.pages[paragraph - 1] if 0 < paragraph <= len(self.pages) else None


@dataclass(frozen=True)
class Passage:
    """A chunk of one paragraph: the unit that is embedded, retrieved and cited.

    `paragraph` is 1-based; `start`/`end` are character offsets of `text` inside the
    paragraph text (`paragraph_text`). Long paragraphs give several passages.
    """

    id: str
    article: str
    title: str
    date: str | None
    paragraph: int
    start: int
    end: int
    text: str
    paragraph_text: str
    context: str = ""  # headline (+ lead sentence): what the article is about
    # The period in force where the paragraph starts, as written earlier in the article
    # ("8 tháng qua"): figures of a paragraph that names no period are for it.
    carried: str = ""
    # The start of the paragraph before, when this one continues it ("Trong đó, huyện A 14
    # vụ" breaks down the figure written there): what its bare figures count.
    follows: str = ""
    page: int | None = None  # the page the paragraph starts on (PDF), else None

    def metadata(self) -> dict:
        data = asdict(self)
        data.pop("id")
        data.pop("text")
        data["date"] = self.date or ""
        if self.page is None:  # stored metadata holds no None values
            data.pop("page")
        return data

    @classmethod
    def from_metadata(cls, pid: str, text: str, meta: dict) -> Passage:
        return cls(
            id=pid,
            article=meta["article"],
            title=meta["title"],
            date=meta.get("date") or None,
            paragraph=int(meta["paragraph"]),
            start=int(meta["start"]),
            end=int(meta["end"]),
            text=text,
            paragraph_text=meta["paragraph_text"],
            context=meta.get("context", ""),
            carried=meta.get("carried", ""),
            follows=meta.get("follows", ""),
            page=int(meta["page"]) if meta.get("page") else None,
        )


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused score and the ranks it got from each retriever."""

    passage: Passage
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """A cited paragraph: `text` is the whole paragraph, `quote` the sentence that supports
    the answer; `page` the PDF page the paragraph starts on (None for other formats)."""

    n: int
    article: str
    title: str
    date: str | None
    paragraph: int
    text: str
    quote: str
    page: int | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    text: str
    found: bool
    citations: tuple[Citation, ...] = ()
    seconds: float = 0.0
    standalone_question: str = ""
    # What happened on the way (e.g. "repaired: quoted source"), for logs and eval.
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "answer": self.text,
            "found": self.found,
            "citations": [c.to_json() for c in self.citations],
            "seconds": round(self.seconds, 3),
        }
