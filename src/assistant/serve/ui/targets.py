"""The Targets & deadlines tab: the ledger as a timeline and a table, filtered, downloadable as CSV.

The table is HTML (serve.render.table_html): when, how much, what and where from come
first and stay on screen at 1366 px; on a phone each row becomes a small card.
"""

# (no `from __future__ import annotations`: gradio reads gr.Request hints at runtime)

import logging
from types import SimpleNamespace

import gradio as gr

from assistant.ledger import TABLE_COLUMNS, by_due, filter_targets, ledger_rows, table_rows, targets_to_csv
from assistant.serve.render import download_link, note_html, public_text, table_html
from assistant.serve.state import WebState
from assistant.serve.ui.common import user_of
from assistant.store import IndexError_
from assistant.timeline import timeline_figure

log = logging.getLogger(__name__)

_CLASSES = {"Due": "c-nowrap", "Value": "c-nowrap", "Statement": "c-wide", "Document": "c-doc", "Kind": "c-nowrap",
            "Check": "c-check"}


def target_table(rows) -> str:
    """The ledger's own table rows (assistant.ledger.table_rows); a flagged figure's row is marked."""
    return table_html(TABLE_COLUMNS, table_rows(rows), "targets", _CLASSES,
                      [{"class": "garbled"} if r.garbled else {} for r in rows],
                      empty="No targets match these filters.")


def timeline(rows: list[dict]):
    fig = timeline_figure(rows)
    fig.update_layout(autosize=True, width=None, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def build(state: WebState) -> SimpleNamespace:
    """Lay out the tab inside the current gr.Tab and wire its own events; `show` refreshes it."""
    assistant = state.assistant

    def targets_view(issuers_sel, due_before, docs_sel, search, request: gr.Request):
        try:
            rows = ledger_rows((assistant.documents() if assistant.has_index() else {}).values())
        except Exception as exc:
            (log.warning if isinstance(exc, IndexError_) else log.exception)("targets failed: %s", exc)
            return (timeline([]), target_table([]), "",
                    note_html(f"The targets ledger is not available: {public_text(exc)}", "bad"))
        try:
            rows = by_due(filter_targets(rows, doc=docs_sel or None, due_before=due_before, issuer=issuers_sel or None,
                                         text=(search or "").strip() or None))
        except ValueError as exc:  # a cut-off that is not a date: the message says how to write one
            return gr.skip(), gr.skip(), gr.skip(), note_html(str(exc), "warn")
        url = state.exports.add(user_of(request), "targets.csv", targets_to_csv(rows))
        note = note_html(f"{len(rows)} row{'s' if len(rows) != 1 else ''}.")
        return timeline(rows), target_table(rows), download_link(url, "Download CSV"), note

    plot = gr.Plot(label="Timeline", elem_id="timeline")
    with gr.Row():
        t_issuers = gr.Dropdown([], multiselect=True, label="Issuer", min_width=160)
        t_before = gr.Textbox(label="Due before (YYYY-MM-DD or YYYY)", min_width=140, max_length=10,
                              elem_id="due-before")
        t_docs = gr.Dropdown([], multiselect=True, label="Document", min_width=160)
        t_search = gr.Textbox(label="Search", min_width=140, elem_id="targets-search")
    with gr.Row():
        t_apply = gr.Button("Apply filters", variant="primary", elem_id="targets-apply")
        t_csv = gr.HTML(elem_id="targets-csv")
    t_note = gr.HTML(elem_id="targets-note")
    t_table = gr.HTML(elem_id="targets-table")

    show = dict(fn=targets_view, inputs=[t_issuers, t_before, t_docs, t_search], outputs=[plot, t_table, t_csv, t_note])
    t_apply.click(**show)
    t_search.submit(**show)
    t_before.submit(**show)
    return SimpleNamespace(issuers=t_issuers, docs=t_docs, show=show)
