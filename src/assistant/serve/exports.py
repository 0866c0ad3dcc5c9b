"""Downloads the UI makes (targets CSV, training brief, feedback CSV): private and temporary.

Each export sits in one temporary folder that is removed when the server stops
(FastAPI's shutdown; the folder's finalizer covers an interpreter exit without
it). It is served by `GET /exports/{token}/{name}` only to the user who made it:
the token is random, and the route also checks who is asking. Each user keeps
their latest KEEP_PER_USER exports; older ones are deleted as new ones come.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from assistant.serve.uploads import safe_filename

KEEP_PER_USER = 20


class Exports:
    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="assistant-exports-")
        self.root = Path(self._dir.name)
        self._files: OrderedDict[str, tuple[str | None, Path]] = OrderedDict()  # token -> (owner, file)
        self._lock = threading.Lock()

    def add(self, owner: str | None, name: str, content: str) -> str:
        """Write `content` as `name` for `owner` (None: no login configured); returns its URL path."""
        token = secrets.token_urlsafe(18)
        path = self.root / token / safe_filename(name)
        path.parent.mkdir()
        path.write_text(content, encoding="utf-8")
        with self._lock:
            self._files[token] = (owner, path)
            mine = [t for t, (o, _) in self._files.items() if o == owner]
            for old in mine[:-KEEP_PER_USER]:
                shutil.rmtree(self._files.pop(old)[1].parent, ignore_errors=True)
        return f"/exports/{token}/{path.name}"

    def find(self, token: str, name: str, user: str | None) -> Path | None:
        """The file of export `token`, if it is called `name` and belongs to `user`."""
        with self._lock:
            owner, path = self._files.get(token, ("", None))
        if path is None or path.name != name or owner != user or not path.is_file():
            return None
        return path

    def close(self) -> None:
        with self._lock:
            self._files.clear()
        self._dir.cleanup()
