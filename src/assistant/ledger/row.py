"""The ledger row and the garbled-figure flag.

Rows are `Target` models everywhere; the index stores them as dicts, which
`as_target` turns back into models at the edge.
"""

from __future__ import annotations

from typing import Iterable, Literal

from pydantic import BaseModel

Kind = Literal["target", "deadline", "reported"]


class Target(BaseModel):
    """One ledger row; `statement` is text[start:end] of the cleaned document."""

    statement: str
    metric: str = ""
    comparator: str = ""
    value: str = ""
    deadline: str = ""
    deadline_norm: str | None = None
    deadline_resolved: bool = False
    responsible: str = ""
    kind: Kind
    doc_id: str
    title: str = ""
    issuer: str = ""
    date: str | None = None
    start: int
    end: int
    language: str = "en"
    garbled: bool = False  # the statement holds a figure that ingestion flagged as possibly garbled
    garbled_warning: str = ""  # what ingestion said about it, with the figure as written


def as_target(row: Target | dict) -> Target:
    """Rows stored in the index are dicts; everything else takes models."""
    return row if isinstance(row, Target) else Target.model_validate(row)


def overlapping(start: int, end: int, warnings: Iterable[dict]) -> list[dict]:
    """The ingestion warnings (dicts with `start`, `end`, `message`) whose span meets [start, end)."""
    return [w for w in warnings if w.get("start") is not None and w["start"] < end and w["end"] > start]


def flag_garbled(rows: Iterable[Target], warnings: list[dict], text: str | None = None) -> list[Target]:
    """Rows whose statement overlaps a garbled-figure warning of their document, flagged;
    the others as they are. Idempotent, so stored rows can be flagged again on reading."""
    out = []
    for row in rows:
        hits = overlapping(row.start, row.end, warnings)
        if hits:
            notes = []
            for w in hits:
                figure = text[w["start"]:w["end"]] if text is not None else ""
                notes.append(f"{w['message']} ('{figure}')" if figure and figure not in w["message"] else w["message"])
            row = row.model_copy(update={"garbled": True, "garbled_warning": "; ".join(notes)})
        elif row.garbled:
            row = row.model_copy(update={"garbled": False, "garbled_warning": ""})
        out.append(row)
    return out
