"""The web app: a JSON API (`/healthz`, `POST /api/ask`) and the Gradio UI at `/`.

    from assistant.web import create_app
    app = create_app(Assistant())          # a FastAPI app; serve with uvicorn

Everything that comes from documents or users and ends up in HTML goes through
`esc` (html.escape); Markdown shown in the chat goes through `md_escape`, so a
document that contains `<script>` shows it as text.

Authentication is optional: `ASSISTANT_USERS="alice:pw:admin,bob:pw"` or
`ASSISTANT_AUTH_FILE=users.yaml` ({name: {password, role}}). With no users
configured there is no login and everyone may upload and remove documents.
With users, the UI asks for a login, `/api/ask` wants HTTP Basic credentials,
and uploading / removing / re-indexing / exporting feedback need role `admin`.
"""

# (no `from __future__ import annotations`: gradio reads gr.Request / gr.LikeData hints at runtime)

import base64
import binascii
import csv
import hmac
import html
import io
import json
import logging
import re
import shutil
import sqlite3
import tempfile
import threading
import time
import unicodedata
from calendar import monthrange
from datetime import date
from pathlib import Path
from typing import Any, Callable

from assistant.config import Settings
from assistant.core import Assistant, QuestionError
from assistant.models import Answer, Citation
from assistant.store import IndexError_

log = logging.getLogger(__name__)

EMPTY_INDEX = "No documents indexed yet: upload on the Documents tab or run `assistant ingest`."
# The chat's fixed texts, in the language of the question (Answer.language, or the
# typed question's script before there is an answer).
MESSAGES = {
    "en": {"not_in_docs": "Not in the documents.",
           "banner": "Not in the documents: the indexed documents do not answer this question.",
           "closest": "Closest passages", "closest_note": "Closest passages (not an answer)", "why": "Why",
           "sources": "Sources", "warnings": "Warnings", "searching": "Searching the documents…",
           "empty_index": EMPTY_INDEX, "failed": "Something went wrong while answering",
           "bad_question": "The question cannot be taken"},
    "zh": {"not_in_docs": "文件中没有答案。",
           "banner": "文件中没有答案：已索引的文件不能回答这个问题。",
           "closest": "最接近的段落", "closest_note": "最接近的段落（不是答案）", "why": "原因",
           "sources": "出处", "warnings": "警告", "searching": "正在检索文件…",
           "empty_index": "尚未索引任何文件：请在“Documents”页上传，或运行 `assistant ingest`。",
           "failed": "回答时出错", "bad_question": "无法处理这个问题"},
}


def msg(key: str, lang: str = "en") -> str:
    return MESSAGES.get(lang, MESSAGES["en"])[key]


def question_language(text: str) -> str:
    from assistant.answer.compose import text_language

    return text_language(text or "")
ALLOWED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
MAX_BODY_BYTES = 1_000_000
EXAMPLES = [
    "What share of the main tasks should be completed by the end of 2024?",
    "Which targets have a deadline in 2025?",
    "Who is responsible for monitoring progress?",
]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FULL_DOC_CHARS = 200_000  # longer documents show a window around the quote

CSS = """
.src-card{border:1px solid var(--border-color-primary);border-radius:8px;padding:10px 12px;margin:8px 0;
  background:var(--background-fill-secondary);overflow-wrap:anywhere}
.src-card .src-head{font-weight:600}
.src-card .src-meta{font-size:.9em;opacity:.8;margin-bottom:6px}
.src-card .src-para{white-space:pre-wrap;line-height:1.45}
.src-card mark{background:#fde68a;color:#111;padding:0 2px;border-radius:2px}
.src-card details{margin-top:6px}
.src-card .src-full{white-space:pre-wrap;max-height:420px;overflow:auto;border-top:1px dashed var(--border-color-primary);
  padding-top:6px;margin-top:6px;font-size:.92em}
.src-refusal{border-left:4px solid #d97706;padding:6px 10px;margin:6px 0;font-weight:600}
.src-warning{border-left:4px solid #dc2626;padding:6px 10px;margin:6px 0}
"""


# ---------------------------------------------------------------------------- escaping and rendering

def esc(value: Any) -> str:
    """Text from documents or users, made safe for HTML (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|~$])")


def md_escape(value: Any) -> str:
    """Text made safe for a Markdown component: HTML-escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", esc(value))


def _para_bounds(text: str, start: int, end: int, limit: int = 500) -> tuple[int, int]:
    """The paragraph around text[start:end] (blank line or line break), at most `limit` chars each side."""
    a = max(text.rfind("\n", 0, start) + 1, start - limit, 0)
    b = text.find("\n", end)
    b = len(text) if b < 0 else b
    b = min(b, end + limit)
    return a, b


def highlight(text: str, start: int, end: int, a: int = 0, b: int | None = None) -> str:
    """text[a:b] as escaped HTML with text[start:end] in <mark>."""
    b = len(text) if b is None else b
    start, end = max(start, a), min(end, b)
    if start >= end:
        return esc(text[a:b])
    return f"{esc(text[a:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:b])}"


def source_card(c: Citation, doc_text: str | None, label: str = "") -> str:
    """One source card: title, issuer, date, the quote highlighted in its paragraph, and the whole document."""
    source = re.split(r"[\\/]", c.source or "")[-1]  # the file name, not the server's path
    meta = " · ".join(esc(x) for x in (c.issuer, c.date, f"page {c.page}" if c.page else "", source) if x)
    text_ok = doc_text is not None and doc_text[c.start:c.end] == c.quote
    if text_ok:
        a, b = _para_bounds(doc_text, c.start, c.end)
        para = ("…" if a > 0 and doc_text[a - 1] != "\n" else "") + highlight(doc_text, c.start, c.end, a, b) + \
               ("…" if b < len(doc_text) and doc_text[b] != "\n" else "")
        if len(doc_text) <= _FULL_DOC_CHARS:
            full = highlight(doc_text, c.start, c.end)
            note = ""
        else:
            fa, fb = max(0, c.start - _FULL_DOC_CHARS // 2), min(len(doc_text), c.end + _FULL_DOC_CHARS // 2)
            full = highlight(doc_text, c.start, c.end, fa, fb)
            note = f" (characters {fa:,}–{fb:,} of {len(doc_text):,})"
        details = (f'<details><summary>Open the whole document{esc(note)}</summary>'
                   f'<div class="src-full">{full}</div></details>')
    else:
        para = f"<mark>{esc(c.quote)}</mark>"
        details = ""
    return (f'<div class="src-card" data-doc="{esc(c.doc_id)}" data-n="{c.n}">'
            f'<div class="src-head">{esc(label or f"[{c.n}]")} {esc(c.title or c.doc_id)}</div>'
            f'<div class="src-meta">{meta}</div>'
            f'<div class="src-para">{para}</div>{details}</div>')


def sources_html(ans: Answer, docs: dict) -> str:
    """The HTML under the chat: refusal banner, warnings, and one card per citation (or related passage)."""
    parts = []
    lang = ans.language
    if ans.refused:
        parts.append(f'<div class="src-refusal">{esc(msg("banner", lang))}'
                     + (f' {esc(msg("closest", lang))}:' if ans.related else "") + "</div>")
    for w in ans.warnings:
        if not w.startswith("refused:"):
            parts.append(f'<div class="src-warning">⚠️ {esc(w)}</div>')
    for c in (ans.related if ans.refused else ans.citations):
        d = docs.get(c.doc_id)
        parts.append(source_card(c, d.text if d is not None else None))
    return "\n".join(parts)


def _cite_line(c: Citation) -> str:
    bits = [b for b in (c.issuer, c.date, f"p. {c.page}" if c.page else "") if b]
    return f"[{c.n}] {c.title or c.doc_id}" + (f" ({', '.join(bits)})" if bits else "")


def answer_body(ans: Answer) -> str:
    """The answer's own text, without the refusal's appended passages."""
    return ans.answer.split("\n\n")[0] if ans.refused else ans.answer


def answer_markdown(ans: Answer, body: str | None = None, final: bool = True) -> str:
    """The chat message (escaped Markdown) for an answer; `body` lets the UI stream part of it."""
    body = answer_body(ans) if body is None else body
    lang = ans.language
    if ans.refused:
        out = f"**{msg('not_in_docs', lang)}** " + md_escape(body)
        if final:
            reason = next((w[len("refused:"):].strip() for w in ans.warnings if w.startswith("refused:")), "")
            if reason:
                out += f"\n\n_{msg('why', lang)}: {md_escape(reason)}_"
            if ans.related:
                out += f"\n\n{msg('closest_note', lang)}:\n" + "\n".join(
                    f"- {md_escape(_cite_line(c))}: “{md_escape(c.quote)}”" for c in ans.related)
        return out
    out = md_escape(body)
    if final:
        if ans.citations:
            out += f"\n\n**{msg('sources', lang)}**\n" + "\n".join(f"- {md_escape(_cite_line(c))}" for c in ans.citations)
        warns = [w for w in ans.warnings if not w.startswith("refused:")]
        if warns:
            out += "\n\n" + "\n".join(f"⚠️ {md_escape(w)}" for w in warns)
    return out


def answer_plain(ans: Answer) -> str:
    """Plain text for 'copy answer with citations'."""
    lang = ans.language
    if ans.refused:
        out = f"{msg('not_in_docs', lang)} " + answer_body(ans)
        cits, head = ans.related, msg("closest", lang)
    else:
        out, cits, head = ans.answer, ans.citations, msg("sources", lang)
    if cits:
        out += f"\n\n{head}:\n" + "\n".join(f"{_cite_line(c)}: \"{c.quote}\"" for c in cits)
    warns = [w for w in ans.warnings if not w.startswith("refused:")]
    if warns:
        out += f"\n\n{msg('warnings', lang)}:\n" + "\n".join(f"- {w}" for w in warns)
    return out


def stream_pieces(text: str) -> list[str]:
    """Split an answer into sentence-sized pieces (after a citation marker or sentence end)."""
    pieces = [p for p in re.split(r"(?<=\])\s+|(?<=[.!?。！？])\s+(?=[^\s\[])", text) if p]
    return pieces or [text]


# ---------------------------------------------------------------------------- uploads

def safe_filename(name: str, default: str = "upload") -> str:
    """Basename only, NFKC, safe characters (letters, digits, . _ -), no leading dots, at most 111 chars."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = unicodedata.normalize("NFKC", base)
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._- ")[:100] or default
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(path: str | Path, max_mb: float) -> str | None:
    """Why an uploaded file is refused (None if it is fine)."""
    p = Path(path)
    if p.suffix.lower() not in ALLOWED_SUFFIXES:
        return f"{p.name}: unsupported type (allowed: {', '.join(ALLOWED_SUFFIXES)})."
    size = p.stat().st_size
    if size > max_mb * 1024 * 1024:
        return f"{p.name}: {size / 1024 / 1024:.1f} MB is over the {max_mb:g} MB limit."
    if size == 0:
        return f"{p.name}: the file is empty."
    return None


# ---------------------------------------------------------------------------- auth

def auth_users(settings: Settings) -> dict[str, tuple[str, str]]:
    """{user: (password, role)} from ASSISTANT_USERS ("user:password[:admin],...") and/or ASSISTANT_AUTH_FILE."""
    users: dict[str, tuple[str, str]] = {}
    if settings.auth_file:
        raw = Path(settings.auth_file).read_text(encoding="utf-8")
        if Path(settings.auth_file).suffix.lower() in (".yaml", ".yml"):
            import yaml
            data = yaml.safe_load(raw) or {}
        else:
            data = json.loads(raw or "{}")
        if not isinstance(data, dict):
            raise ValueError(f"{settings.auth_file}: expected a mapping of user names to {{password, role}}.")
        for name, entry in data.items():
            if isinstance(entry, dict):
                pw, role = entry.get("password"), entry.get("role") or "user"
            else:
                pw, role = entry, "user"
            if not name or pw in (None, ""):
                raise ValueError(f"{settings.auth_file}: user {name!r} has no password.")
            users[str(name)] = (str(pw), "admin" if str(role).lower() == "admin" else "user")
    for item in (settings.users or "").split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split(":")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError("ASSISTANT_USERS entries look like user:password or user:password:admin.")
        role = "admin" if len(parts) > 2 and parts[-1].lower() == "admin" else "user"
        pw = ":".join(parts[1:-1]) if len(parts) > 2 and parts[-1].lower() in ("admin", "user") else ":".join(parts[1:])
        users[parts[0]] = (pw, role)
    return users


def check_password(users: dict[str, tuple[str, str]], username: str, password: str) -> bool:
    entry = users.get(username or "")
    ok = hmac.compare_digest((entry[0] if entry else "\0").encode(), (password or "").encode())
    return bool(entry) and ok


# ---------------------------------------------------------------------------- state

class WebState:
    """Shared by the API and the UI: users, feedback store, whether an ingestion is running."""

    def __init__(self, assistant: Assistant):
        from assistant.feedback import FeedbackStore

        self.assistant = assistant
        self.settings = assistant.settings
        self.users = auth_users(self.settings)
        try:
            self.feedback = FeedbackStore(self.settings.feedback_path)
        except (sqlite3.Error, OSError) as exc:  # read-only or full data folder: keep serving answers
            fallback = Path(tempfile.mkdtemp(prefix="assistant-feedback-")) / "feedback.sqlite3"
            log.warning("cannot open the feedback store %s (%s); feedback goes to %s for this run",
                        self.settings.feedback_path, exc, fallback)
            self.feedback = FeedbackStore(fallback)
        self._indexing = 0
        self._lock = threading.Lock()
        self.export_dir = Path(tempfile.mkdtemp(prefix="assistant-web-"))

    @property
    def indexing(self) -> bool:
        return self._indexing > 0

    def ingest(self, paths, **kw):
        with self._lock:
            self._indexing += 1
        try:
            return self.assistant.ingest(paths, **kw)
        finally:
            with self._lock:
                self._indexing -= 1

    def is_admin(self, username: str | None) -> bool:
        if not self.users:
            return True
        entry = self.users.get(username or "")
        return bool(entry and entry[1] == "admin")

    def counts(self) -> tuple[int, int]:
        a = self.assistant
        if not a.has_index():
            return 0, 0
        return len(a.documents()), a.store.count()

    def status_markdown(self) -> str:
        if self.indexing:
            return "**Indexing documents…** answers may not include the newest documents yet."
        try:
            n_docs, n_chunks = self.counts()
        except Exception as exc:  # the index is unreadable: say so instead of failing the page
            return f"⚠️ The index cannot be read: {md_escape(exc)}"
        if not n_docs:
            return EMPTY_INDEX
        return f"{n_docs} document{'s' if n_docs != 1 else ''} indexed ({n_chunks} passages)."

    def write_export(self, name: str, content: str) -> str:
        d = Path(tempfile.mkdtemp(dir=self.export_dir))
        p = d / safe_filename(name)
        p.write_text(content, encoding="utf-8")
        return str(p)


# ---------------------------------------------------------------------------- the JSON API

def _json_error(status: int, message: str):
    from fastapi.responses import JSONResponse
    return JSONResponse({"error": message}, status_code=status)


def _basic_user(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, pw = raw.partition(":")
    return (user, pw) if sep else None


def _validate_filters(value: Any) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("'filters' must be an object such as {\"doc\": [\"doc-id\"], \"since\": \"2024-01-01\"}.")
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key in ("doc", "doc_id", "issuer", "doc_type"):
            if v is None:
                continue
            items = v if isinstance(v, list) else [v]
            if not all(isinstance(x, str) for x in items):
                raise ValueError(f"'filters.{key}' must be a string or a list of strings.")
            out["doc" if key == "doc_id" else key] = items
        elif key in ("since", "until"):
            if v in (None, ""):
                continue
            if not isinstance(v, str) or not _DATE.match(v):
                raise ValueError(f"'filters.{key}' must be a date written YYYY-MM-DD.")
            try:
                date.fromisoformat(v)
            except ValueError:
                raise ValueError(f"'filters.{key}' is not a valid date.") from None
            out[key] = v
        else:
            raise ValueError(f"Unknown filter {key!r} (use doc, issuer, doc_type, since, until).")
    return out or None


def _validate_history(value: Any) -> list | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 200:
        raise ValueError("'history' must be a list of previous turns.")
    for turn in value:
        if isinstance(turn, str):
            continue
        if isinstance(turn, dict) and isinstance(turn.get("content", ""), (str, type(None))) \
                and isinstance(turn.get("role", ""), (str, type(None))):
            continue
        if isinstance(turn, list) and all(isinstance(x, (str, type(None))) for x in turn):
            continue
        raise ValueError("'history' items must be strings, {role, content} objects or [question, answer] pairs.")
    return value


def create_app(assistant: Assistant, state: WebState | None = None, mount_ui: bool = True):
    """The FastAPI app: `/healthz`, `POST /api/ask` and (unless mount_ui=False) the Gradio UI at `/`."""
    from fastapi import FastAPI, Request
    from starlette.concurrency import run_in_threadpool

    state = state or WebState(assistant)
    app = FastAPI(title="Policy document assistant", docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.state.web = state

    @app.get("/healthz")
    def healthz():
        if state.indexing:
            return {"status": "indexing", "documents": None, "chunks": None}
        try:
            n_docs, n_chunks = state.counts()
        except IndexError_ as exc:
            log.warning("health check: %s", exc)
            return _json_error(503, f"index unavailable: {exc}")
        except Exception as exc:
            log.exception("health check failed")
            return _json_error(503, f"index unavailable: {exc}")
        return {"status": "ok" if n_docs else "empty", "documents": n_docs, "chunks": n_chunks}

    @app.post("/api/ask")
    async def api_ask(request: Request):
        if state.users:
            cred = _basic_user(request.headers.get("authorization"))
            if not cred or not check_password(state.users, *cred):
                resp = _json_error(401, "Authentication required (HTTP Basic).")
                resp.headers["WWW-Authenticate"] = 'Basic realm="assistant"'
                return resp
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return _json_error(413, f"Request body over {MAX_BODY_BYTES:,} bytes.")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _json_error(413, f"Request body over {MAX_BODY_BYTES:,} bytes.")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _json_error(400, "The body must be JSON: {\"question\": \"...\"}.")
        if not isinstance(payload, dict):
            return _json_error(400, "The body must be a JSON object: {\"question\": \"...\"}.")
        if "question" not in payload:
            return _json_error(422, "Missing field 'question'.")
        question = payload["question"]
        if not isinstance(question, str):
            return _json_error(422, "'question' must be a string.")
        try:
            history = _validate_history(payload.get("history"))
            filters = _validate_filters(payload.get("filters"))
        except ValueError as exc:
            return _json_error(422, str(exc))
        if state.indexing and not assistant.has_index():
            return _json_error(503, "The index is being built; try again in a moment.")
        try:
            if not await run_in_threadpool(assistant.has_index):
                return _json_error(503, EMPTY_INDEX)
            ans = await run_in_threadpool(assistant.ask, question, history, filters)
        except QuestionError as exc:
            return _json_error(422, str(exc))
        except IndexError_ as exc:  # server down, read-only folder, other model: the message says what to do
            log.warning("index unavailable: %s", exc)
            return _json_error(503, str(exc))
        except Exception:
            log.exception("ask failed")
            return _json_error(500, "Internal error while answering; see the server log.")
        return ans.model_dump()

    if mount_ui:
        import gradio as gr

        blocks = build_ui(assistant, state)
        auth = (lambda u, p: check_password(state.users, u, p)) if state.users else None
        gr.mount_gradio_app(app, blocks, path="/", auth=auth, auth_message="Policy document assistant: please log in.",
                            max_file_size=int(state.settings.max_upload_mb * 1024 * 1024), css=CSS,
                            allowed_paths=[str(state.export_dir)], footer_links=["api"], ssr_mode=False)
    return app


# ---------------------------------------------------------------------------- targets helpers

def _period_end(norm: str | None) -> date | None:
    try:
        from assistant.targets import period_end
        return period_end(norm)
    except ImportError:
        pass
    if not norm:
        return None
    if m := re.fullmatch(r"(\d{4})", norm):
        return date(int(m[1]), 12, 31)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", norm):
        y, mo = int(m[1]), int(m[2]) * 3
        return date(y, mo, monthrange(y, mo)[1])
    if m := re.fullmatch(r"(\d{4})-(\d{2})", norm):
        y, mo = int(m[1]), int(m[2])
        return date(y, mo, monthrange(y, mo)[1])
    try:
        return date.fromisoformat(norm)
    except ValueError:
        return None


def filter_target_rows(rows: list[dict], issuer: list[str] | None = None, due_before: str | None = None,
                       doc: list[str] | None = None, search: str | None = None) -> list[dict]:
    """The Targets tab's filters: issuers, documents, deadline on or before a date, words in the statement."""
    before = None
    if due_before and due_before.strip():
        before = _period_end(due_before.strip())
        if before is None:
            raise ValueError("Due before: write a date as YYYY-MM-DD (or YYYY, YYYY-Qn, YYYY-MM).")
    issuers = {i.lower() for i in issuer or []}
    words = [w for w in re.split(r"\s+", (search or "").lower()) if w]
    out = []
    for r in rows:
        if issuers and str(r.get("issuer", "")).lower() not in issuers:
            continue
        if doc and r.get("doc_id") not in doc:
            continue
        if before is not None:
            end = _period_end(r.get("deadline_norm"))
            if end is None or end > before:
                continue
        hay = " ".join(str(r.get(k, "")) for k in ("statement", "metric", "value", "deadline", "title")).lower()
        if words and not all(w in hay for w in words):
            continue
        out.append(r)
    return sorted(out, key=lambda r: (_period_end(r.get("deadline_norm")) or date.max, r.get("title", ""), r.get("start", 0)))


TARGET_COLUMNS = ["Due", "Kind", "Statement", "Metric", "Comparator", "Value", "Deadline as written", "Document",
                  "Issuer", "Span", "Doc ID"]


def target_table(rows: list[dict]) -> list[list]:
    return [[r.get("deadline_norm") or "", r.get("kind", ""), r.get("statement", ""), r.get("metric", ""),
             r.get("comparator", ""), r.get("value", ""), r.get("deadline", ""), r.get("title") or r.get("doc_id", ""),
             r.get("issuer", ""), f"{r.get('start', '')}–{r.get('end', '')}", r.get("doc_id", "")] for r in rows]


def _as_models(rows: list[dict]) -> list | None:
    """The ledger rows as assistant.targets.Target models (what its helpers take); None without that module."""
    try:
        from assistant.targets import Target
    except ImportError:
        return None
    out = []
    for r in rows:
        try:
            out.append(r if isinstance(r, Target) else Target.model_validate(r))
        except Exception:
            log.warning("skipping a malformed ledger row: %r", r)
    return out


def targets_csv(rows: list[dict]) -> str:
    models = _as_models(rows)
    if models is not None:
        try:
            from assistant.targets import targets_to_csv
            return targets_to_csv(models)
        except ImportError:
            pass
    cols = ["statement", "metric", "comparator", "value", "deadline", "deadline_norm", "kind", "doc_id", "title",
            "issuer", "start", "end"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def timeline(rows: list[dict]):
    models = _as_models(rows)
    if models is not None:
        try:
            from assistant.timeline import timeline_figure
        except ImportError:
            pass
        else:
            fig = timeline_figure(models)
            fig.update_layout(autosize=True, width=None, margin=dict(l=10, r=10, t=50, b=10))
            return fig
    import plotly.graph_objects as go

    dated = [(r, _period_end(r.get("deadline_norm"))) for r in rows]
    dated = [(r, d) for r, d in dated if d]
    fig = go.Figure()
    if dated:
        fig.add_trace(go.Scatter(
            x=[d.isoformat() for _, d in dated], y=[r.get("title") or r.get("doc_id") for r, _ in dated], mode="markers",
            marker=dict(size=12), hovertext=[esc(r.get("statement", ""))[:200] for r, _ in dated], hoverinfo="text+x"))
    fig.update_layout(title="Deadlines", height=320, margin=dict(l=10, r=10, t=40, b=10), autosize=True)
    return fig


def _parse_date(value: str, label: str) -> date:
    if not _DATE.match(value):
        raise ValueError(f"{label}: write the date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{label}: {value} is not a valid date.") from None


# ---------------------------------------------------------------------------- the UI

def _doc_choices(docs: dict) -> list[tuple[str, str]]:
    return sorted(((f"{d.title} ({doc_id})", doc_id) for doc_id, d in docs.items()), key=lambda x: x[0].lower())


def _issuer_choices(docs: dict) -> list[str]:
    return sorted({d.metadata.get("issuer") for d in docs.values() if d.metadata.get("issuer")}, key=str.lower)


DOC_COLUMNS = ["Title", "Issuer", "Date", "Type", "Chunks", "Source", "Doc ID"]


def build_ui(assistant: Assistant, state: WebState | None = None):
    """The Gradio Blocks: Ask, Targets & deadlines, Documents, Training."""
    import gradio as gr

    state = state or WebState(assistant)
    settings = state.settings
    uploads_dir = Path(settings.data_dir) / "uploads"

    def docs_or_empty() -> dict:
        try:
            return assistant.documents() if assistant.has_index() else {}
        except Exception:
            log.exception("cannot list documents")
            return {}

    def user_of(request: gr.Request | None) -> str | None:
        return getattr(request, "username", None) if request is not None else None

    # -- Ask --------------------------------------------------------------
    def filters_from(docs_sel, issuers_sel, since, until) -> dict | None:
        f: dict[str, Any] = {}
        if docs_sel:
            f["doc"] = list(docs_sel)
        if issuers_sel:
            f["issuer"] = list(issuers_sel)
        if since and since.strip():
            f["since"] = _parse_date(since.strip(), "Since").isoformat()
        if until and until.strip():
            f["until"] = _parse_date(until.strip(), "Until").isoformat()
        return f or None

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
            yield ("", *say(f"⚠️ {md_escape(exc)}"))
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
        except Exception as exc:
            log.exception("ask failed")
            yield ("", *say(f"⚠️ {msg('failed', lang)}: {md_escape(exc)}"))
            return
        pieces = stream_pieces(answer_body(ans)) if assistant.settings.llm == "none" else []  # LLM text already streamed
        for i in range(1, len(pieces)):
            yield ("", *say(answer_markdown(ans, " ".join(pieces[:i]), final=False) + " ▍"))
            time.sleep(0.04)
        docs = docs_or_empty()
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

    def export_feedback(request: gr.Request):
        if not state.is_admin(user_of(request)):
            raise gr.Error("Only administrators can export feedback.")
        return gr.update(value=state.write_export("feedback.csv", state.feedback.export_csv()), visible=True)

    # -- Targets -----------------------------------------------------------
    def targets_view(issuers_sel, due_before, docs_sel, search):
        try:
            rows = assistant.targets() if assistant.has_index() else []
        except Exception as exc:
            log.exception("targets failed")
            return (timeline([]), gr.update(value=[], headers=TARGET_COLUMNS), None,
                    f"⚠️ The targets ledger is not available: {md_escape(exc)}")
        try:
            rows = filter_target_rows(rows, issuers_sel, due_before, docs_sel, search)
        except ValueError as exc:
            return gr.update(), gr.update(), gr.update(), f"⚠️ {md_escape(exc)}"
        path = state.write_export("targets.csv", targets_csv(rows))
        note = f"{len(rows)} row{'s' if len(rows) != 1 else ''}."
        return timeline(rows), target_table(rows), path, note

    # -- Documents ---------------------------------------------------------
    def doc_table(docs: dict) -> list[list]:
        rows = []
        for doc_id, d in docs.items():
            m = d.metadata
            rows.append([d.title, m.get("issuer", ""), m.get("date", "") or "", m.get("doc_type", "") or "",
                         m.get("chunks", ""), m.get("source") or Path(str(m.get("path", ""))).name, doc_id])
        return sorted(rows, key=lambda r: str(r[0]).lower())

    def refresh(request: gr.Request):
        docs = docs_or_empty()
        choices = _doc_choices(docs)
        admin = state.is_admin(user_of(request))
        who = user_of(request)
        whoami = (f"Signed in as **{md_escape(who)}** ({'admin' if admin else 'reader'})." if who else "")
        return (state.status_markdown() + (" " + whoami if whoami else ""),
                gr.update(choices=choices), gr.update(choices=_issuer_choices(docs)),
                gr.update(choices=_issuer_choices(docs)), gr.update(choices=choices),
                doc_table(docs), gr.update(choices=choices), gr.update(choices=choices),
                gr.update(visible=admin), gr.update(visible=not admin))

    def report_md(report, prefix: str = "") -> str:
        lines = [f"{prefix}✅ added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                 f"removed {report.removed}; {report.chunks_written} passages written in {report.seconds:.1f} s."]
        for w in report.warnings[:20]:
            lines.append(f"- ⚠️ {md_escape(Path(w.file).name)}: {md_escape(w.message)}")
        return "\n".join(lines)

    def upload(files, request: gr.Request, progress=gr.Progress()):
        if not state.is_admin(user_of(request)):
            return "⛔ Only administrators can upload documents.", None
        files = [f for f in (files or []) if f]
        if not files:
            return "Choose one or more files first.", None
        uploads_dir.mkdir(parents=True, exist_ok=True)
        saved, problems = [], []
        for f in files:
            src = Path(f if isinstance(f, (str, Path)) else getattr(f, "name", ""))
            name = safe_filename(getattr(f, "orig_name", None) or src.name)
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
            report = state.ingest([str(p) for p in saved], prune=False,
                                  on_progress=lambda done, total, stage: progress((done, max(total, 1)), desc=str(stage)))
            msg = report_md(report, f"Uploaded {', '.join(md_escape(p.name) for p in saved)}. ") + ("\n" + msg if msg else "")
        return msg, None

    def reindex(request: gr.Request, progress=gr.Progress()):
        if not state.is_admin(user_of(request)):
            return "⛔ Only administrators can re-index."
        roots = [str(p) for p in (Path(settings.corpus_dir), uploads_dir) if p.exists()]
        extra = []
        for d in docs_or_empty().values():
            p = Path(str(d.metadata.get("path", "")))
            if p.is_file() and not any(str(p.resolve()).startswith(str(Path(r).resolve()) + "/") for r in roots):
                extra.append(str(p))
        if not roots and not extra:
            return f"Nothing to index: {md_escape(settings.corpus_dir)} does not exist and nothing was uploaded."
        progress(0, desc="Indexing")
        report = state.ingest(roots + extra, prune=True,
                              on_progress=lambda done, total, stage: progress((done, max(total, 1)), desc=str(stage)))
        return report_md(report)

    def remove(doc_id, request: gr.Request):
        if not state.is_admin(user_of(request)):
            return "⛔ Only administrators can remove documents."
        if not doc_id:
            return "Choose a document to remove."
        docs = docs_or_empty()
        d = docs.get(doc_id)
        if d is None:
            return f"No document with id {md_escape(doc_id)}."
        n = assistant.remove_document(doc_id)
        p = Path(str(d.metadata.get("path", "")))
        try:  # an uploaded copy would come back on the next re-index
            if p.is_file() and p.resolve().parent == uploads_dir.resolve():
                p.unlink()
        except OSError:
            pass
        return f"Removed {md_escape(d.title)} ({n} passages)."

    # -- Training ----------------------------------------------------------
    def training(doc_id, n, seed):
        try:
            from assistant import training as tr
        except ImportError:
            return "The training module is not installed yet.", "", None
        docs = docs_or_empty()
        chosen = [docs[doc_id]] if doc_id in docs else list(docs.values())
        if not chosen:
            return f"ℹ️ {md_escape(EMPTY_INDEX)}", "", None
        payload = [{"doc_id": d.doc_id, "text": d.text, "metadata": d.metadata, "targets": d.targets} for d in chosen]
        brief = tr.brief_markdown(payload)
        quiz = tr.quiz_markdown(tr.build_quiz(payload, int(n), int(seed or 0)))
        path = state.write_export(f"training-{chosen[0].doc_id if len(chosen) == 1 else 'all'}.md",
                                  f"{brief}\n\n{quiz}\n")
        return _safe_md(brief), _safe_md(quiz), path

    # -- layout ------------------------------------------------------------
    with gr.Blocks(title="Policy document assistant", fill_width=True) as blocks:
        gr.Markdown("## Policy document assistant\nAnswers quote the indexed documents; every sentence is cited.")
        status = gr.Markdown(state.status_markdown(), elem_id="index-status")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
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

            with gr.Tab("Targets & deadlines", id="targets"):
                plot = gr.Plot(label="Timeline", elem_id="timeline")
                with gr.Row():
                    t_issuers = gr.Dropdown([], multiselect=True, label="Issuer", min_width=160)
                    t_before = gr.Textbox(label="Due before (YYYY-MM-DD or YYYY)", min_width=140, max_length=10,
                                          elem_id="due-before")
                    t_docs = gr.Dropdown([], multiselect=True, label="Document", min_width=160)
                    t_search = gr.Textbox(label="Search", min_width=140, elem_id="targets-search")
                with gr.Row():
                    t_apply = gr.Button("Apply filters", variant="primary", elem_id="targets-apply")
                    t_csv = gr.DownloadButton("Download CSV", elem_id="targets-csv")
                t_note = gr.Markdown(elem_id="targets-note")
                t_table = gr.Dataframe(headers=TARGET_COLUMNS, interactive=False, wrap=True, elem_id="targets-table",
                                       max_height=600)

            with gr.Tab("Documents", id="documents"):
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
                    fb_file = gr.File(label="Feedback export", visible=False, interactive=False, elem_id="feedback-file")
                not_admin = gr.Markdown("Only administrators can add or remove documents.", visible=False)
                d_msg = gr.Markdown(elem_id="docs-message")

            with gr.Tab("Training", id="training"):
                with gr.Row():
                    tr_doc = gr.Dropdown([], label="Document", min_width=200)
                    tr_n = gr.Slider(1, 15, value=5, step=1, label="Quiz questions", min_width=160)
                    tr_seed = gr.Number(value=0, precision=0, label="Seed", min_width=100)
                tr_btn = gr.Button("Generate", variant="primary", elem_id="training-btn")
                tr_file = gr.DownloadButton("Download as Markdown")
                with gr.Row():
                    with gr.Column(min_width=280):
                        gr.Markdown("### Key points")
                        tr_brief = gr.Markdown(elem_id="training-brief")
                    with gr.Column(min_width=280):
                        gr.Markdown("### Quiz")
                        tr_quiz = gr.Markdown(elem_id="training-quiz")

        # -- wiring --------------------------------------------------------
        refresh_outputs = [status, f_docs, f_issuers, t_issuers, t_docs, d_table, rm_doc, tr_doc, admin_box, not_admin]
        targets_inputs = [t_issuers, t_before, t_docs, t_search]
        targets_outputs = [plot, t_table, t_csv, t_note]

        ask_inputs = [question, chatbot, records, f_docs, f_issuers, f_since, f_until]
        ask_outputs = [question, chatbot, records, sources, plain]
        ask_btn.click(respond, ask_inputs, ask_outputs)
        question.submit(respond, ask_inputs, ask_outputs)
        clear.click(lambda: ([], {}, "", ""), None, [chatbot, records, sources, plain])
        chatbot.like(on_like, [records, comment], [comment])
        fb_btn.click(send_feedback, [records, rating, comment], [comment])
        fb_export.click(export_feedback, None, fb_file)

        t_apply.click(targets_view, targets_inputs, targets_outputs)
        t_search.submit(targets_view, targets_inputs, targets_outputs)
        t_before.submit(targets_view, targets_inputs, targets_outputs)

        after = dict(fn=refresh, inputs=None, outputs=refresh_outputs)
        up_btn.click(upload, [files], [d_msg, files]).then(**after).then(targets_view, targets_inputs, targets_outputs)
        re_btn.click(reindex, None, d_msg).then(**after).then(targets_view, targets_inputs, targets_outputs)
        rm_btn.click(remove, [rm_doc], d_msg).then(**after).then(targets_view, targets_inputs, targets_outputs)
        tr_btn.click(training, [tr_doc, tr_n, tr_seed], [tr_brief, tr_quiz, tr_file])

        blocks.load(**after).then(targets_view, targets_inputs, targets_outputs)

    blocks.queue(default_concurrency_limit=settings.concurrency)
    return blocks


def _safe_md(text: str) -> str:
    """Markdown from our own modules, with any raw HTML from documents neutralised
    (`<` and an already backslashed `\\<` both become the `&lt;` entity)."""
    return re.sub(r"\\?<", "&lt;", text or "")
