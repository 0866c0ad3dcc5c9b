"""The Ask tab's conversations, kept on the server, one per browser session.

Gradio sends an event's inputs when the event starts, so a second question sent while
an answer streams would carry a chat without that answer, and one of the two would be
lost. Here the chat lives on the server and one runner per session writes it: a
question sent while the runner works joins `pending` (shown at once, tagged "queued"),
and the runner answers it next, in the order sent. Any handler may render the whole
chat (`view`) at any time, since everything shown is in this object.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field


MAX_WAITING = 20  # questions one session may have waiting; beyond, the box keeps the question


class QueueFull(ValueError):
    pass


@dataclass
class Question:
    text: str
    filters: dict | None
    lang: str


@dataclass
class Conversation:
    messages: list[dict] = field(default_factory=list)  # finished messages, as the Chatbot takes them
    current: str | None = None                          # the answer being made (HTML)
    pending: deque[Question] = field(default_factory=deque)
    records: dict[int, dict] = field(default_factory=dict)  # message index of an answer -> what feedback stores
    history: list[str] = field(default_factory=list)        # earlier questions, for follow-ups
    running: bool = False
    epoch: int = 0  # bumped by clear(): a runner still busy with an older question drops its answer
    turns: int = 0  # answers started, for ids unique in the page
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, question: Question) -> bool:
        """Queue a question; True when the caller must run the queue (no runner yet).
        QueueFull when MAX_WAITING questions already wait."""
        with self.lock:
            if len(self.pending) >= MAX_WAITING:
                raise QueueFull(f"{MAX_WAITING} questions are already waiting: send this one when they are answered.")
            self.pending.append(question)
            if self.running:
                return False
            self.running = True
            return True

    def next(self) -> Question | None:
        """The runner's next question; None (and no runner any more) when the queue is empty."""
        with self.lock:
            if self.pending:
                return self.pending.popleft()
            self.running = False
            return None

    def show(self, epoch: int, html: str) -> bool:
        """Show the answer being made, unless the chat was cleared since it began (False)."""
        with self.lock:
            if self.epoch != epoch:
                return False
            self.current = html
            return True

    def stop(self) -> None:
        """The runner ended early (an error, the page closed): the next question starts a new one."""
        with self.lock:
            self.running = False
            self.current = None

    def clear(self) -> None:
        with self.lock:
            self.messages, self.records, self.history, self.current = [], {}, [], None
            self.pending.clear()
            self.epoch += 1

    def view(self, render_queued) -> list[dict]:
        """Everything the chat shows now: finished messages, the answer being made, the queue."""
        with self.lock:
            out = list(self.messages)
            if self.current is not None:
                out.append({"role": "assistant", "content": self.current})
            out += [{"role": "user", "content": render_queued(q)} for q in self.pending]
        return out


class Conversations:
    """Conversations by session id, the least recently used dropped beyond `limit`."""

    def __init__(self, limit: int = 1000):
        self.limit = limit
        self._items: OrderedDict[str, Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: str) -> Conversation:
        with self._lock:
            conv = self._items.pop(session, None) or Conversation()
            self._items[session] = conv
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
            return conv

    def drop(self, session: str) -> None:
        with self._lock:
            self._items.pop(session, None)

    def __len__(self) -> int:
        return len(self._items)
