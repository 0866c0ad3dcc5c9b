"""The Ask tab: the chat, each answer with its own source cards, feedback and the filters.

Questions go through `serve.chat`: a question sent while an answer is being made is
queued and answered next, never dropped. Answers stream from `Assistant.stream`
(the real text as it is made, whatever the answerer), with no pauses of our own.
"""

# (no `from __future__ import annotations`: gradio reads gr.Request / gr.LikeData hints at runtime)

import logging
from types import SimpleNamespace
from typing import Any

import gradio as gr

from assistant.core import QuestionError, clean_question
from assistant.serve.chat import Conversation, Conversations, Question
from assistant.serve.render import (answer_html, answer_plain, esc, msg, note_html, public_text, question_html,
                                    question_language, streaming_html)
from assistant.serve.state import WebState
from assistant.serve.ui.common import docs_or_empty, parse_date, session_of
from assistant.store import IndexError_

log = logging.getLogger(__name__)

EXAMPLES = [
    "What share of the main tasks should be completed by the end of 2024?",
    "When will the 2023 local SOE reform assessment be carried out?",
    "What should be done to improve corporate governance?",
]


def filters_from(docs_sel, issuers_sel, since, until) -> dict | None:
    f: dict[str, Any] = {}
    if docs_sel:
        f["doc"] = list(docs_sel)
    if issuers_sel:
        f["issuer"] = list(issuers_sel)
    if since and since.strip():
        f["since"] = parse_date(since.strip(), "Since").isoformat()
    if until and until.strip():
        f["until"] = parse_date(until.strip(), "Until").isoformat()
    return f or None


def _queued(q: Question) -> str:
    return question_html(q.text, queued=True, lang=q.lang)


def status_html(conv: Conversation) -> str:
    """The line under the box: what the runner is doing and how many questions wait."""
    waiting = len(conv.pending)
    if not conv.running and not waiting:
        return ""
    more = f" {waiting} more question{'s' if waiting != 1 else ''} queued, answered in order." if waiting else ""
    return f'<span class="ask-busy">⏳ Answering…{esc(more)}</span>'


def build(state: WebState) -> SimpleNamespace:
    """Lay out the tab inside the current gr.Tab and wire its own events."""
    assistant, settings = state.assistant, state.settings
    conversations = Conversations()

    def answer(conv: Conversation, q: Question):
        """Answer one queued question, yielding after each change of the chat."""
        with conv.lock:
            epoch, key = conv.epoch, f"a{conv.epoch}-{conv.turns}"
            conv.turns += 1
            conv.messages.append({"role": "user", "content": question_html(q.text)})
            conv.current = streaming_html("", q.lang)
            history = list(conv.history)
        yield
        ans, final = None, None
        try:
            if not assistant.has_index():
                final = note_html(msg("empty_index", q.lang), "info")
            else:
                for item in assistant.stream(q.text, history=history, filters=q.filters):
                    if isinstance(item, str):
                        if not conv.show(epoch, streaming_html(item, q.lang)):
                            return  # "New conversation" while this one was answered
                        yield
                    else:
                        ans = item
        except QuestionError as exc:
            final = note_html(str(exc) if q.lang == "en" else f"{msg('bad_question', q.lang)}：{exc}", "warn")
        except IndexError_ as exc:  # the store went away mid-question: the message says what to do
            log.warning("index unavailable: %s", exc)
            final = note_html(public_text(exc), "warn")
        except Exception as exc:
            log.exception("ask failed")
            final = note_html(f"{msg('failed', q.lang)}: {public_text(exc)}", "warn")
        if ans is not None:
            final = answer_html(ans, docs_or_empty(assistant), key)
        with conv.lock:
            if conv.epoch != epoch:
                return
            conv.current = None
            conv.messages.append({"role": "assistant", "content": final})
            if ans is not None:
                conv.records[len(conv.messages) - 1] = {
                    "question": ans.question, "answer": answer_plain(ans),
                    "sources": [c.model_dump() for c in (ans.citations or ans.related)]}
                conv.history.append(q.text)
        yield

    def respond(message, docs_sel, issuers_sel, since, until, request: gr.Request):
        """Send a question: the first one runs the queue, one sent meanwhile waits in it."""
        conv = conversations.get(session_of(request))
        message = message or ""
        if not message.strip():
            yield gr.skip(), gr.skip(), status_html(conv)
            return
        try:
            filters = filters_from(docs_sel, issuers_sel, since, until)
            clean_question(message, settings.max_question_chars)
            runner = conv.add(Question(message, filters, question_language(message)))
        except (ValueError, QuestionError) as exc:  # a bad date, a bad question, a full queue: it stays in the box
            gr.Warning(esc(str(exc)))
            yield gr.skip(), gr.skip(), note_html(str(exc), "warn")
            return
        if not runner:
            yield "", conv.view(_queued), status_html(conv)  # the runner answers it in turn
            return
        box: Any = ""  # the box is cleared once; later updates leave what is being typed alone
        try:
            while (q := conv.next()) is not None:
                for _ in answer(conv, q):
                    yield box, conv.view(_queued), status_html(conv)
                    box = gr.skip()
        except BaseException:  # an error, or the page went away: the next question runs the queue
            conv.stop()
            raise
        yield box, conv.view(_queued), status_html(conv)  # idle: every yield is the whole state, the last one too

    def new_conversation(request: gr.Request):
        conversations.get(session_of(request)).clear()
        return [], ""

    def on_like(comment, data: gr.LikeData, request: gr.Request):
        conv = conversations.get(session_of(request))
        rec = conv.records.get(data.index if isinstance(data.index, int) else data.index[0])
        if not rec:
            return gr.skip()
        state.feedback.add(rec["question"], rec["answer"], rec["sources"], "like" if data.liked else "dislike", comment)
        gr.Info("Thanks for the feedback.")
        return ""

    def send_feedback(rating, comment, request: gr.Request):
        conv = conversations.get(session_of(request))
        if not conv.records:
            gr.Warning("Ask a question first.")
            return comment
        rec = conv.records[max(conv.records)]
        state.feedback.add(rec["question"], rec["answer"], rec["sources"],
                           {"👍 Helpful": "like", "👎 Not helpful": "dislike"}.get(rating, "comment"), comment)
        gr.Info("Feedback saved.")
        return ""

    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            # Markdown off: messages are HTML built (and escaped once) by serve.render
            chatbot = gr.Chatbot(label="Answers", height="68vh", min_height=420, render_markdown=False,
                                 latex_delimiters=[], buttons=[], feedback_options=["Like", "Dislike"],
                                 elem_id="chat", placeholder="Ask about the indexed documents.")
            with gr.Row():
                question = gr.Textbox(placeholder="Ask a question about the documents…", show_label=False,
                                      scale=5, min_width=200, lines=1, max_lines=6, elem_id="question",
                                      max_length=settings.max_question_chars * 2)
                ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-btn")
            ask_status = gr.HTML(elem_id="ask-status")
            gr.Examples(EXAMPLES, inputs=question, label="Examples")
            with gr.Accordion("Feedback on the last answer", open=False):
                rating = gr.Radio(["👍 Helpful", "👎 Not helpful", "Comment only"], value="👍 Helpful",
                                  label="Rating")
                comment = gr.Textbox(label="Comment (optional)", lines=2, max_length=5000, elem_id="feedback-comment")
                fb_btn = gr.Button("Send feedback", elem_id="feedback-btn")
        with gr.Column(scale=1, min_width=240):
            gr.Markdown("### Filters")
            f_docs = gr.Dropdown([], multiselect=True, label="Documents", elem_id="filter-docs")
            f_issuers = gr.Dropdown([], multiselect=True, label="Issuers")
            f_since = gr.Textbox(label="Since (YYYY-MM-DD)", max_length=10)
            f_until = gr.Textbox(label="Until (YYYY-MM-DD)", max_length=10)
            clear = gr.Button("New conversation", elem_id="new-conversation")

    ask = dict(fn=respond, inputs=[question, f_docs, f_issuers, f_since, f_until],
               outputs=[question, chatbot, ask_status], trigger_mode="multiple", show_progress="hidden",
               concurrency_id="ask", concurrency_limit=max(2, settings.concurrency))
    ask_btn.click(**ask)
    question.submit(**ask, api_name=False)
    clear.click(new_conversation, None, [chatbot, ask_status])
    chatbot.clear(new_conversation, None, [chatbot, ask_status], api_name=False)
    chatbot.like(on_like, [comment], [comment])
    fb_btn.click(send_feedback, [rating, comment], [comment])
    return SimpleNamespace(docs=f_docs, issuers=f_issuers, conversations=conversations)
