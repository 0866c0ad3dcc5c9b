"""The Ask tab: the chat, its source cards, copy-as-text, feedback and the filters."""

# (no `from __future__ import annotations`: gradio reads gr.Request / gr.LikeData hints at runtime)

import logging
import time
from types import SimpleNamespace
from typing import Any

import gradio as gr

from assistant.core import QuestionError
from assistant.serve.render import (answer_body, answer_markdown, answer_plain, md_escape, msg, public_text,
                                    question_language, sources_html, stream_pieces)
from assistant.serve.state import WebState
from assistant.serve.ui.common import docs_or_empty, parse_date
from assistant.store import IndexError_

log = logging.getLogger(__name__)

EXAMPLES = [
    "What share of the main tasks should be completed by the end of 2024?",
    "Which targets have a deadline in 2025?",
    "Who is responsible for monitoring progress?",
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


def build(state: WebState) -> SimpleNamespace:
    """Lay out the tab inside the current gr.Tab and wire its own events."""
    assistant, settings = state.assistant, state.settings

    def respond(message, chat, records, docs_sel, issuers_sel, since, until):
        chat = list(chat or [])
        records = dict(records or {})
        message = message or ""

        def say(text, cards="", plain=""):
            return chat + [{"role": "assistant", "content": text}], records, cards, plain

        try:
            filters = filters_from(docs_sel, issuers_sel, since, until)
        except ValueError as exc:
            yield ("", *say(f"⚠️ {md_escape(exc)}"))
            return
        history = [r["question"] for _, r in sorted(records.items())]
        chat.append({"role": "user", "content": md_escape(message)})
        try:
            indexed = assistant.has_index()
        except IndexError_ as exc:
            yield ("", *say(f"⚠️ {md_escape(public_text(exc))}"))
            return
        lang = question_language(message)
        if not indexed:
            yield ("", *say(f"ℹ️ {md_escape(msg('empty_index', lang))}"))
            return
        yield ("", *say(f"_{msg('searching', lang)}_"))
        try:
            if assistant.settings.llm != "none":  # stream the generated tokens into the chat
                for ans in assistant.stream(message, history=history, filters=filters):
                    if isinstance(ans, str):
                        yield ("", *say(md_escape(ans) + " ▍"))
            else:
                ans = assistant.ask(message, history=history, filters=filters)
        except QuestionError as exc:
            chat.pop()
            yield (message, *say(f"⚠️ {md_escape(exc) if lang == 'en' else md_escape(msg('bad_question', lang) + '：' + str(exc))}"))
            return
        except IndexError_ as exc:  # the store went away mid-question: the message says what to do
            log.warning("index unavailable: %s", exc)
            yield ("", *say(f"⚠️ {md_escape(public_text(exc))}"))
            return
        except Exception as exc:
            log.exception("ask failed")
            yield ("", *say(f"⚠️ {msg('failed', lang)}: {md_escape(public_text(exc))}"))
            return
        pieces = stream_pieces(answer_body(ans)) if assistant.settings.llm == "none" else []  # LLM text already streamed
        for i in range(1, len(pieces)):
            yield ("", *say(answer_markdown(ans, " ".join(pieces[:i]), final=False) + " ▍"))
            time.sleep(0.04)
        docs = docs_or_empty(assistant)
        cards = sources_html(ans, docs)
        records[len(chat)] = {"question": ans.question, "answer": answer_plain(ans),
                              "sources": [c.model_dump() for c in (ans.citations or ans.related)]}
        yield ("", *say(answer_markdown(ans), cards, answer_plain(ans)))

    def on_like(records, comment, data: gr.LikeData):
        rec = (records or {}).get(data.index if isinstance(data.index, int) else data.index[0])
        if not rec:
            return gr.update()
        state.feedback.add(rec["question"], rec["answer"], rec["sources"], "like" if data.liked else "dislike", comment)
        gr.Info("Thanks for the feedback.")
        return ""

    def send_feedback(records, rating, comment):
        if not records:
            gr.Warning("Ask a question first.")
            return comment
        rec = records[max(records)]
        state.feedback.add(rec["question"], rec["answer"], rec["sources"],
                           {"👍 Helpful": "like", "👎 Not helpful": "dislike"}.get(rating, "comment"), comment)
        gr.Info("Feedback saved.")
        return ""

    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chatbot = gr.Chatbot(label="Answers", height=460, buttons=["copy", "copy_all"],
                                 feedback_options=["Like", "Dislike"], elem_id="chat",
                                 placeholder="Ask about the indexed reform documents.")
            with gr.Row():
                question = gr.Textbox(placeholder="Ask a question about the documents…", show_label=False,
                                      scale=5, min_width=200, lines=1, max_lines=6, elem_id="question",
                                      max_length=settings.max_question_chars * 2)
                ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-btn")
            gr.Examples(EXAMPLES, inputs=question, label="Examples")
            sources = gr.HTML(elem_id="sources")
            with gr.Accordion("Copy answer with citations", open=False):
                plain = gr.Textbox(show_label=False, lines=6, interactive=False, buttons=["copy"],
                                   elem_id="plain-answer")
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
            clear = gr.Button("New conversation")
    records = gr.State({})

    ask_inputs = [question, chatbot, records, f_docs, f_issuers, f_since, f_until]
    ask_outputs = [question, chatbot, records, sources, plain]
    ask_btn.click(respond, ask_inputs, ask_outputs)
    question.submit(respond, ask_inputs, ask_outputs)
    clear.click(lambda: ([], {}, "", ""), None, [chatbot, records, sources, plain])
    chatbot.like(on_like, [records, comment], [comment])
    fb_btn.click(send_feedback, [records, rating, comment], [comment])
    return SimpleNamespace(docs=f_docs, issuers=f_issuers)
