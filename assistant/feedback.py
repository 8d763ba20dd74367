"""Like/dislike on answers, appended as JSON lines to `feedback.jsonl` in the index dir.

Each line holds the time, the verdict, the question (and how it was understood), the
answer and its citations, so a reviewer can replay what the user saw. Appends are
serialized by a lock; one line per event, so a crash loses at most the line being written.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

FILE_NAME = "feedback.jsonl"


class FeedbackLog:
    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / FILE_NAME
        self._lock = threading.Lock()

    def record(self, liked: bool, exchange: dict) -> None:
        """`exchange`: {"question", "standalone_question", "answer", "found", "citations"}."""
        line = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "liked": liked,
            **exchange,
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")

    def read(self) -> list[dict]:
        if not self.path.is_file():
            return []
        return [json.loads(x) for x in self.path.read_text(encoding="utf-8").splitlines() if x]
