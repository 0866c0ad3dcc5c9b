"""The Documents tab: the index's documents; for administrators upload, re-index, remove, export feedback.

Upload results are reported file by file: a file that was refused or could not be read
says why, with a red mark, and is not kept. Remove and Re-index ask first.
"""

# (no `from __future__ import annotations`: gradio reads gr.Request hints at runtime)

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from assistant.answer.compose import source_of
from assistant.models import IngestReport
from assistant.serve.render import download_link, esc, note_html, public_text, table_html
from assistant.serve.state import WebState
from assistant.serve.ui.common import docs_or_empty, user_of
from assistant.serve.uploads import ALLOWED_SUFFIXES, check_upload, from_upload_folder, safe_filename
from assistant.store import IndexError_

log = logging.getLogger(__name__)

DOC_COLUMNS = ["Title", "Issuer", "Date", "Type", "Passages", "File", "Doc ID"]
_DOC_CLASSES = {"Title": "c-wide", "Date": "c-nowrap", "Passages": "c-nowrap", "Doc ID": "c-muted"}


def doc_rows(docs: dict) -> list[list]:
    rows = []
    for doc_id, d in docs.items():
        m = d.metadata
        rows.append([d.title, m.get("issuer", ""), m.get("date", "") or "", m.get("doc_type", "") or "",
                     m.get("chunks", ""), source_of(m), doc_id])
    return sorted(rows, key=lambda r: str(r[0]).lower())


def doc_table(docs: dict) -> str:
    rows = doc_rows(docs)
    return table_html(DOC_COLUMNS, rows, "docs", _DOC_CLASSES,
                      [{"data-doc": r[6], "data-file": r[5]} for r in rows], empty="No documents indexed yet.")


def _result(kind: str, name: str, text: str) -> str:
    icon = {"ok": "✅", "bad": "❌", "warn": "⚠️"}[kind]
    return f'<li class="msg-{kind}">{icon} <strong>{esc(name)}</strong>: {esc(text)}</li>'


def report_html(report, files: list[Path] | None = None, refused: list[tuple[str, str]] = ()) -> str:
    """What happened to each file (refused, skipped, indexed, with warnings) and the totals."""
    items = [_result("bad", name, why) for name, why in refused]
    skipped = {Path(w.file).name: w.message for w in report.warnings if w.kind == "skipped"}
    notes: dict[str, list[str]] = {}
    for w in report.warnings:
        if w.kind != "skipped":
            notes.setdefault(Path(w.file).name, []).append(public_text(w.message))
    names = [p.name for p in files] if files is not None else list(dict.fromkeys([*skipped, *notes]))
    for name in names:
        if name in skipped:
            items.append(_result("bad", name, public_text(skipped[name]).removeprefix("skipped: ") + " Not indexed."))
        elif name in notes:
            items.append(_result("warn", name, "indexed, but " + "; ".join(notes[name][:5])))
        elif files is not None:
            items.append(_result("ok", name, "indexed."))
    failed = len(refused) + len(skipped)
    kind = "bad" if failed and not (report.added or report.updated or report.unchanged) else "warn" if failed else "ok"
    summary = (f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, removed {report.removed}; "
               f"{report.chunks_written} passages written in {report.seconds:.1f} s"
               + (f"; {failed} file{'s' if failed != 1 else ''} not indexed." if failed else "."))
    listed = f'<ul class="file-results">{"".join(items)}</ul>' if items else ""
    return listed + note_html(summary, kind)


def build(state: WebState) -> SimpleNamespace:
    """Lay out the tab inside the current gr.Tab and wire its events; `changes` are the events
    after which the rest of the page must be refreshed."""
    assistant, settings = state.assistant, state.settings
    uploads_dir = Path(settings.data_dir) / "uploads"

    def progress_cb(progress):
        return lambda done, total, stage: progress((done, max(total, 1)), desc=str(stage))

    def upload(files, request: gr.Request, progress=gr.Progress()):
        if not state.is_admin(user_of(request)):
            return note_html("Only administrators can upload documents.", "bad"), None
        files = [f for f in (files or []) if f]
        if not files:
            return note_html("Choose one or more files first.", "info"), None
        uploads_dir.mkdir(parents=True, exist_ok=True)
        saved, refused = [], []
        for f in files:
            given = f if isinstance(f, (str, Path)) else getattr(f, "name", "")
            name = safe_filename(getattr(f, "orig_name", None) or Path(given).name)
            src = from_upload_folder(given, state.upload_dir) if state.upload_dir else None
            if src is None or not src.is_file():  # checked before anything is read or copied
                refused.append((name, "not an uploaded file; upload it through this page."))
                continue
            why = check_upload(src, settings.max_upload_mb) or (
                None if Path(name).suffix.lower() in ALLOWED_SUFFIXES else f"{name}: unsupported type.")
            if why:
                refused.append((name, why.removeprefix(f"{src.name}: ").removeprefix(f"{name}: ")))
                continue
            dest = uploads_dir / name
            shutil.copyfile(src, dest)
            saved.append(dest)
        if not saved:
            return report_html(IngestReport(), [], refused), None
        progress(0, desc="Indexing")
        try:
            report = state.ingest([str(p) for p in saved], prune=False, on_progress=progress_cb(progress))
        except IndexError_ as exc:
            log.warning("upload: %s", exc)
            kept = ", ".join(p.name for p in saved)
            return (note_html(f"{public_text(exc)} Kept {kept}: they are indexed by the next upload or re-index.",
                              "bad"), None)
        for w in report.warnings:  # a file that could not be read is not kept: re-index would only skip it again
            p = Path(w.file)
            if w.kind == "skipped" and p.parent.resolve() == uploads_dir.resolve() and p.is_file():
                p.unlink()
        return report_html(report, saved, refused), None

    def reindex(request: gr.Request, progress=gr.Progress()):
        if not state.is_admin(user_of(request)):
            return note_html("Only administrators can re-index.", "bad"), gr.update(visible=False)
        roots = [str(p) for p in (Path(settings.corpus_dir), uploads_dir) if p.exists()]
        extra = []
        for d in docs_or_empty(assistant).values():
            p = Path(str(d.metadata.get("path", "")))
            if p.is_file() and not any(str(p.resolve()).startswith(str(Path(r).resolve()) + "/") for r in roots):
                extra.append(str(p))
        if not roots and not extra:
            return (note_html(f"Nothing to index: {public_text(Path(settings.corpus_dir).resolve())} does not exist "
                              "and nothing was uploaded.", "info"), gr.update(visible=False))
        progress(0, desc="Indexing")
        try:
            return report_html(state.ingest(roots + extra, prune=True, on_progress=progress_cb(progress))), \
                gr.update(visible=False)
        except IndexError_ as exc:
            log.warning("re-index: %s", exc)
            return note_html(public_text(exc), "bad"), gr.update(visible=False)

    def ask_remove(doc_id):
        """The confirmation for Remove: which document, how many passages."""
        d = docs_or_empty(assistant).get(doc_id or "")
        if d is None:
            return note_html("Choose a document to remove.", "info"), gr.update(visible=False), ""
        n = d.metadata.get("chunks", "")
        text = (f"Remove “{d.title}” ({n} passages) from the index? Answers will no longer quote it"
                + ("; its uploaded copy is deleted too." if _uploaded(d) else "."))
        return "", gr.update(visible=True), note_html(text, "warn")

    def _uploaded(d) -> bool:
        p = Path(str(d.metadata.get("path", "")))
        try:
            return p.is_file() and p.resolve().parent == uploads_dir.resolve()
        except OSError:
            return False

    def remove(doc_id, request: gr.Request):
        hide = gr.update(visible=False)
        if not state.is_admin(user_of(request)):
            return note_html("Only administrators can remove documents.", "bad"), hide
        if not doc_id:
            return note_html("Choose a document to remove.", "info"), hide
        d = docs_or_empty(assistant).get(doc_id)
        if d is None:
            return note_html(f"No document with id {doc_id}.", "bad"), hide
        try:
            n = assistant.remove_document(doc_id)
        except IndexError_ as exc:
            log.warning("remove: %s", exc)
            return note_html(f"{public_text(exc)} Removing {d.title} did not finish: remove it again.", "bad"), hide
        try:  # an uploaded copy would come back on the next re-index
            if _uploaded(d):
                Path(str(d.metadata["path"])).unlink()
        except OSError:
            pass
        return note_html(f"Removed {d.title} ({n} passages).", "ok"), hide

    def export_feedback(request: gr.Request):
        if not state.is_admin(user_of(request)):
            raise gr.Error("Only administrators can export feedback.")
        url = state.exports.add(user_of(request), "feedback.csv", state.feedback.export_csv())
        return gr.update(value=download_link(url, "feedback.csv"), visible=True)

    d_table = gr.HTML(elem_id="docs-table")
    with gr.Column(visible=True) as admin_box:
        gr.Markdown(f"### Add documents\nAllowed: {', '.join(ALLOWED_SUFFIXES)}; at most "
                    f"{settings.max_upload_mb:g} MB per file.")
        files = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES), label="Files", height=140,
                        elem_id="upload-files")
        up_btn = gr.Button("Upload and index", variant="primary", elem_id="upload-btn")
        gr.Markdown("### Remove or re-index")
        with gr.Row(equal_height=True):
            rm_doc = gr.Dropdown([], label="Document to remove", scale=3, min_width=200, elem_id="remove-choice")
            rm_btn = gr.Button("Remove…", variant="stop", scale=0, min_width=160, elem_id="remove-btn")
        with gr.Group(visible=False, elem_id="remove-confirm") as rm_box:
            rm_text = gr.HTML()
            with gr.Row():
                rm_yes = gr.Button("Yes, remove it", variant="stop", elem_id="remove-yes")
                rm_no = gr.Button("Cancel", elem_id="remove-no")
        with gr.Row():
            re_btn = gr.Button("Re-index everything…", size="sm", scale=0, min_width=240, elem_id="reindex-btn")
            fb_export = gr.Button("Export feedback (CSV)", size="sm", scale=0, min_width=240, elem_id="feedback-export")
            fb_file = gr.HTML(visible=False, elem_id="feedback-file")
        with gr.Group(visible=False, elem_id="reindex-confirm") as re_box:
            gr.HTML(note_html("Re-index everything? Every file of the corpus folder and the uploads is read again "
                              "(this takes a while); documents whose file is gone are removed from the index.", "warn"))
            with gr.Row():
                re_yes = gr.Button("Yes, re-index", variant="primary", elem_id="reindex-yes")
                re_no = gr.Button("Cancel", elem_id="reindex-no")
    not_admin = gr.Markdown("Only administrators can add or remove documents.", visible=False)
    d_msg = gr.HTML(elem_id="docs-message")

    fb_export.click(export_feedback, None, fb_file)
    rm_btn.click(ask_remove, [rm_doc], [d_msg, rm_box, rm_text], api_name=False)
    rm_no.click(lambda: gr.update(visible=False), None, rm_box, api_name=False)
    re_btn.click(lambda: ("", gr.update(visible=True)), None, [d_msg, re_box], api_name=False)
    re_no.click(lambda: gr.update(visible=False), None, re_box, api_name=False)
    changes = [up_btn.click(upload, [files], [d_msg, files]), re_yes.click(reindex, None, [d_msg, re_box]),
               rm_yes.click(remove, [rm_doc], [d_msg, rm_box])]
    return SimpleNamespace(table=d_table, remove_choice=rm_doc, admin_box=admin_box, not_admin=not_admin,
                           changes=changes)

