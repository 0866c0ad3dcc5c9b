"""Training material for onboarding staff: key points, a cited brief and a quiz.

Everything quotes the source verbatim with its span, so a trainer can check each
point against the document, and every quiz answer is a substring of its quote.
"""

from __future__ import annotations

import random
import re
from typing import Iterable, Literal

from pydantic import BaseModel, TypeAdapter

from assistant.targets import Target, as_target
from ingest.text import paragraph_label, paragraph_spans, sentence_spans

PointKind = Literal["priority", "target", "deadline", "figure"]
QuizKind = Literal["fill-in-the-figure", "which-body", "by-when"]
BLANK = "____"


class KeyPoint(BaseModel):
    text: str
    start: int
    end: int
    kind: PointKind


class QuizItem(BaseModel):
    question: str
    answer: str
    kind: QuizKind
    doc_id: str
    quote: str
    start: int
    end: int
    title: str = ""


_PRIORITY_WORDS = re.compile(
    r"\b(?:should|must|will|shall|key|priorit(?:y|ies)|focus|main|major|core|necessary)\b|重点|关键|主要|必须|着力|要", re.I)
_ENUMERATION = re.compile(r"[:：]\s*\S|(?:[^,，]+[,，]){2,}[^,，]*\band\b|、[^、]+、|\b(?:first|second|third)ly\b", re.I)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r\n*#•-":
        start += 1
    return start, end


def _sentences(text: str) -> list[tuple[int, int]]:
    return [_trimmed(text, s, e) for s, e in sentence_spans(text)]


def _enclosing(sentences: list[tuple[int, int]], row: Target) -> tuple[int, int]:
    """The sentence holding a row's statement (the statement itself when it spans sentences)."""
    return next((s for s in sentences if s[0] <= row.start and row.end <= s[1]), (row.start, row.end))


def _is_substantial(sentence: str) -> bool:
    """Not a run-in label ("Outlook."), a question or a stray fragment."""
    if sentence.rstrip().endswith(("?", "？")):
        return False
    words = sentence.split()
    return len(words) >= 6 or (len(words) < 6 and len(re.findall(r"[\u4e00-\u9fff]", sentence)) >= 10)


def _lead_sentences(text: str) -> dict[tuple[int, int], int]:
    """First real sentence of each paragraph, with a bonus when a run-in label names its topic."""
    leads = {}
    for p_start, p_end in paragraph_spans(text):
        labelled = bool(paragraph_label(text, p_start, p_end))
        for span in sentence_spans(text, p_start, p_end):
            if _is_substantial(text[span[0]:span[1]]):
                leads[span] = 2 + labelled
                break
    return leads


def _priority_score(sentence: str, lead_bonus: int) -> int:
    return lead_bonus + bool(_PRIORITY_WORDS.search(sentence)) + bool(_ENUMERATION.search(sentence))


def key_points(doc_id: str, text: str, metadata: dict, targets: Iterable[Target | dict], limit: int = 12) -> list[KeyPoint]:
    """Every target and deadline sentence, plus up to `limit` priorities and figures, in text order.
    Points are spans of `text`; doc_id and metadata are accepted so callers pass a whole document."""
    rows = [as_target(row) for row in targets]
    sentences = _sentences(text)
    leads = {_trimmed(text, *span): bonus for span, bonus in _lead_sentences(text).items()}
    fixed = {}
    for row in rows:
        if row.kind in ("target", "deadline"):
            span = _enclosing(sentences, row)
            fixed[span] = "target" if "target" in (row.kind, fixed.get(span)) else "deadline"
    figures = {_enclosing(sentences, row) for row in rows if row.kind == "reported"}
    scored = []
    for span in sentences:
        sentence = text[span[0]:span[1]]
        if span in fixed or not _is_substantial(sentence):
            continue
        score = _priority_score(sentence, leads.get(span, 0)) + (span in figures)
        if score >= 2:
            scored.append((-score, span[0], span, "figure" if span in figures else "priority"))
    chosen = {span: kind for _, _, span, kind in sorted(scored)[:limit]}
    chosen.update(fixed)
    return [KeyPoint(text=text[s:e], start=s, end=e, kind=kind) for (s, e), kind in sorted(chosen.items())]


# --------------------------------------------------------------------------- brief

_MD_SPECIAL = re.compile(r"([\\`*\[\]<])")


def _md(text: str) -> str:
    """Escape only what would change the Markdown (emphasis, code, links, HTML), on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _figure_note(row: Target) -> str:
    figure = " ".join(part for part in (row.comparator, row.value) if part)
    due = f"{row.deadline} → {row.deadline_norm}" if row.deadline_norm else row.deadline
    return " · ".join(part for part in (figure, f"due {_md(due)}" if due else "") if part)


def _document_section(doc: dict) -> list[str]:
    meta, rows = doc.get("metadata") or {}, [as_target(row) for row in doc.get("targets") or []]
    doc_id = doc["doc_id"]
    lines = [f"## {_md(str(meta.get('title') or doc_id))}", ""]
    facts = [f"*Issuer:* {_md(str(meta.get('issuer') or 'not stated'))}", f"*Date:* {meta.get('date') or 'not stated'}",
             f"*Document:* `{doc_id}`"]
    lines += [" · ".join(facts), ""]
    for point in key_points(doc_id, doc["text"], meta, rows):
        notes = [_figure_note(r) for r in rows if r.kind == point.kind and point.start <= r.start and r.end <= point.end]
        tag = f"**{point.kind.capitalize()}**" + (f" ({'; '.join(n for n in notes if n)})" if any(notes) else "")
        lines.append(f"- {tag}: {_md(point.text)} [{doc_id}:{point.start}-{point.end}]")
    return lines + [""]


def brief_markdown(docs: list[dict]) -> str:
    """A trainer's brief: per document its facts, then key points, each with a [doc_id:start-end] citation."""
    lines = ["# Training brief: priorities, targets and deadlines", "",
             "Each point quotes the document verbatim; the bracket gives the document id and character span.", ""]
    for doc in docs:
        lines += _document_section(doc)
    return "\n".join(lines)


# --------------------------------------------------------------------------- quiz

def _blanked(quote: str, answer: str) -> str | None:
    """The quote with its one occurrence of `answer` blanked; None when ambiguous."""
    if not answer or quote.count(answer) != 1:
        return None
    text = quote.replace(answer, BLANK).strip(" *#•-")
    return text[:1].upper() + text[1:]


def _candidates(doc: dict) -> list[QuizItem]:
    text, items = doc["text"], []
    sentences = _sentences(text)
    for row in map(as_target, doc.get("targets") or []):
        base = {"doc_id": row.doc_id, "title": row.title}
        quote, start, end = row.statement, row.start, row.end
        if row.value and row.kind in ("target", "reported") and (q := _blanked(quote, row.value)):
            items.append(QuizItem(question=q, answer=row.value, kind="fill-in-the-figure", quote=quote, start=start,
                                  end=end, **base))
        if row.deadline and row.kind != "reported" and (q := _blanked(quote, row.deadline)):
            items.append(QuizItem(question=f"By when? {q}", answer=row.deadline, kind="by-when", quote=quote,
                                  start=start, end=end, **base))
        if row.responsible and row.kind != "reported":
            s, e = (start, end) if row.responsible in quote else _enclosing(sentences, row)
            if q := _blanked(text[s:e], row.responsible):
                items.append(QuizItem(question=f"Which body is responsible? {q}", answer=row.responsible,
                                      kind="which-body", quote=text[s:e], start=s, end=e, **base))
    return items


def build_quiz(docs: list[dict], n: int = 10, seed: int = 0) -> list[QuizItem]:
    """Up to n questions, taking the three kinds in turn; the same seed gives the same quiz."""
    rng = random.Random(seed)
    pools: dict[str, list[QuizItem]] = {"fill-in-the-figure": [], "by-when": [], "which-body": []}
    seen = set()
    for doc in docs:
        for item in _candidates(doc):
            key = (item.kind, item.doc_id, item.start, item.answer)
            if key not in seen and item.answer in item.quote:
                seen.add(key)
                pools[item.kind].append(item)
    for pool in pools.values():
        rng.shuffle(pool)
    quiz = []
    while len(quiz) < n and any(pools.values()):
        for pool in pools.values():
            if pool and len(quiz) < n:
                quiz.append(pool.pop())
    return quiz


def quiz_markdown(items: list[QuizItem]) -> str:
    """Numbered questions, each with its answer and the cited source sentence."""
    lines = ["# Quiz", ""]
    for i, item in enumerate(items, 1):
        lines += [f"{i}. {_md(item.question)}",
                  f"   - *Answer:* {_md(item.answer)}",
                  f"   - *Source:* {_md(item.title or item.doc_id)}, “{_md(item.quote)}” "
                  f"[{item.doc_id}:{item.start}-{item.end}]", ""]
    return "\n".join(lines)


def quiz_json(items: list[QuizItem]) -> str:
    return TypeAdapter(list[QuizItem]).dump_json(items, indent=2).decode()
