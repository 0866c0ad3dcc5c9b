"""What every answer looks like: citations cut from the stored text, refusals with
the closest passages, the "quoted from" note, and warnings for garbled figures.

One place for these, whatever stage answered, so an extractive, ledger, byline or
generated answer cites, refuses and warns the same way.
"""

from __future__ import annotations

from assistant.models import Answer, Citation, ScoredChunk
from assistant.models import Filters
from assistant.store import StoredDocument
from ingest.text import cjk_ratio

REFUSAL = {
    "en": "The indexed documents do not contain an answer to this question.",
    "zh": "已索引的文件中没有这个问题的答案。",
}
RELATED = {"en": "Closest passages:", "zh": "最接近的段落："}
FILTERED = {
    "en": "Only the documents selected by the active filter were searched ({what}).",
    "zh": "只检索了筛选条件选中的文件（{what}）。",
}
# Said under an answer quoted from a source in another language than the question's.
QUOTED_FROM = {
    "en": {"zh": "(quoted from a Chinese source)", "en": "(quoted from an English source)"},
    "zh": {"zh": "（引自中文文件）", "en": "（引自英文文件）"},
}


def text_language(text: str) -> str:
    """'zh' for text that is mostly Chinese, else 'en' (the same rule as for questions)."""
    return "zh" if cjk_ratio(text) > 0.3 else "en"


def trim_quote(text: str, s: int, e: int) -> tuple[int, int]:
    """Drop leading bullet/bold markers ("** ", "* ") from a quote's span; it stays verbatim."""
    while s < e and text[s] in "*#•·>- \t":
        s += 1
    return s, e


def citation(n: int, doc: StoredDocument, start: int, end: int, page: int | None = None) -> Citation:
    """A numbered citation of `doc.text[start:end]`: verbatim by construction."""
    m = doc.metadata
    quote = doc.text[start:end]
    return Citation(n=n, doc_id=doc.doc_id, title=m.get("title", doc.doc_id), source=source_of(m),
                    date=m.get("date") or None, issuer=m.get("issuer", ""), quote=quote, start=start, end=end,
                    page=page, language=text_language(quote))


def citations(n: int, doc: StoredDocument, start: int, end: int, page: int | None = None) -> list[Citation]:
    """The citation of a span, as one piece per stretch between the document's seams (where
    the loader cut page furniture or markup out of the source): each piece is then verbatim
    in the source file too, not only in the cleaned text. All pieces carry the same `n`."""
    cuts = [s for s in doc.metadata.get("seams") or () if start < s < end]
    pieces, at = [], start
    for cut in cuts + [end]:
        s, e = at, cut
        while s < e and doc.text[s].isspace():
            s += 1
        while e > s and doc.text[e - 1].isspace():
            e -= 1
        if e > s:
            pieces.append(citation(n, doc, s, e, page))
        at = cut
    return pieces or [citation(n, doc, start, end, page)]


def chunk_citations(n: int, hit: ScoredChunk, start: int, end: int, docs: dict[str, StoredDocument]) -> list[Citation]:
    """The citation of a span inside a retrieved chunk; from the stored document when it is there."""
    c = hit.chunk
    d = docs.get(c.doc_id)
    if d is not None and d.text[c.start:c.end] == c.text:
        return citations(n, d, start, end, page=c.page)
    m = c.metadata
    quote = c.text[start - c.start:end - c.start]
    return [Citation(n=n, doc_id=c.doc_id, title=m.get("title", ""), source=source_of(m), date=m.get("date") or None,
                     issuer=m.get("issuer", ""), quote=quote, start=start, end=end, page=c.page,
                     language=text_language(quote))]


def source_of(meta: dict) -> str:
    """The document's path relative to the folder that was indexed (never the server's absolute path)."""
    from pathlib import PurePath

    rel = meta.get("relpath")
    if rel:
        return str(rel)
    path = meta.get("path") or ""
    return PurePath(path).name if path and "://" not in path else path


def renumber(cits: list[Citation]) -> list[Citation]:
    """Numbers 1, 2, ... in order, pieces of one citation keeping one number."""
    out, numbers = [], {}
    for c in cits:
        numbers.setdefault(c.n, len(numbers) + 1)
        out.append(c.model_copy(update={"n": numbers[c.n]}))
    return out


def cited_pieces(cits: list[Citation]) -> list[str]:
    """Each citation's text followed by its marker (pieces of one citation joined by a space)."""
    out: list[str] = []
    for i, c in enumerate(cits):
        last = i + 1 == len(cits) or cits[i + 1].n != c.n
        out.append(c.quote + (f" [{c.n}]" if last else ""))
    return out


def cited_text(cits: list[Citation]) -> str:
    """The answer body of an extractive answer: each quote followed by its marker."""
    return " ".join(cited_pieces(cits))


def filter_note(filters: Filters, lang: str) -> str | None:
    if not filters:
        return None
    parts = []
    if filters.doc:
        parts.append(("documents: " if lang == "en" else "文件：") + ", ".join(filters.doc))
    if filters.issuer:
        parts.append(("issuer: " if lang == "en" else "发布机构：") + ", ".join(filters.issuer))
    if filters.doc_type:
        parts.append(("type: " if lang == "en" else "类型：") + ", ".join(filters.doc_type))
    if filters.since:
        parts.append(("since " if lang == "en" else "起始 ") + filters.since)
    if filters.until:
        parts.append(("until " if lang == "en" else "截至 ") + filters.until)
    return FILTERED[lang].format(what="; ".join(parts))


def refusal(question: str, lang: str, related: list[Citation], reason: str | None = None,
            filters: Filters | None = None, answerer: str = "extractive") -> Answer:
    """"The documents do not contain this", with the closest passages and, under a filter, a note saying so."""
    related = renumber(related)
    text = REFUSAL[lang]
    note = filter_note(filters or Filters(), lang)
    if note:
        text += " " + note
    if related:
        lines: dict[int, list[str]] = {}
        for c in related:
            lines.setdefault(c.n, []).append(c.quote)
        text += "\n\n" + RELATED[lang] + "\n" + "\n".join(f"[{n}] {' '.join(q)}" for n, q in lines.items())
    return Answer(question=question, answer=text, refused=True, related=related, answerer=answerer,
                  warnings=[f"refused: {reason}"] if reason else [])


def garbled_warnings(citations: list[Citation], docs: dict[str, StoredDocument]) -> list[str]:
    """A warning for every cited quote that holds a figure ingestion flagged as possibly garbled."""
    out = []
    for c in citations:
        d = docs.get(c.doc_id)
        for w in (d.warnings if d else []):
            if w.get("start") is not None and w["start"] < c.end and w["end"] > c.start:
                out.append(f"[{c.n}] {w['message']} ('{d.text[w['start']:w['end']]}' in {d.title}); check the original source.")
    return out


def quoted_from_note(lang: str, citations: list[Citation]) -> str:
    other = sorted({c.language for c in citations} - {lang})
    return " ".join(QUOTED_FROM[lang].get(x, "") for x in other).strip()
