"""Answer-quality evaluation on question sets in the format of ../shared/eval/*.jsonl.

Per question: facts present (`any_of` / `all_of`), evidence cited (a citation
quotes the expected passage, from the expected document when one is named),
quotes verbatim (every quote equals the document text at its span), refusals
(`answerable: false` must be refused, answerable ones must not be), answer length.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, Field


class QuestionResult(BaseModel):
    id: str
    question: str
    answerable: bool
    refused: bool
    facts_ok: bool
    evidence_ok: bool
    verbatim_ok: bool
    refusal_ok: bool
    answer_words: int
    answer: str
    missing_facts: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.facts_ok and self.evidence_ok and self.verbatim_ok and self.refusal_ok


class EvalReport(BaseModel):
    file: str
    results: list[QuestionResult]

    def totals(self) -> dict:
        n = len(self.results) or 1
        return {
            "questions": len(self.results),
            "all_ok": sum(r.ok for r in self.results),
            "facts": sum(r.facts_ok for r in self.results),
            "evidence": sum(r.evidence_ok for r in self.results),
            "verbatim": sum(r.verbatim_ok for r in self.results),
            "refusals": sum(r.refusal_ok for r in self.results),
            "mean_answer_words": round(sum(r.answer_words for r in self.results) / n, 1),
        }

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.results)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("*", "")).strip().lower()


def evaluate(assistant, path: str | Path) -> EvalReport:
    docs = assistant.documents()
    results = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        ans = assistant.ask(item["question"], history=item.get("history"), filters=item.get("filters"))
        answerable = bool(item.get("answerable", True))
        text = ans.answer
        missing: list[str] = []
        if answerable and not ans.refused:
            if item.get("all_of"):
                missing = [f for f in item["all_of"] if f.lower() not in text.lower()]
            if item.get("any_of") and not any(f.lower() in text.lower() for f in item["any_of"]):
                missing.append(" | ".join(item["any_of"]))
        facts_ok = not answerable or (not ans.refused and not missing)
        evidence_ok = True
        if answerable:
            ev = _norm(item.get("evidence", ""))
            want_doc = Path(item["doc"]).stem if item.get("doc") else None
            evidence_ok = any(
                (not want_doc or c.doc_id == want_doc) and ev and (ev in _norm(c.quote) or _norm(c.quote) in ev)
                for c in ans.citations) if ev else bool(ans.citations)
        verbatim_ok = all(c.doc_id in docs and docs[c.doc_id].text[c.start:c.end] == c.quote
                          for c in ans.citations + ans.related)
        results.append(QuestionResult(
            id=str(item.get("id")), question=item["question"], answerable=answerable, refused=ans.refused,
            facts_ok=facts_ok, evidence_ok=evidence_ok, verbatim_ok=verbatim_ok,
            refusal_ok=ans.refused == (not answerable), answer_words=len(text.split()) if not ans.refused else 0,
            answer=text, missing_facts=missing))
    return EvalReport(file=str(path), results=results)
