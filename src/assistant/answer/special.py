"""Stages with structured answers that come before the extractive one: the byline
("who reported this article?") and listings of the targets ledger ("which targets
are due by 2027?")."""

from __future__ import annotations

import re

from assistant.answer import compose
from assistant.answer.stage import AnswerContext
from assistant.answer.turn import Turn
from assistant.models import Answer, ScoredChunk


class BylineStage:
    """The author line a document states, for questions about who wrote or reported it."""

    name = "byline"

    def answer(self, turn: Turn, hits: list[ScoredChunk], ctx: AnswerContext) -> Answer | None:
        if not turn.info.about_author:
            return None
        docs, flt = ctx.documents, turn.filters
        order = [h.chunk.doc_id for h in hits] + [d for d, doc in docs.items()
                                                  if not flt or flt.accepts({**doc.metadata, "doc_id": d})]
        for doc_id in dict.fromkeys(order):
            d = docs.get(doc_id)
            if d and d.metadata.get("author"):
                s, e = int(d.metadata["author_start"]), int(d.metadata["author_end"])
                cit = compose.citation(1, d, s, e)
                return Answer(question=turn.question, answer=f"{d.text[s:e]} [1]", citations=[cit])
        return None


class LedgerStage:
    """Rows of the targets ledger, each quoted and cited, for questions that ask for a
    listing of targets or deadlines ("What are the deadlines?")."""

    name = "ledger"

    def __init__(self, limit: int = 12):
        self.limit = limit

    def answer(self, turn: Turn, hits: list[ScoredChunk], ctx: AnswerContext) -> Answer | None:
        from assistant.targets import filter_targets

        info = turn.info
        if not info.about_ledger:
            return None
        docs, flt = ctx.documents, turn.filters
        q = info.text.lower()
        kinds = ["deadline"] if re.search(r"deadline|截止|期限", q) and "target" not in q else ["target", "deadline"]
        rows = [r for r in ctx.ledger_rows() if r["kind"] in kinds and r["doc_id"] in docs
                and (not flt or flt.accepts({**docs[r["doc_id"]].metadata, "doc_id": r["doc_id"]}))]
        if info.years:
            year = max(info.years)
            if re.search(rf"\b(by|before|until|no later than)\s+(the end of\s+)?{year}", q) or "到" in q:
                rows = filter_targets(rows, due_before=year)
            else:
                rows = [r for r in rows if str(r.get("deadline_norm") or "").startswith(year)]
        if not rows:
            return None
        rows = sorted(rows, key=lambda r: (str(r.get("deadline_norm") or "9999"), r["doc_id"], r["start"]))[:self.limit]
        citations = [compose.citation(i + 1, docs[r["doc_id"]], r["start"], r["end"]) for i, r in enumerate(rows)]
        lines = [f"- {c.quote} [{c.n}]" + (f" (due {r['deadline_norm']})" if r.get("deadline_norm") else "")
                 for c, r in zip(citations, rows)]
        return Answer(question=turn.question, answer="\n".join(lines), citations=citations, answerer="ledger",
                      warnings=compose.garbled_warnings(citations, docs))
