"""The Training tab: a cited brief and a quiz for one document or all of them."""

# (no `from __future__ import annotations`: gradio reads gr.Request hints at runtime)

from types import SimpleNamespace

import gradio as gr

from assistant import training as tr
from assistant.serve.render import EMPTY_INDEX, download_link, safe_md
from assistant.serve.state import WebState
from assistant.serve.ui.common import docs_or_empty, user_of


def build(state: WebState) -> SimpleNamespace:
    """Lay out the tab inside the current gr.Tab and wire its own events."""

    def training(doc_id, n, seed, request: gr.Request):
        docs = docs_or_empty(state.assistant)
        chosen = [docs[doc_id]] if doc_id in docs else list(docs.values())
        if not chosen:
            return f"ℹ️ {EMPTY_INDEX}", "", ""
        payload = [{"doc_id": d.doc_id, "text": d.text, "metadata": d.metadata, "targets": d.targets} for d in chosen]
        brief = tr.brief_markdown(payload)
        quiz = tr.quiz_markdown(tr.build_quiz(payload, int(n), int(seed or 0)))
        url = state.exports.add(user_of(request), f"training-{chosen[0].doc_id if len(chosen) == 1 else 'all'}.md",
                                f"{brief}\n\n{quiz}\n")
        return safe_md(brief), safe_md(quiz), download_link(url, "Download as Markdown")

    with gr.Row():
        tr_doc = gr.Dropdown([], label="Document", min_width=200)
        tr_n = gr.Slider(1, 15, value=5, step=1, label="Quiz questions", min_width=160)
        tr_seed = gr.Number(value=0, precision=0, label="Seed", min_width=100)
    tr_btn = gr.Button("Generate", variant="primary", elem_id="training-btn")
    tr_file = gr.HTML(elem_id="training-file")
    with gr.Row():
        with gr.Column(min_width=280):
            gr.Markdown("### Key points")
            tr_brief = gr.Markdown(elem_id="training-brief")
        with gr.Column(min_width=280):
            gr.Markdown("### Quiz")
            tr_quiz = gr.Markdown(elem_id="training-quiz")
    tr_btn.click(training, [tr_doc, tr_n, tr_seed], [tr_brief, tr_quiz, tr_file])
    return SimpleNamespace(doc=tr_doc)
