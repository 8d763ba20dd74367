"""The Gradio web chat: the same `Assistant.ask` as the CLI, with numbered sources.

Binds 127.0.0.1 by default, never creates a share link, analytics off. The chat function
is exposed on the API as `/chat` (message in, answer with its sources out). The richer
newsroom page (articles panel, feedback, streaming) builds on this module.
"""

from __future__ import annotations

import html
import logging
import os

from assistant.answer import Assistant, QuestionError, Turn
from assistant.types import Answer

log = logging.getLogger(__name__)

EXAMPLES = [
    "Bảo Lộc có bao nhiêu mắt camera an ninh?",
    "Năm 2021 TP. Pleiku xảy ra bao nhiêu vụ phạm pháp hình sự?",
    "Ai là Giám đốc Công an tỉnh được nhắc đến trong hội nghị tổng kết năm 2021?",
]


def format_answer(answer: Answer) -> str:
    """Markdown: the answer, then a "Nguồn" list with headline, date, file, paragraph, quote."""
    text = html.escape(answer.text, quote=False)
    if not answer.citations:
        return text
    lines = [text, "", "**Nguồn**"]
    for c in answer.citations:
        date = f" · {c.date}" if c.date else ""
        lines.append(
            f"{c.n}. **{html.escape(c.title)}**{date} · `{c.article}` · đoạn {c.paragraph}  \n"
            f"   > {html.escape(c.quote)}"
        )
    return "\n".join(lines)


def _history(messages: list[dict]) -> list[Turn]:
    turns: list[Turn] = []
    pending = None
    for message in messages or []:
        content = message.get("content")
        if isinstance(content, list):  # gradio may send a list of parts
            content = " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p)
                               for p in content)  # fmt: skip
        if message.get("role") == "user":
            pending = str(content)
        elif message.get("role") == "assistant" and pending is not None:
            turns.append(Turn(pending, str(content).split("\n\n**Nguồn**")[0]))
            pending = None
    return turns


def build(assistant: Assistant):
    import gradio as gr

    def chat(message: str, history: list[dict]) -> str:
        try:
            return format_answer(assistant.ask(message, _history(history)))
        except QuestionError as exc:
            return f"⚠️ {exc}"
        except Exception as exc:  # the page must say what happened, not show a traceback
            log.exception("answering failed")
            return f"⚠️ Không trả lời được câu hỏi này ({exc.__class__.__name__}: {exc})."

    return gr.ChatInterface(
        chat,
        title="Trợ lý tin tức an ninh",
        description="Hỏi về các bài báo đã được lập chỉ mục. Mỗi câu trả lời dẫn nguồn "
        "tới đoạn văn cụ thể.",
        examples=EXAMPLES,
        api_name="chat",
        chatbot=gr.Chatbot(height=560, label="Trò chuyện"),
        textbox=gr.Textbox(placeholder="Nhập câu hỏi…", submit_btn=True),
    )


def launch(assistant: Assistant, config) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo = build(assistant)
    demo.queue(default_concurrency_limit=1)
    print(f"Web chat on http://{config.host}:{config.port}", flush=True)
    demo.launch(server_name=config.host, server_port=config.port, share=False,
                show_error=False, quiet=True)  # fmt: skip
