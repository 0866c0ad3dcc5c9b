"""The HTTP side: `GET /healthz`, `POST /api/ask` and the Gradio UI mounted at `/`.

    from assistant.serve import create_app
    app = create_app(Assistant())          # a FastAPI app; serve with uvicorn
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from assistant.core import Assistant, QuestionError
from assistant.serve.auth import basic_user, check_password
from assistant.serve.render import CSS, EMPTY_INDEX
from assistant.serve.state import WebState
from assistant.store import IndexError_

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _json_error(status: int, message: str):
    return JSONResponse({"error": message}, status_code=status)


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
            cred = basic_user(request.headers.get("authorization"))
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

        from assistant.serve.ui import build_ui

        blocks = build_ui(assistant, state)
        auth = (lambda u, p: check_password(state.users, u, p)) if state.users else None
        gr.mount_gradio_app(app, blocks, path="/", auth=auth, auth_message="Policy document assistant: please log in.",
                            max_file_size=int(state.settings.max_upload_mb * 1024 * 1024), css=CSS,
                            allowed_paths=[str(state.export_dir)], footer_links=["api"], ssr_mode=False)
    return app
