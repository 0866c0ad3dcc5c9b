"""The one seam of the answer path: a stage that may answer a `Turn`.

Stages run in order (byline, ledger, generated when an LLM is configured,
extractive last); the first that returns an `Answer` wins. Everything a stage
needs for one request comes in through `AnswerContext`, never from state kept on
a shared object, so concurrent requests cannot see each other's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

from assistant.answer.turn import Turn
from assistant.models import Answer, Grounding, ScoredChunk
from assistant.store import StoredDocument

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


@dataclass
class Lexicon:
    """What the index knows of words: IDF per token and the vocabulary (for "never mentioned")."""

    idf: dict[str, float]
    vocabulary: set[str]
    fingerprint: str = ""


@dataclass
class AnswerContext:
    """Per-request inputs and what stages report back to `finish()`."""

    documents: dict[str, StoredDocument]
    lexicon: Lexicon
    embed_sentences: Callable[[list[str]], "np.ndarray"] | None = None   # unit vectors, the index's embedder
    embed_terms: Callable[[list[str]], "np.ndarray"] | None = None       # multilingual word vectors (use-m3)
    on_token: Callable[[str], None] | None = None                      # streamed text, whatever the stage
    on_reset: Callable[[], None] | None = None                         # what was streamed is void (a stage gave up)
    warnings: list[str] = field(default_factory=list)                  # prepended to the answer's warnings
    timings: dict[str, float] = field(default_factory=dict)
    grounding: Grounding | None = None                                 # a generated answer's check, kept on fallback
    grounding_failures: list[str] = field(default_factory=list)
    must_refuse: str | None = None   # a stage decided the documents do not answer (the reason); the last stage refuses
    refused_by: str | None = None    # which answerer decided that ("llm")
    llm_error: Exception | None = None  # the LLM cannot be used for this request (config, condense failure)
    answer_model: object | None = None  # an AnswerModel for this request only (evaluation of held-out folds)

    def ledger_rows(self) -> list[dict]:
        return [t for d in self.documents.values() for t in d.targets]


class AnswerStage(Protocol):
    """Answers the turn from the retrieved passages, or returns None to let the next stage try."""

    name: str

    def answer(self, turn: Turn, hits: list[ScoredChunk], ctx: AnswerContext) -> Answer | None: ...


__all__ = ["AnswerStage", "AnswerContext", "Lexicon"]
