"""The answer path, one way: `Turn` -> retrieve once -> the first stage that answers -> finish.

Every caller (CLI, HTTP API, UI, benchmarks) gets the same `Answer` whether or not
an LLM is configured, and the same stream of text while it is made.
"""

from __future__ import annotations

import time
from typing import Callable

from assistant.answer import compose
from assistant.answer.stage import AnswerContext, AnswerStage
from assistant.answer.turn import Turn, build_turn
from assistant.models import Answer, ScoredChunk
from assistant.models import Filters


class _Streamed:
    """Tracks whether a stage streamed text, so a stage that then gives up voids it."""

    def __init__(self, ctx: AnswerContext):
        self.sink, self.used = ctx.on_token, False
        if self.sink is not None:
            ctx.on_token = self.emit

    def emit(self, piece: str) -> None:
        self.used = True
        self.sink(piece)


class AnswerPipeline:
    """Retrieval plus an ordered list of stages; the last one always answers (or refuses)."""

    def __init__(self, stages: list[AnswerStage], retrieve: Callable[[str, Filters], list[ScoredChunk]],
                 max_question_chars: int = 2000):
        self.stages = stages
        self.retrieve = retrieve
        self.max_question_chars = max_question_chars

    def turn(self, question, history=None, filters=None, id: str | None = None, ctx: AnswerContext | None = None) -> Turn:
        """Build the `Turn`; a stage that can condense follow-ups (the LLM) is asked to."""
        condenser = next((s for s in self.stages if hasattr(s, "condense")), None)
        condense = (lambda q, msgs: condenser.condense(q, msgs, ctx)) if condenser is not None and ctx is not None else None
        return build_turn(question, history, filters, id=id, max_chars=self.max_question_chars, condense=condense)

    def __call__(self, question, ctx: AnswerContext, history=None, filters=None, id: str | None = None) -> Answer:
        t0 = time.perf_counter()
        turn = self.turn(question, history, filters, id, ctx)
        t1 = time.perf_counter()
        hits = self.search(turn)
        t2 = time.perf_counter()
        ctx.timings["retrieve"] = round((t2 - t1) * 1000, 1)
        answer = self.answer(turn, hits, ctx)
        ctx.timings["answer"] = round((time.perf_counter() - t2) * 1000, 1)
        ctx.timings["total"] = round((time.perf_counter() - t0) * 1000, 1)
        return finish(answer, turn, ctx)

    def search(self, turn: Turn) -> list[ScoredChunk]:
        """The passages for a turn: one search, or for a comparison one per side, taken in
        turns so that each side's best passages are among the candidates."""
        hits = self.retrieve(turn.standalone, turn.filters)
        if not turn.info.parts:
            return hits
        lists = [self.retrieve(p, turn.filters) for p in turn.info.parts] + [hits]
        seen: set[str] = set()
        merged: list[ScoredChunk] = []
        for rank in range(max(len(x) for x in lists)):
            for lst in lists:
                if rank < len(lst) and lst[rank].chunk.id not in seen:
                    seen.add(lst[rank].chunk.id)
                    merged.append(lst[rank])
        return merged[:len(hits) + 2]

    def answer(self, turn: Turn, hits: list[ScoredChunk], ctx: AnswerContext) -> Answer:
        """The first stage's answer, voiding what a stage that gave up had streamed."""
        for stage in self.stages:
            streamed = _Streamed(ctx)
            answer = stage.answer(turn, hits, ctx)
            ctx.on_token = streamed.sink
            if answer is not None:
                return answer
            if streamed.used and ctx.on_reset is not None:
                ctx.on_reset()
        raise RuntimeError("the last answer stage must always answer")  # pragma: no cover - a wiring error


def finish(answer: Answer, turn: Turn, ctx: AnswerContext) -> Answer:
    """What every answer carries, whichever stage made it."""
    answer.id = turn.id
    answer.question = turn.question
    answer.language = turn.language
    if answer.answerer != "llm" and not answer.refused:
        note = compose.quoted_from_note(turn.language, answer.citations)
        if note:
            answer.answer += "\n\n" + note
            if ctx.on_token is not None:
                ctx.on_token("\n\n" + note)
    answer.standalone_question = turn.standalone if turn.standalone != turn.question else None
    if ctx.grounding is not None and not answer.grounding.checked:
        answer.grounding = ctx.grounding
        answer.grounding_failures = ctx.grounding_failures
    answer.warnings = ctx.warnings + answer.warnings
    answer.timings_ms = {**ctx.timings, **answer.timings_ms}
    return answer
