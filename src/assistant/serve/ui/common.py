"""Small helpers the tabs share."""

from __future__ import annotations

import logging
from datetime import date

import gradio as gr

from assistant.core import Assistant
from assistant.store import IndexError_

log = logging.getLogger(__name__)


def docs_or_empty(assistant: Assistant) -> dict:
    try:
        return assistant.documents() if assistant.has_index() else {}
    except IndexError_ as exc:  # the store is down or unreadable: the status line says so
        log.warning("cannot list documents: %s", exc)
    except Exception:
        log.exception("cannot list documents")
    return {}


def user_of(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request is not None else None


def session_of(request: gr.Request | None) -> str:
    """The browser session (one page load); the API's callers name their own."""
    return str(getattr(request, "session_hash", None) or "")


def doc_choices(docs: dict) -> list[tuple[str, str]]:
    return sorted(((f"{d.title} ({doc_id})", doc_id) for doc_id, d in docs.items()), key=lambda x: x[0].lower())


def issuer_choices(docs: dict) -> list[str]:
    return sorted({d.metadata.get("issuer") for d in docs.values() if d.metadata.get("issuer")}, key=str.lower)


def parse_date(value: str, label: str) -> date:
    import re

    if not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        raise ValueError(f"{label}: write the date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{label}: {value} is not a valid date.") from None
