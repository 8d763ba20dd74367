"""One answer for identical questions, for the server: many readers asking the same thing.

`SharedAnswers.ask` has `Assistant.ask`'s signature. A request asking the question another
request is answering right now, in the same conversation (same earlier questions, answers
and their standalone forms), waits for that answer instead of generating it a second time,
and gets its draft streamed as it comes; a finished answer is kept for the next such
request until the index changes (bounded, least recently used first out). Answers without
a checked reply because the LLM failed are not kept. Nothing is shared between different
conversations: the whole conversation is the key. Everything else is the Assistant's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from assistant.answer import Assistant, Turn, clean_question
from assistant.types import Answer

log = logging.getLogger(__name__)

NOT_KEPT = "llm failed"  # the note of a sources-only answer (the LLM was down): not kept


class _Job:
    """An answer being generated: its draft so far, then the answer or the error."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.pieces: list[str] = []
        self.answer: Answer | None = None
        self.error: BaseException | None = None
        self.done = False
        self.followers = 0  # requests waiting for this answer besides the one generating it

    def token(self, piece: str) -> None:
        with self._cond:
            self.pieces.append(piece)
            self._cond.notify_all()

    def finish(self, answer: Answer | None = None, error: BaseException | None = None) -> None:
        with self._cond:
            self.answer, self.error, self.done = answer, error, True
            self._cond.notify_all()

    def follow(self, on_token: Callable[[str], None] | None) -> Answer:
        """Wait for the answer, passing on the draft's pieces (from the first) meanwhile."""
        with self._cond:
            self.followers += 1
        seen = 0
        while True:
            with self._cond:
                while len(self.pieces) == seen and not self.done:
                    self._cond.wait()
                new, done = self.pieces[seen:], self.done
                seen += len(new)
            for piece in new if on_token else ():
                on_token(piece)
            if done:
                break
        if self.error is not None:
            raise self.error
        assert self.answer is not None
        return self.answer


class SharedAnswers:
    def __init__(self, assistant: Assistant, size: int = 1024) -> None:
        self.assistant = assistant
        self._size = size
        self._lock = threading.Lock()
        self._running: dict[tuple, _Job] = {}
        self._kept: OrderedDict[tuple, Answer] = OrderedDict()

    def __getattr__(self, name: str):  # retriever, config, standalone, …: the Assistant's
        return getattr(self.assistant, name)

    def _key(self, question: str, history: list[Turn] | None) -> tuple:
        turns = tuple((t.question, t.answer, t.standalone) for t in history or [])
        return (self.assistant.retriever.version(), clean_question(question), turns)

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        started = time.perf_counter()
        key = self._key(question, history)  # a question that cannot be asked raises here
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            job = self._running.get(key) if kept is None else None
            leading = kept is None and job is None
            if leading:
                job = self._running[key] = _Job()
        if kept is not None:
            return replace(kept, seconds=time.perf_counter() - started)
        assert job is not None
        if not leading:
            answer = job.follow(on_token)
            return replace(answer, seconds=time.perf_counter() - started)

        def relay(piece: str) -> None:
            job.token(piece)
            if on_token:
                on_token(piece)

        try:
            answer = self.assistant.ask(question, history, on_token=relay)
        except BaseException as exc:
            with self._lock:
                self._running.pop(key, None)
            job.finish(error=exc)
            raise
        with self._lock:  # kept before it stops running: a request now finds one or the other
            if NOT_KEPT not in answer.notes:
                self._kept[key] = answer
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
            self._running.pop(key, None)
        job.finish(answer)
        if job.followers:
            log.info("one answer for %d identical requests", job.followers + 1)
        return answer
