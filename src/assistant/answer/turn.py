"""A `Turn`: everything known about one question before retrieval, built once.

The cleaned question, its standalone form (a follow-up resolved against the
conversation), the analysis of that form, the conversation as plain messages and
the filters. Every stage reads the same `Turn`; nothing is re-derived later.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from assistant.answer.question import QuestionInfo, analyse_turn, history_questions, standalone_question
from assistant.models import Filters


class QuestionError(ValueError):
    """A question we cannot take (empty, too long): the message is for the user."""


def clean_question(question: Any, max_chars: int) -> str:
    """Control characters out, whitespace folded; a clear `QuestionError` for what cannot be asked."""
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    q = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in question)
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        raise QuestionError("Please type a question.")
    if len(q) > max_chars:
        raise QuestionError(f"The question is too long ({len(q):,} characters; the limit is {max_chars:,}). Please shorten it.")
    if not re.search(r"\w", q):
        raise QuestionError("The question has no words in it. Please type a question.")
    return q


def history_messages(history: Any) -> list[dict[str, str]]:
    """The conversation as [{"role": "user"|"assistant", "content"}], oldest first.
    Accepts [{'role','content'}...], [(user, assistant)...] or a list of strings (user turns)."""
    out: list[dict[str, str]] = []
    for turn in history or []:
        if isinstance(turn, dict):
            content = turn.get("content")
            if content:
                out.append({"role": "assistant" if turn.get("role") == "assistant" else "user", "content": str(content)})
        elif isinstance(turn, (list, tuple)):
            if len(turn) > 0 and turn[0]:
                out.append({"role": "user", "content": str(turn[0])})
            if len(turn) > 1 and turn[1]:
                out.append({"role": "assistant", "content": str(turn[1])})
        elif isinstance(turn, str) and turn.strip():
            out.append({"role": "user", "content": turn})
    return out


@dataclass(frozen=True)
class Turn:
    """One question as the answer stages see it."""

    question: str                      # as typed, cleaned
    standalone: str                    # what is retrieved and answered (== question unless a follow-up)
    info: QuestionInfo                 # analysis of the standalone form
    history: list[dict[str, str]] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    id: str | None = None

    @property
    def language(self) -> str:
        return self.info.language


def build_turn(question: Any, history: Any = None, filters: Filters | dict | None = None, id: str | None = None,
               max_chars: int = 2000, condense: Callable[[str, list[dict[str, str]]], str | None] | None = None) -> Turn:
    """Clean, resolve and analyse a question. `condense(question, messages)` (an LLM, when
    configured) may rewrite a follow-up; when it gives nothing the rule-based resolution is used."""
    q = clean_question(question, max_chars)
    messages = history_messages(history)
    standalone = None
    if condense is not None and messages:
        standalone = condense(q, messages)
    if not standalone:
        standalone = standalone_question(q, messages)
    previous = history_questions(messages)
    return Turn(question=q, standalone=standalone, info=analyse_turn(q, standalone, previous[-1] if previous else None),
                history=messages,
                filters=Filters.from_any(filters), id=id)
