"""Answer feedback (like / dislike + optional comment) in a small SQLite file.

    store = FeedbackStore(settings.feedback_path)
    store.add(question, answer, sources, rating="like", comment="")
    csv_text = store.export_csv()

One connection per call, so the store is safe to use from the web server's
worker threads.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

COLUMNS = ("ts", "question", "answer", "sources_json", "rating", "comment")
RATINGS = {"like", "dislike", "comment"}
MAX_FIELD = 20_000


class FeedbackStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, "
                "question TEXT NOT NULL, answer TEXT NOT NULL, sources_json TEXT NOT NULL, rating TEXT NOT NULL, "
                "comment TEXT NOT NULL DEFAULT '')")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, question: str, answer: str, sources: Any = None, rating: str = "like", comment: str | None = "") -> int:
        rating = (rating or "").strip().lower()
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {sorted(RATINGS)}")
        if not isinstance(sources, str):
            sources = json.dumps(sources if sources is not None else [], ensure_ascii=False, default=str)
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), str(question or "")[:MAX_FIELD],
               str(answer or "")[:MAX_FIELD], sources, rating, str(comment or "")[:MAX_FIELD])
        with self._lock, self._connect() as con:
            cur = con.execute(f"INSERT INTO feedback ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid)

    def rows(self) -> list[dict]:
        with self._connect() as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id")]

    def export_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(COLUMNS)
        for r in self.rows():
            w.writerow([r[c] for c in COLUMNS])
        return buf.getvalue()
