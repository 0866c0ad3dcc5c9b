"""The Documents tab: the index's documents; for administrators upload, re-index, remove, export feedback."""

# (no `from __future__ import annotations`: gradio reads gr.Request hints at runtime)

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from assistant.answer.compose import source_of
from assistant.serve.render import download_link, md_escape, public_text
from assistant.serve.state import WebState
from assistant.serve.ui.common import docs_or_empty, user_of
from assistant.serve.uploads import ALLOWED_SUFFIXES, check_upload, from_upload_folder, safe_filename
from assistant.store import IndexError_

log = logging.getLogger(__name__)

DOC_COLUMNS = ["Title", "Issuer", "Date", "Type", "Chunks", "Source", "Doc ID"]


def doc_table(docs: dict) -> list[list]:
    rows = []
    for doc_id, d in docs.items():
        m = d.metadata
        rows.append([d.title, m.get("issuer", ""), m.get("date", "") or "", m.get("doc_type", "") or "",
                     m.get("chunks", ""), source_of(m), doc_id])
    return sorted(rows, key=lambda r: str(r[0]).lower())


def report_md(report, prefix: str = "") -> str:
    lines = [f"{prefix}✅ added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
             f"removed {report.removed}; {report.chunks_written} passages written in {report.seconds:.1f} s."]
    for w in report.warnings[:20]:
        lines.append(f"- ⚠️ {md_escape(Path(w.file).name)}: {md_escape(public_text(w.message))}")
    return "\n".join(lines)


def build(state: WebState) -> SimpleNamespace:
    """Lay out the tab inside the current gr.Tab and wire its events; `changes` are the events
    after which the rest of the page must be refreshed."""
    assistant, settings = state.assistant, state.settings
    uploads_dir = Path(settings.data_dir) / "uploads"

    def progress_cb(progress):
        return lambda done, total, stage: progress((done, max(total, 1)), desc=str(stage))

    def upload(files, request: gr.Request, progress=gr.Progress()):
        if not state.is_admin(user_of(request)):
            return "⛔ Only administrators can upload documents.", None
        files = [f for f in (files or []) if f]
        if not files:
            return "Choose one or more files first.", None
        uploads_dir.mkdir(parents=True, exist_ok=True)
        saved, problems = [], []
        for f in files:
            given = f if isinstance(f, (str, Path)) else getattr(f, "name", "")
            name = safe_filename(getattr(f, "orig_name", None) or Path(given).name)
            src = from_upload_folder(given, state.upload_dir) if state.upload_dir else None
            if src is None or not src.is_file():  # checked before anything is read or copied
                problems.append(f"- ⛔ {md_escape(name)}: not an uploaded file; upload it through this page.")
                continue
            why = check_upload(src, settings.max_upload_mb) or (
                None if Path(name).suffix.lower() in ALLOWED_SUFFIXES else f"{name}: unsupported type.")
            if why:
                problems.append(f"- ⛔ {md_escape(why)}")
                continue
            dest = uploads_dir / name
            shutil.copyfile(src, dest)
            saved.append(dest)
        msg = "\n".join(problems)
        if saved:
            progress(0, desc="Indexing")
            names = ", ".join(md_escape(p.name) for p in saved)
            try:
                report = state.ingest([str(p) for p in saved], prune=False, on_progress=progress_cb(progress))
            except IndexError_ as exc:
                log.warning("upload: %s", exc)
                return (f"⚠️ {md_escape(public_text(exc))}\n\nKept {names}: they are indexed by the next upload "
                        "or re-index.\n" + msg), None
            msg = report_md(report, f"Uploaded {names}. ") + ("\n" + msg if msg else "")
        return msg, None

    def reindex(request: gr.Request, progress=gr.Progress()):
        if not state.is_admin(user_of(request)):
            return "⛔ Only administrators can re-index."
        roots = [str(p) for p in (Path(settings.corpus_dir), uploads_dir) if p.exists()]
        extra = []
        for d in docs_or_empty(assistant).values():
            p = Path(str(d.metadata.get("path", "")))
            if p.is_file() and not any(str(p.resolve()).startswith(str(Path(r).resolve()) + "/") for r in roots):
                extra.append(str(p))
        if not roots and not extra:
            return (f"Nothing to index: {md_escape(public_text(Path(settings.corpus_dir).resolve()))} does not exist "
                    "and nothing was uploaded.")
        progress(0, desc="Indexing")
        try:
            return report_md(state.ingest(roots + extra, prune=True, on_progress=progress_cb(progress)))
        except IndexError_ as exc:
            log.warning("re-index: %s", exc)
            return f"⚠️ {md_escape(public_text(exc))}"

    def remove(doc_id, request: gr.Request):
        if not state.is_admin(user_of(request)):
            return "⛔ Only administrators can remove documents."
        if not doc_id:
            return "Choose a document to remove."
        docs = docs_or_empty(assistant)
        d = docs.get(doc_id)
        if d is None:
            return f"No document with id {md_escape(doc_id)}."
        try:
            n = assistant.remove_document(doc_id)
        except IndexError_ as exc:
            log.warning("remove: %s", exc)
            return f"⚠️ {md_escape(public_text(exc))} Removing {md_escape(d.title)} did not finish: remove it again."
        p = Path(str(d.metadata.get("path", "")))
        try:  # an uploaded copy would come back on the next re-index
            if p.is_file() and p.resolve().parent == uploads_dir.resolve():
                p.unlink()
        except OSError:
            pass
        return f"Removed {md_escape(d.title)} ({n} passages)."

    def export_feedback(request: gr.Request):
        if not state.is_admin(user_of(request)):
            raise gr.Error("Only administrators can export feedback.")
        url = state.exports.add(user_of(request), "feedback.csv", state.feedback.export_csv())
        return gr.update(value=download_link(url, "feedback.csv"), visible=True)

    d_table = gr.Dataframe(headers=DOC_COLUMNS, interactive=False, wrap=True, elem_id="docs-table")
    with gr.Group(visible=True) as admin_box:
        gr.Markdown(f"### Add documents\nAllowed: {', '.join(ALLOWED_SUFFIXES)}; at most "
                    f"{settings.max_upload_mb:g} MB per file.")
        files = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES), label="Files",
                        elem_id="upload-files")
        up_btn = gr.Button("Upload and index", variant="primary", elem_id="upload-btn")
        with gr.Row():
            re_btn = gr.Button("Re-index everything", elem_id="reindex-btn")
            rm_doc = gr.Dropdown([], label="Remove a document", min_width=200)
            rm_btn = gr.Button("Remove", variant="stop")
        fb_export = gr.Button("Export feedback (CSV)", elem_id="feedback-export")
        fb_file = gr.HTML(visible=False, elem_id="feedback-file")
    not_admin = gr.Markdown("Only administrators can add or remove documents.", visible=False)
    d_msg = gr.Markdown(elem_id="docs-message")

    fb_export.click(export_feedback, None, fb_file)
    changes = [up_btn.click(upload, [files], [d_msg, files]), re_btn.click(reindex, None, d_msg),
               rm_btn.click(remove, [rm_doc], d_msg)]
    return SimpleNamespace(table=d_table, remove_choice=rm_doc, admin_box=admin_box, not_admin=not_admin,
                           changes=changes)
