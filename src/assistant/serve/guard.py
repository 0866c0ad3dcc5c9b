"""Request bodies bounded before any route reads them: size, JSON depth, and where files come from.

One pure ASGI middleware in front of the JSON API and the Gradio app. For every
POST/PUT/PATCH body that is not a file upload or a login form it
- refuses a body over its limit (413) without reading more than the limit,
- refuses JSON nested deeper than MAX_JSON_DEPTH (400): the standard parser
  would recurse once per level and die with RecursionError,
- on Gradio's routes, refuses any file object (`{"path": ...}`) whose file is not
  in Gradio's upload folder (403), checked before Gradio copies or reads it:
  Gradio moves such a path into its cache by itself when it is mounted in
  FastAPI, so an admin could otherwise make the server index its own files.
Every refusal is a JSON `{"error": ...}` answer; the body then goes on unchanged.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.serve.uploads import from_upload_folder

API_BODY_BYTES = 1_000_000  # POST /api/ask: a question, its history and filters
UI_BODY_BYTES = 4_000_000   # Gradio events carry the whole chat back to the server
MAX_JSON_DEPTH = 64
_NOT_JSON = ("multipart/form-data", "application/x-www-form-urlencoded")  # Gradio's upload route, the login form

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes


def json_depth(body: bytes) -> int:
    """How deeply `body` nests arrays and objects (brackets inside strings do not count), in C-speed steps."""
    steps = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS).translate(_STEPS)
    return max(accumulate(array("b", steps)), default=0)


def foreign_files(payload, upload_dir: Path | None) -> list[str]:
    """Names of the file objects in a decoded Gradio payload that do not lie in `upload_dir`
    (all of them without an upload folder)."""
    out, stack = [], [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            path = item.get("path")
            if isinstance(path, str) and path and (upload_dir is None or from_upload_folder(path, upload_dir) is None):
                out.append(re.split(r"[\\/]", path)[-1] or path)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


class RequestGuard:
    def __init__(self, app: ASGIApp, upload_dir: Callable[[], Path | None], gradio_prefix: str = "/gradio_api/"):
        self.app = app
        self.upload_dir = upload_dir
        self.gradio_prefix = gradio_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        if headers.get("content-type", "").split(";")[0].strip().lower() in _NOT_JSON:
            return await self.app(scope, receive, send)
        path = scope["path"]
        limit = API_BODY_BYTES if path.startswith("/api/") else UI_BODY_BYTES

        async def refuse(status: int, message: str) -> None:
            await JSONResponse({"error": message}, status_code=status)(scope, receive, send)

        too_big = f"Request body over {limit:,} bytes."
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await refuse(413, too_big)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return await refuse(413, too_big)
        body = bytes(body)
        if json_depth(body) > MAX_JSON_DEPTH:
            return await refuse(400, f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
        if path.startswith(self.gradio_prefix):
            try:
                payload = json.loads(body)
            except ValueError:  # not JSON: Gradio answers it with its own 4xx
                payload = None
            if names := foreign_files(payload, self.upload_dir()):
                return await refuse(403, f"Refused {', '.join(sorted(set(names)))}: files can only come from "
                                         "this app's upload folder (upload them through the page).")
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
