"""Run a question file through the assistant and score it against gold fields.

File format: one JSON object per line with `id` and `turns` (the last turn is judged);
optional gold fields `kind`, `answers`, `sources` (see the shared eval README). Each
conversation starts fresh. Scoring rules follow that README; nothing here is tuned to
particular questions.
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.answer import Assistant, Turn
from assistant.types import Answer


def read_questions(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from exc
        if "id" not in item or not isinstance(item.get("turns"), list) or not item["turns"]:
            raise ValueError(f"{path}:{n}: each line needs an `id` and a non-empty `turns` list")
        items.append(item)
    return items


def run_conversation(assistant: Assistant, turns: list[str]) -> Answer:
    history: list[Turn] = []
    answer = None
    for question in turns:
        answer = assistant.ask(question, history)
        history.append(Turn(question, answer.text, answer.standalone_question))
    assert answer is not None
    return answer


def run(
    assistant: Assistant, items: list[dict], on_result: Callable[[dict], None] | None = None
) -> Iterator[dict]:
    for item in items:
        answer = run_conversation(assistant, item["turns"])
        record = {"id": item["id"], **answer.to_json(), "notes": list(answer.notes),
                  "understood_as": answer.standalone_question}  # fmt: skip
        if on_result:
            on_result(record)
        yield record


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def _norm_number(text: str) -> str:
    return re.sub(r"[.,\s]", "", _norm(text))


def answer_matches(answer: str, groups: list[list[str]]) -> bool:
    text, digits = _norm(answer), _norm_number(answer)
    return all(
        any(_norm(v) in text or _norm_number(v) in digits for v in group) for group in groups
    )


def score_one(item: dict, record: dict) -> dict:
    """right; and, apart, the two ways to be wrong: an answer shown as found that is not
    right (`wrong_found`, the worst: a wrong figure with a citation) and a refusal of an
    answerable question (`refused`)."""
    cited = {c["article"] for c in record["citations"]}
    if item.get("kind") == "unanswerable":
        right = not record["found"]
        return {"right": right, "refusal": True, "cited_ok": right, "wrong_found": not right,
                "refused": False}  # fmt: skip
    sources = set(item.get("sources", []))
    if item.get("kind") == "cross_doc":
        cited_ok = sources <= cited
    else:
        cited_ok = bool(sources & cited)
    text_ok = answer_matches(record["answer"], item.get("answers", []))
    right = record["found"] and text_ok and cited_ok
    return {
        "right": right,
        "refusal": False,
        "cited_ok": cited_ok,
        "text_ok": text_ok,
        "wrong_found": record["found"] and not right,
        "refused": not record["found"],
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    idx = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[idx]


def summarize(items: list[dict], records: list[dict]) -> dict:
    by_id = {r["id"]: r for r in records}
    kinds: dict[str, list[bool]] = {}
    refusals: list[bool] = []
    citations: list[bool] = []
    wrong_found = refused = 0
    for item in items:
        if "kind" not in item:
            continue
        s = score_one(item, by_id[item["id"]])
        kinds.setdefault(item["kind"], []).append(s["right"])
        wrong_found += s["wrong_found"]
        refused += s["refused"]
        if s["refusal"]:
            refusals.append(s["right"])
        else:
            citations.append(s["cited_ok"])
    seconds = [r["seconds"] for r in records]
    total = [x for v in kinds.values() for x in v]
    return {
        "questions": len(records),
        "accuracy": round(sum(total) / len(total), 3) if total else None,
        "right": sum(total),
        "wrong_shown_as_found": wrong_found,
        "answerable_refused": refused,
        "per_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(kinds.items())},
        "refusal_accuracy": f"{sum(refusals)}/{len(refusals)}" if refusals else None,
        "citation_accuracy": f"{sum(citations)}/{len(citations)}" if citations else None,
        "answer_seconds_p50": round(statistics.median(seconds), 2) if seconds else None,
        "answer_seconds_p95": round(percentile(seconds, 0.95), 2) if seconds else None,
    }
