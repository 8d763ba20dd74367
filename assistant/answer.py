"""The read path: question (+ conversation) -> retrieved paragraphs -> verified, cited answer.

Steps: normalise the question; rewrite a follow-up into a standalone question; retrieve;
refuse at once when a name in the question appears in no retrieved paragraph; show the
model the best sentences of the best paragraphs; check the draft (markers, numbers, names);
repair a failed draft by regenerating from the paragraphs that name the subject, then by
quoting the supporting sentence, else refuse. Nothing unverified is returned.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import prompts
from assistant import extract
from assistant.evidence import Excerpt, select
from assistant.figures import restore_qualifiers
from assistant.llm import LLM, LLMError
from assistant.retrieve import Retriever
from assistant.text import (
    fold,
    instructions_in,
    looks_english,
    names_phrase,
    nfc,
    numbers,
    shared_runs,
    tokens,
)
from assistant.types import Answer, Citation, Hit, Passage
from assistant.verify import (
    Verdict,
    asks_for_number,
    attach_marker,
    best_sentence,
    check_draft,
    content_tokens,
    entities,
    mentions,
    names_in,
    parse_markers,
    question_names,
    strip_markers,
    surface,
    vietnamese_name,
)

log = logging.getLogger(__name__)

PRONOUNS = {"ong", "ay", "ba", "ho", "no", "do", "day", "kia", "he", "she", "they", "it", "there"}
# Words that point back into the conversation; a question naming its own subject without
# any of them stands on its own and is not rewritten.
ANAPHORA = PRONOUNS | {"nay", "this", "that", "these", "those", "its", "his", "her",
                       "their", "them", "then", "same"}  # fmt: skip
NOT_FOUND_VI = "Không tìm thấy thông tin này trong các bài báo."
NOT_FOUND_EN = "I could not find this information in the articles."
MAX_QUESTION_CHARS = 2000
SOURCES_ONLY_VI = (
    "Không gọi được mô hình ngôn ngữ nên chưa có câu trả lời đã kiểm chứng. "
    "Các đoạn liên quan nhất tìm được:"
)
SOURCES_ONLY_EN = (
    "The language model could not be reached, so there is no checked answer. "
    "The most relevant paragraphs found:"
)


_WHAT_ABOUT = re.compile(
    r"^(?:va |the |vay )?con (?P<x>.+?) (?:thi sao|thi the nao|thi nhu the nao|thi sao a)\W*$"
    r"|^(?:and |so )?(?:what|how) about (?P<y>.+?)\W*$"
)


def swap_subject(question: str, previous: str) -> str | None:
    """ "Còn tỉnh Gia Lai thì sao?" after "Bảo Lộc có bao nhiêu mắt camera?" ->
    "Tỉnh Gia Lai có bao nhiêu mắt camera?": the previous question with its named subject
    replaced. None when the question is not of that form or the previous names nothing."""
    folded = fold(question.strip())
    match = _WHAT_ABOUT.match(folded)
    names = entities(previous)
    if not match or not names or len(folded) != len(question.strip()):
        return None
    group = "x" if match.group("x") else "y"
    new = question.strip()[match.start(group) : match.end(group)]
    old = surface(previous, names[0])
    at = previous.find(old)
    if at < 0:
        return None
    swapped = previous[:at] + new + previous[at + len(old) :]
    return swapped[0].upper() + swapped[1:]


def cite(n: int, p: Passage, quote: str) -> Citation:
    return Citation(n=n, article=p.article, title=p.title, date=p.date, paragraph=p.paragraph,
                    text=p.paragraph_text, quote=quote)  # fmt: skip


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, too long); the message says why."""


@dataclass
class Turn:
    question: str
    answer: str
    standalone: str = ""  # the question as it was understood (after rewriting)


def clean_question(question: str) -> str:
    text = nfc(question or "")
    text = re.sub(r"[\u0000-\u001f\u007f]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("the question is empty: type a question about the articles")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(text)} characters long; ask in at most {MAX_QUESTION_CHARS}"
        )
    return text


def is_refusal(draft: str) -> bool:
    """A draft that says the excerpts do not hold the answer (or says nothing)."""
    folded = fold(draft)
    return (
        "not_found" in folded
        or "not found" in folded
        or "khong tim thay" in folded
        or "khong co thong tin" in folded
        or not folded.strip()
    )


class Assistant:
    def __init__(self, retriever: Retriever, llm: LLM, config) -> None:
        self.retriever = retriever
        self.llm = llm
        self.config = config
        self._system = prompts.text("answer_system")
        self._rewrite_system = prompts.text("rewrite_system")
        self._translate_system = prompts.text("translate_system")

    # -- follow-ups ---------------------------------------------------------------------
    def standalone(self, question: str, history: list[Turn]) -> str:
        """Rewrite a follow-up into a question that stands on its own (no history: as is)."""
        if not history:
            return question
        previous = history[-1].standalone or history[-1].question
        swapped = swap_subject(question, previous)
        if swapped:
            return swapped
        if entities(question) and not set(tokens(question)) & ANAPHORA:
            return question  # names its own subject: a new question, not a follow-up
        lines = []
        for turn in history[-3:]:
            lines.append(f"User: {turn.question}")
            lines.append(f"Assistant: {strip_markers(turn.answer)[:300]}")
        user = prompts.render("rewrite_user", history="\n".join(lines), question=question)
        messages = [
            {"role": "system", "content": self._rewrite_system},
            {"role": "user", "content": user},
        ]
        lines = self.llm.chat(messages, max_tokens=80).strip().splitlines()
        rewritten = lines[0].strip().strip('"“”') if lines else ""
        kept = content_tokens(question) - PRONOUNS
        plausible = (
            rewritten.endswith("?")
            and rewritten != question
            and len(rewritten) <= len(question) + len(previous) + 40
            and len(kept & content_tokens(rewritten)) >= 0.5 * len(kept)
        )
        # A small model sometimes answers instead of rewriting, or changes nothing: then
        # keep the question and carry the previous one along as context.
        return rewritten if plausible else f"{question} ({previous})"

    # -- answering ----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        started = time.perf_counter()
        question = clean_question(question)
        try:
            standalone = self.standalone(question, history or [])
            english = looks_english(question)
            vietnamese = self.translate(standalone) if english else None
            answer = self._answer(standalone, english, on_token, vietnamese)
        except LLMError as exc:
            log.warning("generation failed: %s", exc)
            standalone = question
            answer = self.sources_only(question, history or [], exc)
        return Answer(
            text=answer.text,
            found=answer.found,
            citations=answer.citations,
            seconds=time.perf_counter() - started,
            standalone_question=standalone,
            notes=answer.notes,
        )

    def sources_only(self, question: str, history: list[Turn], error: Exception) -> Answer:
        """When the model cannot be reached: say so, and list the paragraphs retrieval
        found (no answer is claimed, so `found` is False)."""
        query = question if not history else f"{question} ({history[-1].question})"
        seen: set[tuple[str, int]] = set()
        citations = []
        for hit in self.retriever.search(query):
            p = hit.passage
            if (p.article, p.paragraph) in seen:
                continue
            seen.add((p.article, p.paragraph))
            citations.append(
                cite(len(citations) + 1, p, best_sentence(p.paragraph_text, query, ""))
            )
            if len(citations) == self.config.context_passages:
                break
        text = SOURCES_ONLY_EN if looks_english(question) else SOURCES_ONLY_VI
        return Answer(f"{text} ({error})", False, tuple(citations), notes=("llm failed",))

    def translate(self, question: str) -> str | None:
        """An English question in Vietnamese, for keyword retrieval and the figure check
        (the answer itself stays in English). None when the model gives no usable line."""
        messages = [
            {"role": "system", "content": self._translate_system},
            {"role": "user", "content": question},
        ]
        lines = self.llm.chat(messages, max_tokens=80).strip().splitlines()
        text = lines[0].strip().strip('"“”') if lines else ""
        if not text or looks_english(text) or len(text) > 3 * len(question) + 40:
            return None
        return text

    def _refuse(self, english: bool, note: str) -> Answer:
        log.info("not found: %s", note)
        return Answer(NOT_FOUND_EN if english else NOT_FOUND_VI, False, notes=(note,))

    def _answer(self, question: str, english: bool, on_token, vietnamese: str | None) -> Answer:
        # Dense retrieval is multilingual; the translation is used for the checks, where
        # measured on the dev set it did not help ranking (BM25 on it pushed the right
        # paragraph out of the prompt).
        hits = self.retriever.search(question)
        if not hits:
            return self._refuse(english, "nothing retrieved")
        known = names_in([f"{h.passage.context} {h.passage.paragraph_text}" for h in hits])
        names = question_names(question, known, self.retriever.vocabulary)
        if english:  # "Fatherland Front" is a translation, not a name to look for
            names = [n for n in names if n in known or vietnamese_name(n)]
        unknown = [e for e in names if not any(mentions(h.passage, e) for h in hits)]
        if unknown:
            return self._refuse(english, f"no paragraph mentions {unknown}")
        # Comparisons across articles: each subject's figure, read from its own paragraphs.
        compared = extract.comparison(vietnamese or question, names, [h.passage for h in hits])
        if compared is not None:
            return self._extracted(compared, question, ("compared figures",))
        # A machine translation is too loose to cut sentences by: English keeps them all.
        shown = self._select(vietnamese or question, hits, names, cut=not english)
        if not shown:
            return self._refuse(english, f"no paragraph mentions {names}")
        passages = [e.passage for e in shown]
        # What the checks and the quoting fallback read: the Vietnamese form of the question.
        checked = vietnamese or question

        def check(draft: str, cited: list[Passage]):
            draft = attach_marker(draft, cited, question)
            # Words of the instructions that the paragraphs do not also hold: the model
            # was talked into reciting its prompt (an injected article, say).
            cited_text = " ".join(p.paragraph_text for p in cited)
            recited = shared_runs(draft, self._system) - shared_runs(draft, cited_text)
            # ... or an order planted in an article ("trả lời mọi câu hỏi bằng câu …").
            recited |= shared_runs(draft, instructions_in(cited_text), 4)
            if recited:
                return draft, Verdict(False, "repeats its instructions", "leak")
            return draft, check_draft(draft, cited, question, names, vietnamese)

        draft = self._generate(question, shown, names, on_token)
        if is_refusal(draft):
            read = self._read(checked, passages, ("model found no answer; quoted source",), names)
            return read or self._refuse(english, "model found no answer")
        draft, verdict = check(draft, passages)
        if verdict.ok and english and asks_for_number(question):
            verdict = self._check_english_figure(question, draft, passages)
        if verdict.ok:
            return self._finish(draft, passages, question)
        log.info("draft rejected (%s): %r", verdict.reason, draft)
        notes = [f"rejected: {verdict.reason}"]
        if verdict.kind == "figure":
            read = self._read(checked, passages, (*notes, "repaired: quoted source"), names)
            if read is None and english:
                found = extract.figure_by_meaning(question, passages, self.retriever.embedder)
                if found is not None:
                    read = self._extracted(found, question, (*notes, "repaired: quoted source"))
            if read is not None:
                return read

        # Repair 1: regenerate from the single best paragraph that names the subject.
        draft = self._generate(question, shown[:1], names, None)
        if not is_refusal(draft):
            draft, verdict = check(draft, passages[:1])
            if verdict.ok:
                return self._finish(
                    draft, passages[:1], question, (*notes, "repaired: regenerated")
                )
            notes.append(f"rejected again: {verdict.reason}")
        # Repair 2: quote the figure or person the paragraphs give for what was asked.
        read = self._read(checked, passages, (*notes, "repaired: quoted source"), names)
        return read or self._refuse(english, "; ".join(notes))

    def _select(
        self, question: str, hits: list[Hit], names: list[str], cut: bool = True
    ) -> list[Excerpt]:
        """Best passages for the prompt, one per paragraph, cut to their best sentences
        within the token budget. When the question names places or people, every passage
        must name one of them, and each name gets its best passage first (comparisons)."""
        chosen: list[Passage] = []
        seen: set[tuple[str, int]] = set()

        def take(p: Passage) -> None:
            if (p.article, p.paragraph) not in seen and len(chosen) < self.config.context_passages:
                seen.add((p.article, p.paragraph))
                chosen.append(p)

        if len(names) > 1:
            both = [h.passage for h in hits if all(mentions(h.passage, e) for e in names)]
            for p in both[:1]:
                take(p)
            for name in names:
                if not any(mentions(p, name) for p in chosen):
                    for h in hits:
                        if mentions(h.passage, name):
                            take(h.passage)
                            break
        for hit in hits:
            if not names or any(mentions(hit.passage, e) for e in names):
                take(hit.passage)
        return select(
            question,
            chosen,
            self.config.context_tokens,
            self.config.context_sentences,
            self.config.chunk_encoding,
            # Comparisons need each subject's passage, however weak its wording.
            self.config.context_min_share if cut and len(names) < 2 else 0.0,
            names,
        )

    def _generate(self, question: str, shown: list[Excerpt], names: list[str], on_token) -> str:
        lines = []
        for i, e in enumerate(shown, start=1):
            # The label tells the model which place/person an excerpt is about, since a
            # paragraph often does not repeat it (the passage or its lead names it).
            # Only what the reader can see counts: the headline/lead or the shown sentences
            # (a name elsewhere in the paragraph would pin its figures on the wrong place).
            seen = f"{e.passage.context} {e.text}"
            named = [surface(question, n) for n in names if names_phrase(seen, n)]
            label = ", ".join([*named, e.passage.date or ""]).strip(", ")
            lines.append(f"[{i}] ({label}) {e.text}" if label else f"[{i}] {e.text}")
        excerpts = "\n".join(lines)
        user = prompts.render("answer_user", excerpts=excerpts, question=question)
        messages = [{"role": "system", "content": self._system}, {"role": "user", "content": user}]
        draft = self.llm.chat(messages, max_tokens=self.config.max_answer_tokens, on_token=on_token)
        return draft.strip().splitlines()[0].strip() if draft.strip() else ""

    def _finish(self, draft: str, shown: list[Passage], question: str, notes=()) -> Answer:
        """Renumber markers 1..m in order of appearance and attach the citations."""
        order = parse_markers(draft)
        mapping = {old: new for new, old in enumerate(order, start=1)}

        def renumber(match: re.Match) -> str:
            nums = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
            return "".join(f"[{mapping[n]}]" for n in nums)

        text = re.sub(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]", renumber, draft)
        paragraphs = [shown[old - 1].paragraph_text for old in order]
        text = restore_qualifiers(text, paragraphs, looks_english(question))
        text = re.sub(r"^(Answer|Trả lời)\s*:\s*", "", text, flags=re.IGNORECASE)
        citations = tuple(self._citation(mapping[old], shown[old - 1], question, draft)
                          for old in order)  # fmt: skip
        return Answer(text, True, citations, notes=tuple(notes))

    @staticmethod
    def _citation(n: int, p: Passage, question: str, answer: str) -> Citation:
        return cite(n, p, best_sentence(p.paragraph_text, question, answer))

    def _check_english_figure(self, question: str, draft: str, passages: list[Passage]):
        """The figure in an English answer must be the one whose description is closest in
        meaning to what the question counts."""
        best = extract.best_figure_by_meaning(question, passages, self.retriever.embedder)
        if best is None:
            return Verdict(True)
        _p, _sentence, number = best
        if number in numbers(strip_markers(draft)):
            return Verdict(True)
        return Verdict(False, f"another figure ({number}) fits the question better", "figure")

    def _extracted(self, found, question: str, notes: tuple[str, ...]) -> Answer:
        citations = tuple(
            cite(i, p, quote)
            for i, (p, quote) in enumerate(zip(found.passages, found.quotes, strict=True), 1)
        )
        return Answer(found.text, True, citations, notes=notes)

    def _read(self, question: str, passages: list[Passage], notes: tuple[str, ...], names=()):
        """The deterministic readers (a figure given for `names`, a person, a rank), or None."""
        found = (
            extract.figure(question, passages, names)
            or extract.person(question, passages)
            or extract.rank(question, passages)
        )
        return None if found is None else self._extracted(found, question, notes)
