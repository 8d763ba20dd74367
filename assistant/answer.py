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
from dataclasses import dataclass, replace

import prompts
from assistant.evidence import Excerpt, select
from assistant.llm import LLM
from assistant.retrieve import Retriever
from assistant.text import fold, looks_english, nfc, numbers, split_sentences
from assistant.types import Answer, Citation, Hit, Passage
from assistant.verify import (
    asks_for_number,
    attach_marker,
    best_sentence,
    check_draft,
    content_tokens,
    counted_phrase,
    entities,
    figure_score,
    mentions,
    parse_markers,
    restore_qualifiers,
    strip_markers,
    surface,
    unit_words,
)

log = logging.getLogger(__name__)

PRONOUNS = {"ong", "ay", "ba", "ho", "no", "do", "day", "kia", "he", "she", "they", "it", "there"}
NOT_FOUND_VI = "Không tìm thấy thông tin này trong các bài báo."
NOT_FOUND_EN = "I could not find this information in the articles."
MAX_QUESTION_CHARS = 2000


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


def _is_refusal(draft: str) -> bool:
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

    # -- follow-ups ---------------------------------------------------------------------
    def standalone(self, question: str, history: list[Turn]) -> str:
        """Rewrite a follow-up into a question that stands on its own (no history: as is)."""
        if not history:
            return question
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
        previous = history[-1].standalone or history[-1].question
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
        standalone = self.standalone(question, history or [])
        english = looks_english(question)
        answer = self._answer(standalone, english, on_token)
        return Answer(
            text=answer.text,
            found=answer.found,
            citations=answer.citations,
            seconds=time.perf_counter() - started,
            standalone_question=standalone,
            notes=answer.notes,
        )

    def _refuse(self, english: bool, note: str) -> Answer:
        log.info("not found: %s", note)
        return Answer(NOT_FOUND_EN if english else NOT_FOUND_VI, False, notes=(note,))

    def _answer(self, question: str, english: bool, on_token) -> Answer:
        hits = self.retriever.search(question)
        if not hits:
            return self._refuse(english, "nothing retrieved")
        names = entities(question)
        unknown = [e for e in names if not any(mentions(h.passage, e) for h in hits)]
        if unknown:
            return self._refuse(english, f"no paragraph mentions {unknown}")
        shown = self._select(question, hits, names)
        if not shown:
            return self._refuse(english, f"no paragraph mentions all of {names}")
        draft = self._generate(question, shown, on_token)
        passages = [e.passage for e in shown]
        if _is_refusal(draft):
            extracted = self._extract(question, passages)
            if extracted is not None:
                return replace(extracted, notes=("model found no answer; quoted source",))
            return self._refuse(english, "model found no answer")
        draft = attach_marker(draft, passages, question)
        verdict = check_draft(draft, passages, question)
        if verdict.ok:
            return self._finish(draft, passages, question)
        log.info("draft rejected (%s): %r", verdict.reason, draft)
        notes = [f"rejected: {verdict.reason}"]
        if verdict.kind == "figure":
            extracted = self._extract(question, passages)
            if extracted is not None:
                return replace(extracted, notes=(*notes, "repaired: quoted source"))

        # Repair 1: regenerate from the single best paragraph that names the subject.
        retry = shown[:1]
        draft = attach_marker(self._generate(question, retry, None), passages[:1], question)
        if not _is_refusal(draft):
            verdict = check_draft(draft, passages[:1], question)
            if verdict.ok:
                return self._finish(
                    draft, passages[:1], question, (*notes, "repaired: regenerated")
                )
            notes.append(f"rejected again: {verdict.reason}")
        # Repair 2: quote the figure whose sentence counts what was asked.
        extracted = self._extract(question, passages)
        if extracted is not None:
            return replace(extracted, notes=(*notes, "repaired: quoted source"))
        return self._refuse(english, "; ".join(notes))

    def _select(self, question: str, hits: list[Hit], names: list[str]) -> list[Excerpt]:
        """Best passages for the prompt (one per paragraph, naming the subject if the
        question names one), cut to their best sentences within the token budget."""
        chosen: list[Passage] = []
        seen: set[tuple[str, int]] = set()
        for hit in hits:
            p = hit.passage
            if names and not all(mentions(p, e) for e in names):
                continue
            if (p.article, p.paragraph) in seen:
                continue
            seen.add((p.article, p.paragraph))
            chosen.append(p)
            if len(chosen) == self.config.context_passages:
                break
        return select(
            question,
            chosen,
            self.config.context_tokens,
            self.config.context_sentences,
            self.config.chunk_encoding,
        )

    def _generate(self, question: str, shown: list[Excerpt], on_token) -> str:
        names = [surface(question, e) for e in entities(question)]
        lines = []
        for i, e in enumerate(shown, start=1):
            # The label tells the model which place/article an excerpt is about, since a
            # paragraph often does not repeat it (every shown passage names them, see _select).
            label = ", ".join([*names, e.passage.date or ""]).strip(", ")
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
        text = restore_qualifiers(text, [shown[old - 1].paragraph_text for old in order])
        text = re.sub(r"^(Answer|Trả lời)\s*:\s*", "", text, flags=re.IGNORECASE)
        citations = tuple(self._citation(mapping[old], shown[old - 1], question, draft)
                          for old in order)  # fmt: skip
        return Answer(text, True, citations, notes=tuple(notes))

    @staticmethod
    def _citation(n: int, p: Passage, question: str, answer: str) -> Citation:
        return Citation(
            n=n, article=p.article, title=p.title, date=p.date, paragraph=p.paragraph,
            text=p.paragraph_text, quote=best_sentence(p.paragraph_text, question, answer),
        )  # fmt: skip

    def _extract(self, question: str, shown: list[Passage]) -> Answer | None:
        """For "bao nhiêu X" questions: the figure in the shown paragraphs that counts X
        (its following words match X) in the sentence that best matches the question."""
        if not asks_for_number(question) or not unit_words(question):
            return None
        want = content_tokens(question)
        best = None
        for p in shown:
            spans = split_sentences(p.paragraph_text) or [(0, len(p.paragraph_text))]
            for a, b in spans:
                sentence = p.paragraph_text[a:b]
                overlap = len(want & content_tokens(sentence)) / max(1, len(want))
                for n in set(numbers(sentence)) - set(numbers(question)):
                    match = figure_score(question, sentence, n)
                    if match and overlap >= 0.3:
                        key = (match, overlap)
                        if best is None or key > best[0]:
                            best = (key, p, sentence, n)
        if best is None:
            return None
        _, p, sentence, n = best
        text = f"{counted_phrase(sentence, n)} [1]."
        citation = Citation(
            n=1, article=p.article, title=p.title, date=p.date, paragraph=p.paragraph,
            text=p.paragraph_text, quote=sentence.strip(),
        )  # fmt: skip
        return Answer(text, True, (citation,))
