"""Identical questions asked at once are answered once; nothing is shared across
conversations, index versions or failed answers (scripted model, hash embedder)."""

import os
import threading
import time

from assistant.answer import Turn
from assistant.llm import LLMError
from assistant.shared import SharedAnswers

CAMERA_Q = "Bảo Lộc có bao nhiêu mắt camera an ninh?"


def marker(messages, needle: str) -> int:
    for line in messages[-1]["content"].splitlines():
        if needle in line and line.startswith("["):
            return int(line[1 : line.index("]")])
    return 1


def test_the_same_question_at_once_is_generated_once_and_streams_to_both(make_assistant):
    release = threading.Event()

    def reply(messages):
        release.wait(timeout=60)
        return f"Có gần 300 mắt camera [{marker(messages, 'gần 300')}]."

    shared = SharedAnswers(make_assistant(reply))
    drafts: dict[str, list[str]] = {"first": [], "second": []}
    answers = {}

    def ask(name: str) -> None:
        answers[name] = shared.ask(CAMERA_Q, on_token=drafts[name].append)

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    while not shared.assistant.llm.calls:  # the first request is generating
        time.sleep(0.01)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    while not any(job.followers for job in list(shared._running.values())):
        time.sleep(0.01)
    release.set()
    first.join(60)
    second.join(60)
    assert len(shared.assistant.llm.calls) == 1
    assert answers["first"].text == answers["second"].text and answers["first"].found
    assert answers["first"].citations == answers["second"].citations
    assert "".join(drafts["second"]) == "".join(drafts["first"]) != ""


def test_an_answer_is_kept_until_the_index_changes(make_assistant, config):
    shared = SharedAnswers(
        make_assistant(lambda m: f"Có gần 300 mắt camera [{marker(m, 'gần 300')}].")
    )
    first = shared.ask(CAMERA_Q)
    again = shared.ask("  Bảo Lộc có bao nhiêu mắt camera an ninh? ")  # same once cleaned
    assert again.text == first.text and len(shared.assistant.llm.calls) == 1
    manifest = config.index_dir / "manifest.json"
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    shared.ask(CAMERA_Q)
    assert len(shared.assistant.llm.calls) == 2


def test_other_conversations_are_not_shared(make_assistant):
    def reply(messages):
        prompt = messages[-1]["content"]
        if "Standalone question" in prompt:
            return "Tỉnh Gia Lai có bao nhiêu mắt camera an ninh?"
        return f"Có 551 mắt camera [{marker(messages, '551')}]."

    shared = SharedAnswers(make_assistant(reply))
    follow = "Còn tỉnh Gia Lai thì sao?"
    about_cameras = [Turn(CAMERA_Q, "Có gần 300 mắt camera [1].", CAMERA_Q)]
    about_leaflets = [Turn("Bảo Lộc phát bao nhiêu tờ rơi?", "30.000 tờ rơi [1].", "")]
    cameras = shared.ask(follow, about_cameras)
    leaflets = shared.ask(follow, about_leaflets)
    assert "551" in cameras.text and cameras.found
    assert "551" not in leaflets.text  # its own question: leaflets in Gia Lai


def test_an_answer_without_the_model_is_not_kept(make_assistant):
    def down(messages):
        raise LLMError("the LLM server timed out")

    shared = SharedAnswers(make_assistant(down))
    first = shared.ask(CAMERA_Q)
    assert not first.found and first.citations  # the paragraphs, no claimed answer
    shared.ask(CAMERA_Q)
    assert len(shared.assistant.llm.calls) == 2
