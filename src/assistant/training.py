"""Training material for onboarding staff: key points, a cited brief and a quiz.

Key points are what a document commits to: its priorities (the tasks it sets, as it
words them) and its targets and deadlines (from the ledger), a few of each, never the
whole text. Each point quotes the document verbatim with its span, so a trainer can
check it against the source. Quiz answers are short, occur in the quoted source
sentence, and are never a figure that ingestion flagged as possibly garbled.

The rules read how policy texts are laid out (headings, numbered tasks, run-in labels,
review sections) and how they word commitments (modal verbs, bare imperatives, 要/力争,
verb-initial Chinese tasks), in English and Chinese; no document is named.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Literal

from pydantic import BaseModel, TypeAdapter

from assistant.ledger import Target, document_rows
from assistant.ledger import patterns as P
from assistant.ledger.extract import Reference, find_deadlines, is_elapsed, reference_for
from assistant.ledger.row import overlapping
from ingest.text import cjk_ratio, ends_sentence, has_cjk, paragraph_spans, sentence_spans

if TYPE_CHECKING:
    from assistant.store import StoredDocument

PointKind = Literal["priority", "target", "deadline"]
QuizKind = Literal["fill-in-the-figure", "by-when", "which-body"]
BLANK = "____"
PRIORITIES = 8  # at most, per document; fewer for a short one (a quarter of its sentences)
TARGETS = 10  # targets and deadlines per document in the brief; the ledger has them all
ANSWER_WORDS, ANSWER_CHARS, ANSWER_CJK = 8, 60, 20  # "short" for a quiz answer
QUOTE_WORDS, QUOTE_CJK = 60, 150  # longer statements make poor questions


class KeyPoint(BaseModel):
    """One cited point: `quote` is the document's text[start:end]."""

    kind: PointKind
    doc_id: str
    quote: str
    start: int
    end: int
    heading: str = ""  # the section it sits in, as the document titles it
    figures: list[str] = []  # targets: each figure with its comparator ("more than 70%")
    deadline: str = ""
    deadline_norm: str | None = None
    metric: str = ""
    responsible: str = ""
    garbled: bool = False
    garbled_warning: str = ""


class QuizItem(BaseModel):
    question: str
    answer: str  # occurs in `quote`
    kind: QuizKind
    doc_id: str
    quote: str  # the document's text[start:end]
    start: int
    end: int
    title: str = ""
    due: str | None = None  # by-when: the deadline as a date or period


def _document(doc: StoredDocument | dict) -> StoredDocument:
    """Documents as the store gives them. A dict of the same fields (what web.py still builds) is
    converted; without its `warnings` they are found again as ingestion finds them, so a garbled
    figure is flagged whichever way the document came."""
    if not isinstance(doc, dict):
        return doc
    from assistant.store import StoredDocument
    from ingest.quality import garbled_figures

    warnings = doc["warnings"] if "warnings" in doc else garbled_figures(doc["text"])
    return StoredDocument(doc_id=doc["doc_id"], text=doc["text"], metadata=doc.get("metadata") or {},
                          targets=list(doc.get("targets") or []), warnings=list(warnings))


# --------------------------------------------------------------------------- reading a document's layout

@dataclass
class _Sentence:
    start: int
    end: int
    heading: str  # the section it sits in
    review: bool  # under a heading that looks back
    first: bool  # the first sentence of its paragraph
    label: bool  # a short run-in label opening a longer paragraph ("Deepen reform around X.", "（一）着力…。")
    announces: int  # list items that follow it ("the following four priorities:"), 0 if none
    list_end: int  # where those items end
    clean: bool  # starts a sentence, not the rest of a line broken mid-sentence (PDF text)


def _unmarked(text: str, start: int, end: int) -> int:
    """Where the words begin after numbering and markup ("12. ", "（一）", "** ")."""
    while start < end and text[start] in " \t*#":
        start += 1
    if m := P.LIST_MARKER.match(text, start, end):
        start = m.end()
    while start < end and text[start] in " \t*#":
        start += 1
    return start


def _words(text: str) -> int:
    return len(text.split()) + (len(re.findall(r"[\u4e00-\u9fff]", text)) // 2 if has_cjk(text) else 0)


_PAGE_TAIL = re.compile(r"(?:\n[ \t]*\d{1,4}[ \t]*)*\s*$")  # page numbers a PDF leaves between two halves of a sentence
_STOPS = ".!?。！？;；:：\"”’)）】"


def _starts_clean(text: str, start: int) -> bool:
    """`start` opens a sentence: what comes before ends a sentence or a heading. PDF text breaks
    lines (and pages) mid-sentence, and "...the National\nResearch Council will ..." is no sentence."""
    if text[start].islower():
        return False
    window = text[max(0, start - 400):start]
    before = window[:_PAGE_TAIL.search(window).start()]
    if not before.strip():
        return True
    return before[-1] in _STOPS or _is_heading_line(before.rsplit("\n", 1)[-1])


def _is_heading_line(line: str) -> bool:
    """A heading on its own line: short, no final stop, opening with a capital, a digit, a CJK
    character or Markdown's #."""
    s = line.strip()
    if not s or ends_sentence(s) or s.endswith((",", "，", "、", "-", "*", "•")):
        return False
    if s.startswith("#"):
        return True
    short = len(s) <= 40 if cjk_ratio(s) > 0.5 else len(s) <= 80 and len(s.split()) <= 12
    return short and (s[0].isupper() or s[0].isdigit() or has_cjk(s[0]) or s[0] in "（(")


def _is_sub_heading(line: str) -> bool:
    """A numbered item ("1) Jobs", "（一）…") heads a part of a section; it does not start a new one."""
    return bool(re.match(r"\s*(?:\(?\d{1,3}[.)]|\(?[a-z][.)]|[（(][一二三四五六七八九十\d]+[)）])", line))


_TOP_HEADING = re.compile(r"\s*(?:#|[一二三四五六七八九十]+、|第[一二三四五六七八九十百]+[章节部分篇]|(?:part|chapter|section)\b"
                          r"|[IVX]{1,4}[.)]\s)", re.I)


class _Layout(list):
    """The sentences of a document in text order, found by position."""

    def __init__(self, sentences: list[_Sentence]):
        super().__init__(sentences)
        self._starts = [s.start for s in sentences]

    def at(self, pos: int) -> _Sentence | None:
        i = bisect_right(self._starts, pos) - 1
        return self[i] if i >= 0 and pos < self[i].end else None


def _units(text: str) -> list[tuple[int, int]]:
    """Paragraphs, with a block of short lines (a list, headings in a row) split into its lines:
    there each line is a heading or an item of its own."""
    out = []
    for start, end in paragraph_spans(text):
        lines = [m.span() for m in re.finditer(r"[^\n]+", text[start:end])]
        if len(lines) > 1 and all(_is_heading_line(text[start + a:start + b]) or
                                  (P.LIST_MARKER.match(text[start + a:start + b]) and _words(text[start + a:start + b]) <= 20)
                                  for a, b in lines):
            out += [(start + a + (len(text[start + a:start + b]) - len(text[start + a:start + b].lstrip())), start + b)
                    for a, b in lines]
        else:
            out.append((start, end))
    return out


def _layout(text: str) -> _Layout:
    """The document's sentences with the section each sits in. Headings with numbering or priority
    words ("Priority 2: ...", "二、重点任务") open a section; a plain heading inside a priority section
    ("Irrigation") is a part of it, elsewhere it opens a section of its own. A review section
    ("2029年工作回顾") lasts until a numbered heading or one that looks ahead."""
    out: list[_Sentence] = []
    section, sub, review = "", "", False
    paragraphs = _units(text)
    for i, (p_start, p_end) in enumerate(paragraphs):
        paragraph = text[p_start:p_end]
        sentences = sentence_spans(text, p_start, p_end)
        if _is_heading_line(paragraph) and len(sentences) == 1:
            line = text[_unmarked(text, p_start, p_end):p_end].strip(" *#")
            looks_back = bool(P.REVIEW_HEADING.search(line))
            if _TOP_HEADING.match(paragraph) or looks_back or P.PRIORITY_WORDS.search(line):
                section, sub, review = line, "", looks_back
            elif _is_sub_heading(paragraph) or P.PRIORITY_WORDS.search(section):
                sub = line
            else:  # a plain heading: a section of its own, still looking back until a heading looks ahead
                section, sub, review = line, "", review and not P.FORWARD_HEADING.search(line)
            continue
        heading = " › ".join(h for h in (section, sub) if h)
        for j, (s, e) in enumerate(sentences):
            label = j == 0 and len(sentences) > 1 and _words(text[_unmarked(text, s, e):e]) <= 12
            announces, list_end = 0, e
            if text[s:e].rstrip().endswith((":", "：")) and j == len(sentences) - 1:
                for q_start, q_end in paragraphs[i + 1:]:
                    if not P.LIST_MARKER.match(text, q_start, q_end) or _words(text[q_start:q_end]) > 20:
                        break
                    announces, list_end = announces + 1, q_end
            out.append(_Sentence(s, e, heading, review, j == 0, label, announces, list_end, _starts_clean(text, s)))
    return _Layout(out)


def _commits(text: str) -> bool:
    """The sentence sets a task: a modal or future marker, or a bare imperative; not history,
    not the speaker about the speech."""
    if P.SPEECH_ACT.search(text):
        return False
    if has_cjk(text):
        future = bool(P.FUTURE_ZH.search(text) or P.ZH_ACTION.match(text))
        return future and not (P.PAST_ZH.search(text) and not P.FUTURE_ZH.search(text))
    first = P.FIRST_WORD.match(text)
    imperative = bool(first) and first.group(1).lower() in P.IMPERATIVE_VERBS and first.group(1)[0].isupper()
    return imperative or bool(P.FUTURE_EN.search(text))


def _priority_score(text: str, s: _Sentence, ref: Reference) -> int:
    """How surely the sentence states a priority of the document (0: it does not)."""
    words_at = _unmarked(text, s.start, s.end)
    sentence = text[words_at:s.end].rstrip()
    if s.review or not s.clean or sentence.endswith(("?", "？")) or P.LEADER_DOTS.search(sentence):
        return 0
    if s.announces >= 2 and P.PRIORITY_WORDS.search(sentence):
        return 4  # "this budget rests on the following four priorities:" and its list
    if sentence.endswith((":", "：")) or not _commits(sentence) or P.FORECAST.search(sentence):
        return 0  # a lead-in says what follows, a forecast what may happen: neither is a task
    if has_cjk(sentence) and not P.ZH_ACTION.match(sentence) and s.label:
        return 0  # "（二）主要目标。" names a section, it sets no task
    dates = find_deadlines(text, s.start, s.end, ref)
    if dates and all(is_elapsed(d, ref) for d in dates):
        return 0  # "In 2023, ... will start": history by the time the document was written
    score = 1
    score += 2 if s.label else 0
    score += 1 if s.first else 0
    score += 1 if P.PRIORITY_WORDS.search(sentence) or P.PRIORITY_WORDS.search(s.heading) else 0
    return score


def _spread(scored: list[tuple[int, int, str, object]], limit: int) -> list[object]:
    """The best `limit` by score, taking one per section before a second from any."""
    ranked = sorted(scored, key=lambda x: (-x[0], x[1]))
    chosen, sections = [], set()
    for _, _, section, item in ranked:
        if len(chosen) < limit and section not in sections:
            chosen.append(item)
            sections.add(section)
    for _, _, _, item in ranked:
        if len(chosen) < limit and item not in chosen:
            chosen.append(item)
    return chosen


# --------------------------------------------------------------------------- key points

def _target_points(doc: StoredDocument, rows: list[Target], layout: _Layout, limit: int) -> list[KeyPoint]:
    """One point per ledger statement (a statement may hold several figures), the best `limit`:
    figures with a resolved deadline first; none from a review section, a broken line or a forecast."""
    by_span: dict[tuple[int, int], list[Target]] = {}
    for row in rows:
        if row.kind != "reported":
            by_span.setdefault((row.start, row.end), []).append(row)
    scored = []
    for (start, end), same in by_span.items():
        first, where = same[0], layout.at(start)
        if where is None or where.review or not where.clean or P.FORECAST.search(first.statement):
            continue
        figures = [" ".join(p for p in (r.comparator, r.value) if p) for r in same if r.value]
        warnings = list(dict.fromkeys(r.garbled_warning for r in same if r.garbled))
        point = KeyPoint(kind="target" if figures else "deadline", doc_id=doc.doc_id, quote=first.statement,
                         start=start, end=end, heading=where.heading, figures=figures, deadline=first.deadline,
                         deadline_norm=first.deadline_norm, metric=first.metric, responsible=first.responsible,
                         garbled=bool(warnings), garbled_warning="; ".join(warnings))
        scored.append((2 * bool(figures) + bool(first.deadline_norm), start, point.heading, point))
    return _spread(scored, limit)


def key_points(doc: StoredDocument | dict, priorities: int | None = None, targets: int = TARGETS) -> list[KeyPoint]:
    """A document's priorities and its targets and deadlines, in text order, each cited.
    `priorities` defaults to PRIORITIES, or a quarter of the sentences of a short document."""
    doc = _document(doc)
    text = doc.text
    layout = _layout(text)
    ref = reference_for(text, doc.metadata or {})
    rows = document_rows(doc)
    chosen_targets = _target_points(doc, rows, layout, targets)
    limit = priorities if priorities is not None else min(PRIORITIES, max(2, len(layout) // 4))
    taken = [(p.start, p.end) for p in chosen_targets]
    scored = []
    for s in layout:
        score = _priority_score(text, s, ref)
        if not score or any(a < s.end and s.start < b for a, b in taken):
            continue
        start = _unmarked(text, s.start, s.end)
        end = s.list_end
        hits = overlapping(start, end, doc.warnings)
        scored.append((score, start, s.heading, KeyPoint(
            kind="priority", doc_id=doc.doc_id, quote=text[start:end], start=start, end=end, heading=s.heading,
            garbled=bool(hits), garbled_warning="; ".join(w["message"] for w in hits))))
    points = _spread(scored, limit) + chosen_targets
    return sorted(points, key=lambda p: (p.start, p.end))


# --------------------------------------------------------------------------- brief

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    """Escape what would change the Markdown (emphasis, code, links, HTML, tables), on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _cite(point: KeyPoint | QuizItem) -> str:
    return f"[{_md(point.doc_id)}:{point.start}-{point.end}]"


def _target_line(point: KeyPoint) -> str:
    figure = "; ".join(point.figures)
    due = f"due {point.deadline_norm}" if point.deadline_norm else "deadline not resolved" if point.deadline else ""
    facts = " · ".join(part for part in (f"**{_md(figure)}**" if figure else "", _md(due),
                                         _md(point.responsible) if point.responsible else "") if part)
    line = f"- {facts + ': ' if facts else ''}“{_md(point.quote)}” {_cite(point)}"
    if point.garbled:
        line += f"\n  - ⚠ *Possibly garbled figure:* {_md(point.garbled_warning)}; check the original source."
    return line


def _document_section(doc: StoredDocument) -> list[str]:
    meta = doc.metadata or {}
    facts = [f"*Issuer:* {_md(str(meta.get('issuer') or 'not stated'))}", f"*Date:* {meta.get('date') or 'not stated'}",
             f"*Document:* `{doc.doc_id}`"]
    lines = [f"## {_md(str(meta.get('title') or doc.doc_id))}", "", " · ".join(facts), ""]
    points = key_points(doc)
    priorities = [p for p in points if p.kind == "priority"]
    targets = [p for p in points if p.kind != "priority"]
    if priorities:
        lines += ["**Priorities**", ""]
        for p in priorities:
            where = f"*{_md(p.heading)}:* " if p.heading else ""
            lines.append(f"- {where}“{_md(p.quote)}” {_cite(p)}")
            if p.garbled:
                lines.append(f"  - ⚠ *Possibly garbled figure:* {_md(p.garbled_warning)}; check the original source.")
        lines.append("")
    if targets:
        lines += ["**Targets and deadlines**", ""] + [_target_line(p) for p in targets]
        rest = len({(r["start"], r["end"]) for r in doc.targets if r.get("kind") != "reported"}) - len(targets)
        if rest > 0:
            lines.append(f"- … and {rest} more in the targets ledger (`assistant targets --doc {doc.doc_id}`).")
        lines.append("")
    if not points:
        lines += ["*No priorities, targets or deadlines found in this document.*", ""]
    flagged = [w for w in doc.warnings if w.get("start") is not None]
    if flagged:
        lines += ["**Check before use: possibly garbled figures**", ""]
        lines += [f"- ⚠ “{_md(doc.text[w['start']:w['end']])}”: {_md(w['message'])} "
                  f"[{_md(doc.doc_id)}:{w['start']}-{w['end']}]" for w in flagged]
        lines.append("")
    return lines


def brief_markdown(docs: Iterable[StoredDocument | dict]) -> str:
    """A trainer's brief: per document its facts, its priorities and its targets, each quoted
    with a [doc_id:start-end] citation."""
    lines = ["# Training brief: priorities, targets and deadlines", "",
             "Each point quotes the document verbatim; the bracket gives the document id and character span.", ""]
    for doc in map(_document, docs):
        lines += _document_section(doc)
    return "\n".join(lines)


# --------------------------------------------------------------------------- quiz

def _is_short(answer: str) -> bool:
    if has_cjk(answer):
        return len(answer) <= ANSWER_CJK
    return len(answer.split()) <= ANSWER_WORDS and len(answer) <= ANSWER_CHARS


def _blanked(quote: str, answer: str) -> str | None:
    """The quote with its one occurrence of `answer` blanked; None when ambiguous."""
    if not answer or quote.count(answer) != 1:
        return None
    text = quote.replace(answer, BLANK).strip(" *#•-")
    return text[:1].upper() + text[1:]


def _item(doc: StoredDocument, row: Target, kind: QuizKind, prompt: str, answer: str, start: int, end: int,
          due: str | None = None) -> QuizItem | None:
    """A question on text[start:end] with `answer` blanked, or None when it would not be fair:
    a long source, a long or ambiguous answer, or an answer inside a possibly garbled figure."""
    quote = doc.text[start:end]
    if not _is_short(answer) or _words(quote) > (QUOTE_CJK // 2 if has_cjk(quote) else QUOTE_WORDS):
        return None
    blanked = _blanked(quote, answer)
    if blanked is None:
        return None
    at = start + quote.index(answer)
    if overlapping(at, at + len(answer), doc.warnings):
        return None
    return QuizItem(question=f"{prompt} {blanked}", answer=answer, kind=kind, doc_id=doc.doc_id, quote=quote,
                    start=start, end=end, title=row.title, due=due)


def _candidates(doc: StoredDocument) -> list[QuizItem]:
    items = []
    layout = _layout(doc.text)
    for row in document_rows(doc):
        where = layout.at(row.start)
        if row.garbled or where is None or not where.clean:  # a doubtful figure, or a broken line: no question
            continue
        if row.kind != "reported" and P.FORECAST.search(row.statement):  # a forecast's date is no deadline
            continue
        if row.value and row.kind in ("target", "reported"):
            items.append(_item(doc, row, "fill-in-the-figure", "Fill in the figure:", row.value, row.start, row.end))
        if row.deadline and row.kind != "reported":
            items.append(_item(doc, row, "by-when", "By when?", row.deadline, row.start, row.end, row.deadline_norm))
        if row.responsible and row.kind != "reported":
            s, e = (row.start, row.end) if row.responsible in row.statement else (where.start, max(where.end, row.end))
            items.append(_item(doc, row, "which-body", "Who is responsible?", row.responsible, s, e))
    return [item for item in items if item is not None]


def build_quiz(docs: Iterable[StoredDocument | dict], n: int = 10, seed: int = 0) -> list[QuizItem]:
    """Up to n questions, taking the three kinds in turn; the same seed gives the same quiz."""
    rng = random.Random(seed)
    pools: dict[str, list[QuizItem]] = {"fill-in-the-figure": [], "by-when": [], "which-body": []}
    seen = set()
    for doc in map(_document, docs):
        for item in _candidates(doc):
            key = (item.kind, item.doc_id, item.start, item.answer)
            if key not in seen:
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
        due = f" ({_md(item.due)})" if item.due and item.due not in item.answer else ""
        lines += [f"{i}. {_md(item.question)}",
                  f"   - *Answer:* {_md(item.answer)}{due}",
                  f"   - *Source:* {_md(item.title or item.doc_id)}, “{_md(item.quote)}” {_cite(item)}", ""]
    return "\n".join(lines)


def quiz_json(items: list[QuizItem]) -> str:
    return TypeAdapter(list[QuizItem]).dump_json(items, indent=2).decode()
