"""What the API and the UI share: the assistant, users, feedback store, the indexing flag, exports."""

from __future__ import annotations

import logging
import sqlite3
import tempfile
import threading
from pathlib import Path

from assistant.core import Assistant
from assistant.feedback import FeedbackStore
from assistant.serve.auth import auth_users
from assistant.serve.exports import Exports
from assistant.serve.render import EMPTY_INDEX, esc, public_text

log = logging.getLogger(__name__)


class WebState:
    """Shared by the API and the UI: users, feedback store, whether an ingestion is running."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self.settings = assistant.settings
        self.users = auth_users(self.settings)
        self._scratch: tempfile.TemporaryDirectory | None = None
        try:
            self.feedback = FeedbackStore(self.settings.feedback_path)
        except (sqlite3.Error, OSError) as exc:  # read-only or full data folder: keep serving answers
            self._scratch = tempfile.TemporaryDirectory(prefix="assistant-feedback-")
            fallback = Path(self._scratch.name) / "feedback.sqlite3"
            log.warning("cannot open the feedback store %s (%s); feedback goes to %s for this run",
                        self.settings.feedback_path, exc, fallback)
            self.feedback = FeedbackStore(fallback)
        self._indexing = 0
        self._lock = threading.Lock()
        self.exports = Exports()
        self.upload_dir: Path | None = None  # Gradio's upload folder, once the UI is built

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

    def status_html(self) -> str:
        """The line under the page title: what is indexed, or why nothing can be read."""
        if self.indexing:
            return "<strong>Indexing documents…</strong> answers may not include the newest documents yet."
        try:
            n_docs, n_chunks = self.counts()
        except Exception as exc:  # the index is unreadable: say so instead of failing the page
            return f"⚠️ The index cannot be read: {esc(public_text(exc))}"
        if not n_docs:
            return esc(EMPTY_INDEX)
        return f"{n_docs} document{'s' if n_docs != 1 else ''} indexed ({n_chunks} passages)."

    def close(self) -> None:
        """At shutdown: remove the exports (and a stand-in feedback store)."""
        self.exports.close()
        if self._scratch is not None:
            self._scratch.cleanup()
