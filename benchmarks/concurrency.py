"""Many readers at once: answer latency and throughput of a real `assistant serve` for 1, 4
and 16 concurrent users, each answer scored against the gold set.

    python benchmarks/concurrency.py [--index-dir DIR] [--url URL] [--users 1,4,16]
                                     [--clients mixed|gradio|openai] [--auth USER:PW]

Every level answers the same 16 single-turn questions (the first 16 of the dev set and
our own set: figures, names, no diacritics, English, unanswerable; with --distinct 4 the
first 4, each asked by 4 users, as when readers ask about the same story): N users share
them round-robin and each asks its share one after another, so 1 user is 16 answers in a
row and 16 users is 16 questions at once. Clients: `gradio` (gradio_client on `/chat`),
`openai` (the official client on `/v1/chat/completions`, streamed), or `mixed` (users
alternate). Without --url a server is started on the seeds (index built in a temporary
folder unless --index-dir holds one) and stopped afterwards. Before each level the index's
manifest time is bumped (with --index-dir or a started server), so that the server forgets
the answers it keeps, and one warm-up answer per client kind is not counted. Prints a
table and, last, one JSON line per level: p50, p95, max seconds, throughput (answers per
minute), how many answers were right, and the peak memory of the server it started.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from assistant.evaluate import percentile, read_questions, score_one

ROOT = Path(__file__).resolve().parents[1]
SETS = [ROOT / "tests/data/dev_questions.jsonl", ROOT / "tests/data/extra_questions.jsonl"]
QUESTIONS = 16
WARM_UP = "Tỉnh Gia Lai có bao nhiêu mắt camera an ninh?"  # not one of the 16
SOURCE_LINE = re.compile(r"^\[(\d+)\] .*\(([^()]+), đoạn (\d+)\)$", re.M)


def items(distinct: int = QUESTIONS) -> list[dict]:
    """16 questions: the first `distinct` single-turn ones, repeated in turn to make 16."""
    single = [i for path in SETS for i in read_questions(path) if len(i["turns"]) == 1]
    return [single[n % distinct] for n in range(QUESTIONS)]


def record_from_text(text: str) -> dict:
    """What `/chat` returns (answer, then numbered "Nguồn" lines) as an eval record."""
    answer = text.split("\n\nNguồn:\n")[0]
    cited = [{"article": m.group(2)} for m in SOURCE_LINE.finditer(text)]
    refused = not cited and ("Không tìm thấy" in answer or "could not find" in answer)
    return {"answer": answer, "found": bool(cited) and not refused, "citations": cited}


class GradioUser:
    def __init__(self, url: str, auth: tuple[str, str] | None) -> None:
        from gradio_client import Client

        self.client = Client(url, auth=auth, verbose=False)

    def ask(self, question: str) -> dict:
        return record_from_text(self.client.predict(question, api_name="/chat"))


class OpenAIUser:
    def __init__(self, url: str, auth: tuple[str, str] | None) -> None:
        from openai import OpenAI

        key = f"{auth[0]}:{auth[1]}" if auth else "none"
        self.client = OpenAI(base_url=f"{url}v1", api_key=key, timeout=600, max_retries=0)
        self.model = self.client.models.list().data[0].id

    def ask(self, question: str) -> dict:
        stream = self.client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": question}], stream=True
        )
        parts, citations = [], []
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
            citations = (chunk.model_extra or {}).get("citations") or citations
        text = "".join(parts)
        record = record_from_text(text)
        return {**record, "citations": citations, "found": bool(citations)}


def run_level(users: list, questions: list[dict]) -> dict:
    """Users ask their share of the questions at the same time; each its share in turn."""
    results: list[tuple[dict, dict, float]] = []
    lock = threading.Lock()
    errors: list[str] = []

    def work(user, share: list[dict]) -> None:
        for item in share:
            started = time.perf_counter()
            try:
                record = user.ask(item["turns"][0])
            except Exception as exc:  # counted as wrong, reported
                errors.append(f"{item['id']}: {exc.__class__.__name__}: {exc}")
                record = {"answer": "", "found": False, "citations": []}
            seconds = time.perf_counter() - started
            with lock:
                results.append((item, record, seconds))

    shares = [questions[i :: len(users)] for i in range(len(users))]
    threads = [
        threading.Thread(target=work, args=(u, s)) for u, s in zip(users, shares, strict=True)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    seconds = sorted(s for _, _, s in results)
    wrong = {i["id"]: r["answer"][:160] for i, r, _ in results if not score_one(i, r)["right"]}
    return {
        "users": len(users),
        "answers": len(results),
        "p50_s": round(statistics.median(seconds), 2),
        "p95_s": round(percentile(seconds, 0.95), 2),
        "max_s": round(seconds[-1], 2),
        "wall_s": round(wall, 2),
        "answers_per_min": round(60 * len(results) / wall, 2),
        "right": len(results) - len(wrong),
        "wrong": dict(sorted(wrong.items())),
        "errors": errors,
    }


def forget_answers(index_dir: Path | None) -> None:
    """Make the server forget the answers it keeps (as an index update does: the manifest's
    time changes), so that a level does not reuse the answers of the one before."""
    manifest = index_dir / "manifest.json" if index_dir else None
    if manifest and manifest.is_file():
        stat = manifest.stat()
        os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index_dir: Path, auth: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "ASSISTANT_AUTH": auth}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--articles", str(ROOT / "seeds"),
         "--index-dir", str(index_dir), "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.time() + 300
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}/"
        if proc.poll() is not None:
            raise SystemExit("assistant serve exited while starting")
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("assistant serve did not start in 300 s")


def ensure_index(index_dir: Path) -> None:
    if (index_dir / "manifest.json").is_file():
        return
    subprocess.run([sys.executable, "-m", "assistant", "index", "--articles", str(ROOT / "seeds"),
                    "--index-dir", str(index_dir)], cwd=ROOT, check=True)  # fmt: skip


def peak_rss_mb(pid: int) -> float | None:
    """The server process's peak resident memory (Linux), in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return round(int(found.group(1)) / 1024) if found else None


def machine() -> str:
    model = ""
    try:
        text = Path("/proc/cpuinfo").read_text()
        model = re.search(r"model name\s*:\s*(.+)", text).group(1).strip()
    except (OSError, AttributeError):
        pass
    return f"{os.cpu_count()} cores {model} {platform.machine()}".strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=None)
    ap.add_argument("--url", default=None, help="a running server (default: start one)")
    ap.add_argument("--users", default="1,4,16")
    ap.add_argument("--clients", choices=["mixed", "gradio", "openai"], default="mixed")
    ap.add_argument("--auth", default="", help="user:password the server was started with")
    ap.add_argument(
        "--distinct",
        type=int,
        default=QUESTIONS,
        help="how many different questions among the 16 (default: all different)",
    )
    ap.add_argument("--label", default="", help="what this run measures (printed)")
    args = ap.parse_args()

    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    proc = None
    with tempfile.TemporaryDirectory() as tmp:
        url, index_dir = args.url, args.index_dir
        if url is None:
            index_dir = index_dir or Path(tmp) / "index"
            ensure_index(index_dir)
            proc, url = start_server(index_dir, args.auth)
        url = url if url.endswith("/") else url + "/"
        try:
            kinds = {"gradio": [GradioUser], "openai": [OpenAIUser],
                     "mixed": [GradioUser, OpenAIUser]}[args.clients]  # fmt: skip
            questions = items(args.distinct)
            levels = []
            for n in (int(x) for x in args.users.split(",")):
                forget_answers(index_dir)
                for kind in kinds:  # warm-up (and the index re-read), not counted
                    kind(url, auth).ask(WARM_UP)
                users = [kinds[i % len(kinds)](url, auth) for i in range(n)]
                levels.append(run_level(users, questions))
                print(f"{n:>3} users: p50 {levels[-1]['p50_s']:.1f} s, p95 "
                      f"{levels[-1]['p95_s']:.1f} s, max {levels[-1]['max_s']:.1f} s, "
                      f"{levels[-1]['answers_per_min']:.1f} answers/min, right "
                      f"{levels[-1]['right']}/{levels[-1]['answers']}", flush=True)  # fmt: skip
        finally:
            peak = peak_rss_mb(proc.pid) if proc is not None else None
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=60)
    meta = {"date": date.today().isoformat(), "machine": machine(), "clients": args.clients,
            "label": args.label, "distinct": args.distinct, "server_peak_rss_mb": peak}  # fmt: skip
    for level in levels:
        print(json.dumps({**meta, **level}, ensure_ascii=False))


if __name__ == "__main__":
    main()
