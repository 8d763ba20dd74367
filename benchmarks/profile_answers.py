"""Where an answer's seconds go: pyinstrument over a few questions, models already loaded.

    python benchmarks/profile_answers.py --index-dir DIR [--questions FILE] [--html OUT]

Prints the call tree (time per step: query embedding, Chroma, BM25, the model's prompt
reading and generation, the checks). pyinstrument comes with the dev extras.
"""

import argparse
from pathlib import Path

from assistant.bench import read_questions
from assistant.config import load_config
from assistant.runtime import make_assistant


def main() -> None:
    from pyinstrument import Profiler

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--questions", type=Path, default=None)
    ap.add_argument("--html", type=Path, default=None)
    args = ap.parse_args()

    assistant = make_assistant(load_config(index_dir=args.index_dir))
    questions = read_questions(args.questions)
    assistant.ask(questions[0])  # warm: model load costs are not per-answer costs
    profiler = Profiler(interval=0.005)
    profiler.start()
    for question in questions:
        assistant.ask(question)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        args.html.write_text(profiler.output_html(), encoding="utf-8")


if __name__ == "__main__":
    main()
