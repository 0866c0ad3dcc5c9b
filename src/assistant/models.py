"""The data shapes that cross module boundaries (and the JSON contracts in GUIDE.md).

One place for them so the CLI, the HTTP API, the UI and the evaluators all speak
the same language. Every quote carries the character span of the cleaned
document text it was cut from, so it can be checked and highlighted later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field


class Chunk(BaseModel):
    """A retrievable piece of a document, with its exact span in the cleaned text."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    heading: str = ""
    page: int | None = None
    position: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)


class ScoredChunk(BaseModel):
    """A chunk with the scores retrieval gave it (for `assistant retrieve` and debugging)."""

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None
    rank: int = 0


class Citation(BaseModel):
    """One numbered citation: a verbatim quote and where it sits in its document."""

    n: int
    doc_id: str
    title: str = ""
    source: str = ""
    date: str | None = None
    issuer: str = ""
    quote: str
    start: int
    end: int
    page: int | None = None
    language: str = "en"


class Grounding(BaseModel):
    """The check of a generated (LLM) answer against its sources (assistant.grounding).
    `checked` is False when no generated answer was checked (extractive answers quote
    their sources verbatim); `failures`: {"kind", "text", "message", "sentence", "start", "end"}."""

    ok: bool = True
    checked: bool = False
    failures: list[dict[str, Any]] = Field(default_factory=list)


class Answer(BaseModel):
    """What `assistant ask --json`, `POST /api/ask` and the UI return."""

    id: str | None = None
    question: str
    answer: str
    refused: bool = False
    citations: list[Citation] = Field(default_factory=list)
    related: list[Citation] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    answerer: str = "extractive"
    language: str = "en"  # the question's language; each citation has its quote's own
    standalone_question: str | None = None
    grounding_failures: list[str] = Field(default_factory=list)
    grounding: Grounding = Field(default_factory=Grounding)
    timings_ms: dict[str, float] = Field(default_factory=dict)


class IngestWarning(BaseModel):
    file: str
    message: str
    kind: str = "warning"
    start: int | None = None
    end: int | None = None
    excerpt: str | None = None


class IngestReport(BaseModel):
    """The report `assistant ingest --json` prints (shape fixed by GUIDE.md)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_written: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    warnings: list[IngestWarning] = Field(default_factory=list)


@dataclass
class Filters:
    """Restrict retrieval to documents, issuers, types and a date range (ISO dates)."""

    doc: list[str] = field(default_factory=list)
    issuer: list[str] = field(default_factory=list)
    doc_type: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None

    @classmethod
    def from_any(cls, value: "Filters | dict | None") -> "Filters":
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        def as_list(v: Any) -> list[str]:
            if v in (None, ""):
                return []
            return [str(x) for x in v] if isinstance(v, (list, tuple, set)) else [str(v)]
        return cls(doc=as_list(value.get("doc") or value.get("doc_id")), issuer=as_list(value.get("issuer")),
                   doc_type=as_list(value.get("doc_type")), since=value.get("since") or None, until=value.get("until") or None)

    def __bool__(self) -> bool:
        return bool(self.doc or self.issuer or self.doc_type or self.since or self.until)

    def accepts(self, meta: dict) -> bool:
        if self.doc and meta.get("doc_id") not in self.doc:
            return False
        if self.issuer and meta.get("issuer", "").lower() not in {i.lower() for i in self.issuer}:
            return False
        if self.doc_type and meta.get("doc_type") not in self.doc_type:
            return False
        d = meta.get("date") or ""
        if self.since and (not d or d < self.since):
            return False
        if self.until and (not d or d > self.until):
            return False
        return True
