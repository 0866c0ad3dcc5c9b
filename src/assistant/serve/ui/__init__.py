"""The Gradio Blocks: Ask, Targets & deadlines, Documents, Training (one module per tab).

Each tab module lays out its components and wires its own events; this module
puts the tabs together and wires what crosses them: the page-load refresh of
every document list, and the refresh after a document change.
"""

# (no `from __future__ import annotations`: gradio reads gr.Request hints at runtime)

from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from assistant.core import Assistant
from assistant.serve.render import esc
from assistant.serve.state import WebState
from assistant.serve.ui import ask, documents, targets, training
from assistant.serve.ui.common import doc_choices, docs_or_empty, issuer_choices, session_of, user_of


def build_ui(assistant: Assistant, state: WebState | None = None) -> gr.Blocks:
    state = state or WebState(assistant)
    if state.upload_dir is None:  # create_app replaces it with the mounted app's own folder (the same one)
        state.upload_dir = Path(get_upload_folder())

    # delete_cache: Gradio removes its copies of uploaded files after an hour (the upload handler
    # has copied them into the data folder by then) and all of them at shutdown
    with gr.Blocks(title="Policy document assistant", fill_width=True, delete_cache=(3600, 3600)) as blocks:
        gr.Markdown("## Policy document assistant\nAnswers quote the indexed documents; every sentence is cited.")
        status = gr.HTML(state.status_html(), elem_id="index-status")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                ask_tab = ask.build(state)
            with gr.Tab("Targets & deadlines", id="targets"):
                targets_tab = targets.build(state)
            with gr.Tab("Documents", id="documents"):
                docs_tab = documents.build(state)
            with gr.Tab("Training", id="training"):
                training_tab = training.build(state)

        def refresh(request: gr.Request):
            docs = docs_or_empty(assistant)
            choices = doc_choices(docs)
            who = user_of(request)
            admin = state.is_admin(who)
            whoami = (f"Signed in as <strong>{esc(who)}</strong> ({'admin' if admin else 'reader'})." if who else "")
            return (state.status_html() + (" " + whoami if whoami else ""),
                    gr.update(choices=choices), gr.update(choices=issuer_choices(docs)),
                    gr.update(choices=issuer_choices(docs)), gr.update(choices=choices),
                    documents.doc_table(docs), gr.update(choices=choices), gr.update(choices=choices),
                    gr.update(visible=admin), gr.update(visible=not admin))

        after = dict(fn=refresh, inputs=None, outputs=[
            status, ask_tab.docs, ask_tab.issuers, targets_tab.issuers, targets_tab.docs, docs_tab.table,
            docs_tab.remove_choice, training_tab.doc, docs_tab.admin_box, docs_tab.not_admin])
        for event in docs_tab.changes:
            event.then(**after).then(**targets_tab.show)
        blocks.load(**after).then(**targets_tab.show)

        def forget(request: gr.Request):  # the tab was closed or reloaded: its chat goes
            ask_tab.conversations.drop(session_of(request))

        blocks.unload(forget)

    blocks.queue(default_concurrency_limit=state.settings.concurrency)
    return blocks
