"""The HTTP side: `GET /healthz`, `POST /api/ask` and the Gradio UI mounted at `/`.

    from assistant.serve import create_app
    app = create_app(Assistant())          # a FastAPI app; serve with uvicorn

Request bodies are checked twice: `guard.RequestGuard` bounds size and depth before
any parsing, then the pydantic model `AskRequest` checks types. Every error is a
JSON `{"error": "..."}` with a 4xx status (503 while the index is unavailable).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import (AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr,
                      StringConstraints, field_validator)
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Mount

from assistant.core import Assistant, QuestionError
from assistant.serve.auth import api_user, check_password, request_user
from assistant.serve.guard import RequestGuard
from assistant.serve.render import CSS, EMPTY_INDEX, HEAD, public_text
from assistant.serve.state import WebState
from assistant.store import IndexError_

log = logging.getLogger(__name__)

MAX_HISTORY_TURNS = 200
_BASIC = HTTPBasic(realm="assistant", auto_error=False)  # module level: FastAPI resolves the annotation here


# ---------------------------------------------------------------------------- the request body

def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


Names = Annotated[list[StrictStr] | None, BeforeValidator(_as_list)]
IsoDate = Annotated[Annotated[StrictStr, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None,
                    BeforeValidator(_blank_is_none)]


class AskFilters(BaseModel):
    """Restrict the answer to documents, issuers, types and a date range."""

    model_config = ConfigDict(extra="forbid")
    doc: Names = Field(None, validation_alias=AliasChoices("doc", "doc_id"))
    issuer: Names = None
    doc_type: Names = None
    since: IsoDate = None
    until: IsoDate = None

    @field_validator("since", "until")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is not None:
            date.fromisoformat(value)  # 2024-02-30 is refused here
        return value

    def as_dict(self) -> dict | None:
        return {k: v for k, v in self.model_dump().items() if v} or None


class HistoryMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: StrictStr | None = None
    content: StrictStr | None = None


Turn = StrictStr | HistoryMessage | list[StrictStr | None]


class AskRequest(BaseModel):
    """`POST /api/ask`: the question, earlier turns for follow-ups, optional filters and an id to echo."""

    question: StrictStr
    history: list[Turn] | None = Field(None, max_length=MAX_HISTORY_TURNS)
    filters: AskFilters | None = None
    id: StrictStr | StrictInt | None = None

    def history_turns(self) -> list | None:
        if self.history is None:
            return None
        return [t.model_dump(exclude_unset=True) if isinstance(t, BaseModel) else t for t in self.history]


# What a validation error means, by the field it is in (pydantic's own words are kept for the rest).
_FIELD_HINTS = {
    "history": f"'history' must be a list (at most {MAX_HISTORY_TURNS}) of strings, {{role, content}} objects "
               "or [question, answer] pairs.",
    "filters": "'filters' must be an object such as {\"doc\": [\"doc-id\"], \"since\": \"2024-01-01\"} "
               "(keys: doc, issuer, doc_type, since, until; dates as YYYY-MM-DD).",
    "question": "'question' must be a string.",
}


def validation_message(exc: RequestValidationError) -> tuple[int, str]:
    """One line for the first problem in a request body, and its status (400: not a JSON object)."""
    err = exc.errors()[0]
    loc = [str(x) for x in err.get("loc", ()) if x != "body"]
    if err.get("type") == "json_invalid" or not loc:
        return 400, "The body must be a JSON object: {\"question\": \"...\"}."
    if err.get("type") == "missing" and len(loc) == 1:
        return 422, f"Missing field '{loc[0]}'."
    if err.get("type") == "extra_forbidden" and loc[0] == "filters":
        return 422, f"Unknown filter {loc[-1]!r} (use doc, issuer, doc_type, since, until)."
    return 422, _FIELD_HINTS.get(loc[0], f"'{'.'.join(loc)}': {err.get('msg', 'invalid value')}.")


# ---------------------------------------------------------------------------- the app

def json_error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": public_text(message)}, status_code=status, headers=headers)


def create_app(assistant: Assistant, state: WebState | None = None, mount_ui: bool = True) -> FastAPI:
    """The FastAPI app: `/healthz`, `POST /api/ask` and (unless mount_ui=False) the Gradio UI at `/`."""
    state = state or WebState(assistant)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            yield
        finally:
            state.close()

    app = FastAPI(title="Policy document assistant", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.web = state
    user = api_user(lambda: state.users)
    gradio_app = None

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return json_error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, exc: RequestValidationError):
        return json_error(*validation_message(exc))

    @app.get("/healthz")
    def healthz():
        if state.indexing:
            return {"status": "indexing", "documents": None, "chunks": None}
        try:
            n_docs, n_chunks = state.counts()
        except IndexError_ as exc:
            log.warning("health check: %s", exc)
            return json_error(503, f"index unavailable: {exc}")
        except Exception as exc:
            log.exception("health check failed")
            return json_error(503, f"index unavailable: {exc}")
        return {"status": "ok" if n_docs else "empty", "documents": n_docs, "chunks": n_chunks}

    @app.post("/api/ask", dependencies=[Depends(user)])
    async def api_ask(req: AskRequest):
        if state.indexing and not assistant.has_index():
            return json_error(503, "The index is being built; try again in a moment.")
        try:
            if not await run_in_threadpool(assistant.has_index):
                return json_error(503, EMPTY_INDEX)
            filters = req.filters.as_dict() if req.filters else None
            ans = await run_in_threadpool(assistant.ask, req.question, req.history_turns(), filters, req.id)
        except QuestionError as exc:
            return json_error(422, str(exc))
        except IndexError_ as exc:  # server down, read-only folder, other model: the message says what to do
            log.warning("index unavailable: %s", exc)
            return json_error(503, str(exc))
        except Exception:
            log.exception("ask failed")
            return json_error(500, "Internal error while answering; see the server log.")
        return ans.model_dump()

    @app.get("/exports/{token}/{name}")
    def export(token: str, name: str, request: Request,
               credentials: Annotated[HTTPBasicCredentials | None, Depends(_BASIC)]):
        who = request_user(request, credentials, state.users, gradio_app) if state.users else None
        if state.users and who is None:
            return json_error(401, "Log in first.", {"WWW-Authenticate": 'Basic realm="assistant"'})
        path = state.exports.find(token, name, who)
        if path is None:  # unknown, expired, or someone else's: the same answer for all three
            return json_error(404, "No such export: exports belong to the user who made them and "
                                   "last until the server stops.")
        return FileResponse(path, filename=path.name, media_type="application/octet-stream",
                            content_disposition_type="attachment")

    if mount_ui:
        import gradio as gr

        from assistant.serve.ui import build_ui

        blocks = build_ui(assistant, state)
        auth = (lambda u, p: check_password(state.users, u, p)) if state.users else None
        gr.mount_gradio_app(app, blocks, path="/", auth=auth, auth_message="Policy document assistant: please log in.",
                            max_file_size=int(state.settings.max_upload_mb * 1024 * 1024), css=CSS, head=HEAD,
                            footer_links=["api"], ssr_mode=False)
        gradio_app = next(r.app for r in app.routes if isinstance(r, Mount) and isinstance(r.app, gr.routes.App))
        state.upload_dir = Path(gradio_app.uploaded_file_dir)  # where its /gradio_api/upload route writes
    app.add_middleware(RequestGuard, upload_dir=lambda: state.upload_dir)
    return app
