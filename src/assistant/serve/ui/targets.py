"""The Targets & deadlines tab: the ledger as a timeline and a table, filtered, downloadable as CSV.

The table is HTML (serve.render.table_html): when, how much, what and where from come
first and stay on screen at 1366 px; on a phone each row becomes a small card.
"""

# (no `from __future__ import annotations`: gradio reads gr.Request hints at runtime)

import logging
from datetime import date
from types import SimpleNamespace

import gradio as gr

from assistant.serve.render import download_link, note_html, public_text, table_html
from assistant.serve.state import WebState
from assistant.serve.ui.common import user_of
from assistant.store import IndexError_
from assistant.targets import filter_targets, period_end, targets_to_csv
from assistant.timeline import timeline_figure

log = logging.getLogger(__name__)

TARGET_COLUMNS = ["Due", "Value", "Statement", "Document", "Kind", "Deadline as written", "Issuer"]
_CLASSES = {"Due": "c-nowrap", "Value": "c-nowrap", "Statement": "c-wide", "Kind": "c-nowrap"}


def ledger_view(rows: list[dict], issuer: list[str] | None = None, due_before: str | None = None,
                doc: list[str] | None = None, search: str | None = None) -> list[dict]:
    """The tab's filters (assistant.targets.filter_targets), soonest deadline first, undated last."""
    due = (due_before or "").strip() or None
    try:
        rows = filter_targets(rows, doc=doc or None, due_before=due, issuer=issuer or None,
                              text=(search or "").strip() or None)
    except ValueError:
        raise ValueError("Due before: write a date as YYYY-MM-DD (or YYYY, YYYY-Qn, YYYY-MM).") from None
    return sorted(rows, key=lambda r: (period_end(r.get("deadline_norm")) or date.max, r.get("title", ""), r.get("start", 0)))


def target_table(rows: list[dict]) -> str:
    cells = [[r.get("deadline_norm") or "", " ".join(x for x in (r.get("comparator"), r.get("value")) if x),
              r.get("statement", ""), r.get("title") or r.get("doc_id", ""), r.get("kind", ""),
              r.get("deadline", ""), r.get("issuer", "")] for r in rows]
    return table_html(TARGET_COLUMNS, cells, "targets", _CLASSES, empty="No targets match these filters.")


def timeline(rows: list[dict]):
    fig = timeline_figure(rows)
    fig.update_layout(autosize=True, width=None, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def build(state: WebState) -> SimpleNamespace:
    """Lay out the tab inside the current gr.Tab and wire its own events; `show` refreshes it."""
    assistant = state.assistant

    def targets_view(issuers_sel, due_before, docs_sel, search, request: gr.Request):
        try:
            rows = assistant.targets() if assistant.has_index() else []
        except Exception as exc:
            (log.warning if isinstance(exc, IndexError_) else log.exception)("targets failed: %s", exc)
            return (timeline([]), target_table([]), "",
                    note_html(f"The targets ledger is not available: {public_text(exc)}", "bad"))
        try:
            rows = ledger_view(rows, issuers_sel, due_before, docs_sel, search)
        except ValueError as exc:
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
