"""The Gradio web page: a streamed, cited chat and an articles panel.

Chat tab: answers stream in while the model writes (marked as not yet checked), then the
checked answer replaces the draft, with superscript links to its "Nguồn" list; example
questions on the empty page; follow-ups use the conversation, "Cuộc trò chuyện mới" clears
it; like/dislike goes to the feedback log. Articles tab: the indexed articles, upload,
delete and rebuild, indexed incrementally with a progress bar while the chat keeps
answering. The API exposes `/chat` (one message in, answer text with numbered sources out).

`launch` serves the page and the OpenAI-compatible routes (`assistant.openai_api`) on one
port; the same question asked by several users at once is answered once
(`assistant.shared`), and `--parallel` gives the LLM several slots.

Binds 127.0.0.1 unless told otherwise, optional login (for the OpenAI routes an API key:
the password, or user:password), never a share link, analytics off. How answers are
rendered is `assistant.render`; the folder operations `assistant.library`.
"""

# No `from __future__ import annotations`: gradio reads the handlers' annotations
# (gr.LikeData, gr.SelectData, gr.Progress) at run time to know what to pass them.
import logging
import os
import queue
import threading
import time
from dataclasses import asdict
from pathlib import Path

from assistant.answer import Assistant, QuestionError, Turn
from assistant.feedback import FeedbackLog
from assistant.library import Library, LibraryError, summary
from assistant.render import answer_html, answer_text, draft_html, status_html
from assistant.types import Answer
from index.loader import SUFFIXES

log = logging.getLogger(__name__)

EXAMPLES = [
    "Bảo Lộc có bao nhiêu mắt camera an ninh?",
    "Năm 2021 TP. Pleiku xảy ra bao nhiêu vụ phạm pháp hình sự?",
    "Ai là Giám đốc Công an tỉnh được nhắc đến trong hội nghị tổng kết năm 2021?",
]
HEADERS = ["Tệp", "Tiêu đề", "Ngày", "Số đoạn"]
FAILED = "not answered"  # note on an Answer that only carries an error message
STREAM_EVERY_S = 0.1  # at most this often a streamed draft is pushed to the page

CSS = """
.answer p { margin: 0 0 .4em 0; }
.answer.not-found p { color: #8a5a00; }
sup.cite a { text-decoration: none; font-weight: 600; padding: 0 1px; }
.sources { border-top: 1px solid #ddd; margin-top: .5em; padding-top: .3em; font-size: .92em; }
.sources-title { font-weight: 700; margin-bottom: .2em; }
.src-list { margin: 0; padding-left: 1.4em; }
.src { margin-bottom: .5em; }
.src-meta { color: #666; font-size: .9em; }
.src-text { margin: .2em 0; padding: .2em .6em; border-left: 3px solid #c9d6f0; }
.src-text mark, .src-full mark { background: #fff1a8; padding: 0 1px; }
.src-full summary { cursor: pointer; color: #2a5db0; font-size: .9em; }
.draft { opacity: .75; }
.draft-label { font-style: italic; color: #777; font-size: .9em; }
"""


def _reply(assistant: Assistant, message: str, turns: list[Turn], on_token=None) -> Answer:
    """The answer, or an Answer holding the message that says why there is none."""
    try:
        return assistant.ask(message, turns, on_token=on_token)
    except QuestionError as exc:
        return Answer(f"⚠️ {exc}", False, notes=(FAILED,))
    except Exception as exc:  # the page says what happened, never a traceback
        log.exception("answering failed")
        text = f"⚠️ Không trả lời được câu hỏi này ({exc.__class__.__name__}: {exc})."
        return Answer(text, False, notes=(FAILED,))


def _exchange(message: str, answer: Answer) -> dict:
    return {
        "question": message,
        "standalone_question": answer.standalone_question,
        "answer": answer.text,
        "found": answer.found,
        "citations": [asdict(c) for c in answer.citations],
    }


def stream_answer(assistant: Assistant, message: str, turns: list[Turn]):
    """Yield ("draft" | "final", text | Answer) while answering in a worker thread."""
    tokens: queue.Queue[str] = queue.Queue()
    result: list[Answer] = []
    worker = threading.Thread(
        target=lambda: result.append(_reply(assistant, message, turns, tokens.put)), daemon=True
    )
    worker.start()
    draft, last = "", 0.0
    while worker.is_alive() or not tokens.empty():
        try:
            draft += tokens.get(timeout=0.05)
        except queue.Empty:
            continue
        if time.monotonic() - last >= STREAM_EVERY_S:
            last = time.monotonic()
            yield "draft", draft
    worker.join()
    yield "final", result[0]


def _rows(library: Library) -> list[list]:
    return [[r.file, r.title, r.date, r.paragraphs] for r in library.rows()]


def build(assistant: Assistant, library: Library, feedback: FeedbackLog):
    import gradio as gr

    def new_state() -> dict:
        return {"turns": [], "exchanges": {}}

    def respond(message: str, chat: list, state: dict):
        chat, state = list(chat or []), state or new_state()
        if not (message or "").strip():
            yield message, chat, state
            return
        chat += [
            {"role": "user", "content": message},
            {"role": "assistant", "content": status_html("Đang tìm trong các bài báo…")},
        ]
        yield "", chat, state
        for kind, value in stream_answer(assistant, message, state["turns"]):
            if kind == "draft":
                chat[-1] = {"role": "assistant", "content": draft_html(value)}
            else:
                chat[-1] = {"role": "assistant", "content": answer_html(value)}
                if FAILED not in value.notes:  # a failed turn is no context for follow-ups
                    turn = Turn(message, value.text, value.standalone_question)
                    state["turns"] = [*state["turns"], turn]
                state["exchanges"] = {
                    **state["exchanges"],
                    len(chat) - 1: _exchange(message, value),
                }
            yield "", chat, state

    def on_like(data: gr.LikeData, state: dict) -> None:
        exchange = (state or {}).get("exchanges", {}).get(data.index)
        if exchange is None or data.liked in (None, ""):
            return
        feedback.record(data.liked is True or data.liked == "Like", exchange)
        gr.Info("Đã ghi nhận phản hồi. Cảm ơn!")

    def pick_example(data: gr.SelectData) -> str:
        return data.value["text"]

    def chat_api(message: str) -> str:
        """Answer one question from the indexed articles; numbered sources follow."""
        return answer_text(_reply(assistant, message, []))

    def refresh_panel(note: str = ""):
        rows = _rows(library)
        names = [r[0] for r in rows]
        return rows, gr.update(choices=names, value=None), note

    def index_after(change, progress) -> str:
        progress(0, desc="Đang đọc bài báo…")

        def embedded(done: int, total: int) -> None:
            progress(done / total, desc=f"Đang nhúng đoạn văn {done}/{total}")

        try:
            report = library.update(reembed=change == "rebuild", on_progress=embedded)
        except Exception as exc:
            log.exception("indexing failed")
            return f"⚠️ Lập chỉ mục thất bại ({exc.__class__.__name__}: {exc})."
        return summary(report)

    def on_upload(files, progress=gr.Progress()):  # noqa: B008
        paths = [Path(f if isinstance(f, str) else f.name) for f in files or []]
        try:
            saved = library.add([(p.name, p) for p in paths])
        except LibraryError as exc:
            return (*refresh_panel(f"⚠️ {exc}"), None)
        note = f"Đã lưu {', '.join(saved)}. " + index_after("add", progress)
        return (*refresh_panel(note), None)

    def on_delete(name: str | None, progress=gr.Progress()):  # noqa: B008
        if not name:
            return refresh_panel("Chọn một bài để xoá.")
        try:
            library.remove(name)
        except LibraryError as exc:
            return refresh_panel(f"⚠️ {exc}")
        return refresh_panel(f"Đã xoá {name}. " + index_after("delete", progress))

    def on_rebuild(progress=gr.Progress()):  # noqa: B008
        return refresh_panel(index_after("rebuild", progress))

    with gr.Blocks(title="Trợ lý tin tức an ninh", analytics_enabled=False) as demo:
        gr.Markdown(
            "## Trợ lý tin tức an ninh\nHỏi về các bài báo đã lập chỉ mục (có thể gõ không dấu). "
            "Mỗi câu trả lời dẫn nguồn tới đoạn văn cụ thể; nếu bài báo không có thông tin, "
            "trợ lý sẽ nói vậy."
        )
        with gr.Tab("Hỏi đáp", elem_id="tab-chat"):
            state = gr.State(new_state())
            chatbot = gr.Chatbot(
                height=600,
                label="Trò chuyện",
                elem_id="chat",
                examples=[{"text": q} for q in EXAMPLES],
                placeholder="Đặt câu hỏi về các bài báo, hoặc chọn một câu hỏi mẫu.",
                feedback_options=("Like", "Dislike"),
                buttons=["copy"],
            )
            with gr.Row():
                box = gr.Textbox(placeholder="Nhập câu hỏi…", show_label=False, scale=8,
                                 submit_btn="Gửi", elem_id="question")  # fmt: skip
                new = gr.Button("Cuộc trò chuyện mới", scale=0, min_width=170, size="sm",
                                elem_id="new-chat")  # fmt: skip
        with gr.Tab("Bài báo", elem_id="tab-articles"):
            table = gr.Dataframe(value=_rows(library), headers=HEADERS, interactive=False,
                                 label="Bài đã lập chỉ mục", elem_id="articles", wrap=True,
                                 column_widths=["24%", "56%", "10%", "10%"],
                                 show_search="search")  # fmt: skip
            limit = library.max_upload_bytes / 1_000_000
            upload = gr.File(label=f"Tải bài báo lên (.txt, .md, .html, .docx, .pdf; tối đa "
                                   f"{limit:g} MB)", file_count="multiple",
                             file_types=list(SUFFIXES), elem_id="upload")  # fmt: skip
            with gr.Row():
                pick = gr.Dropdown(choices=[r[0] for r in _rows(library)], label="Bài cần xoá",
                                   scale=3, elem_id="pick")  # fmt: skip
                delete = gr.Button("Xoá bài", variant="stop", scale=1, elem_id="delete")
                rebuild = gr.Button("Lập lại chỉ mục", scale=1, elem_id="rebuild")
            note = gr.Markdown(elem_id="index-status")

        box.submit(respond, [box, chatbot, state], [box, chatbot, state], api_visibility="private")
        chatbot.example_select(pick_example, None, box).then(
            respond, [box, chatbot, state], [box, chatbot, state], api_visibility="private"
        )
        chatbot.like(on_like, [state], None, api_visibility="private")
        chatbot.clear(new_state, None, state, api_visibility="private")  # the bin icon
        new.click(lambda: ([], new_state(), ""), None, [chatbot, state, box],
                  api_visibility="private")  # fmt: skip
        panel = [table, pick, note]

        def starting(text: str):
            return lambda: f"{text}… (trò chuyện vẫn trả lời trong lúc này)"

        one_at_a_time = {"concurrency_limit": 1, "concurrency_id": "library"}  # indexing runs

        upload.upload(
            starting("Đang lưu và lập chỉ mục"), None, note, api_visibility="private"
        ).then(
            on_upload,
            [upload],
            [*panel, upload],
            api_visibility="private",
            show_progress_on=note,
            **one_at_a_time,
        )
        delete.click(
            starting("Đang xoá và lập chỉ mục"), None, note, api_visibility="private"
        ).then(on_delete, [pick], panel, api_visibility="private", show_progress_on=note,
               **one_at_a_time)  # fmt: skip
        rebuild.click(starting("Đang lập lại chỉ mục"), None, note, api_visibility="private").then(
            on_rebuild,
            None,
            panel,
            api_visibility="private",
            show_progress_on=note,
            **one_at_a_time,
        )
        demo.load(refresh_panel, None, panel, api_visibility="private")
        gr.api(chat_api, api_name="chat")
    return demo


def parse_auth(value: str) -> list[tuple[str, str]] | None:
    """ "user:password[,user2:password2]" -> [(user, password), ...]; "" -> None."""
    if not value:
        return None
    pairs = []
    for item in value.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise ValueError("--auth / ASSISTANT_AUTH must look like user:password")
        pairs.append((user, password))
    return pairs


# Chat requests the page's queue lets through at once. The LLM's slots are the real limit:
# past them, the page's requests and the API's wait for a slot together, in turn.
CHAT_CONCURRENCY = 32


def app(assistant: Assistant, config):
    """One FastAPI app: the OpenAI-compatible routes, and the Gradio page mounted at /."""
    import gradio as gr
    from fastapi import FastAPI

    from assistant.openai_api import router
    from assistant.shared import SharedAnswers

    auth = parse_auth(config.auth)
    assistant = SharedAnswers(assistant)  # the same question asked at once: answered once
    library = Library(config.articles_dir, config.index_dir, assistant.retriever.embedder,
                      config.chunk_settings(), int(config.max_upload_mb * 1_000_000),
                      config.chroma_url)  # fmt: skip
    demo = build(assistant, library, FeedbackLog(config.index_dir))
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    server.include_router(router(assistant, auth))
    return gr.mount_gradio_app(server, demo, "/", server_name=config.host,
                               server_port=config.port, footer_links=["api"], auth=auth,
                               show_error=False, css=CSS,
                               max_file_size=library.max_upload_bytes)  # fmt: skip


def launch(assistant: Assistant, config) -> None:
    import uvicorn

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    server = app(assistant, config)
    base = f"http://{config.host}:{config.port}"
    print(f"Web chat on {base} (OpenAI-compatible API: {base}/v1)", flush=True)
    if config.host not in ("127.0.0.1", "localhost", "::1") and not config.auth:
        print("Warning: listening beyond this machine without a login; add --auth user:password",
              flush=True)  # fmt: skip
    uvicorn.run(server, host=config.host, port=config.port, log_level="warning",
                timeout_graceful_shutdown=5)  # fmt: skip
