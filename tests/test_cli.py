"""The command line as users meet it: help, settings, and one-line errors (no tracebacks)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_help_lists_commands_without_loading_models():
    result = run("--help")
    assert result.returncode == 0
    for command in ("index", "ask", "eval", "serve", "config"):
        assert command in result.stdout
    assert "torch" not in sys.modules


def test_config_json_resolves_flags_over_environment(tmp_path):
    env = {"ASSISTANT_INDEX_DIR": str(tmp_path / "from-env"), "ASSISTANT_LLM": "openai",
           "ASSISTANT_MODELS_DIR": str(tmp_path / "models")}  # fmt: skip
    result = run("config", "--json", "--index-dir", str(tmp_path / "from-flag"), env=env)
    data = json.loads(result.stdout)
    assert data["index_dir"] == str(tmp_path / "from-flag")
    assert data["llm"] == "openai"
    assert data["embed_model"] == str(tmp_path / "models" / "embeddinggemma-300m")


def test_errors_are_one_clear_line(tmp_path):
    cases = [
        (("ask", "Bảo Lộc?", "--index-dir", str(tmp_path / "none")), "no index in"),
        (("ask", "   ", "--index-dir", str(tmp_path)), "question is empty"),
        (("index", "--articles", str(tmp_path / "missing"), "--index-dir", str(tmp_path)),
         "does not exist"),
        (("ask", "x", "--index-dir", str(tmp_path), "--llm", "bogus"), "Invalid value"),
    ]  # fmt: skip
    for args, expected in cases:
        result = run(*args, env={"ASSISTANT_MODELS_DIR": str(tmp_path / "models")})
        assert result.returncode != 0, args
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_missing_models_are_named_with_the_fix(tmp_path):
    articles = tmp_path / "a"
    articles.mkdir()
    (articles / "x.txt").write_text("Tiêu đề\nNội dung.", encoding="utf-8")
    result = run("index", "--articles", str(articles), "--index-dir", str(tmp_path / "i"),
                 env={"ASSISTANT_MODELS_DIR": str(tmp_path / "empty")})  # fmt: skip
    assert result.returncode == 1
    assert "embedding model is missing" in result.stderr and "make models" in result.stderr
    assert "Traceback" not in result.stderr


def test_prompts_render_strictly():
    import pytest

    import prompts

    text = prompts.render("answer_user", excerpts="[1] a", question="b?")
    assert "[1] a" in text and "b?" in text
    with pytest.raises(prompts.PromptError):
        prompts.render("answer_user", excerpts="x")
    with pytest.raises(prompts.PromptError):
        prompts.render("answer_user", excerpts="x", question="y", extra="z")
    # a question containing template syntax is data, not a placeholder
    assert "$excerpts" in prompts.render("answer_user", excerpts="e", question="$excerpts")
