"""Sentence and paragraph boundaries with exact character spans.

Everything here returns spans into the text it is given, never modified text,
so citations can always be checked against the stored document. Handles English
and Chinese punctuation (。！？；), closing quotes and brackets after a stop,
decimals (1.5), and common abbreviations (U.S., No., e.g.).
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "no", "nos", "vs", "etc", "e.g", "i.e", "fig", "art",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "co", "corp", "inc", "ltd", "st", "gen", "u.s", "u.k", "u.n", "approx", "dept", "vol", "p", "pp",
}
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CLOSERS = "\"'”’」』）)】》]"
# A stop, then any closing quotes/brackets. CJK stops end a sentence on their own;
# Latin stops need whitespace (or end of text) after them.
_CJK_STOP = re.compile(rf"[。！？!?；][{re.escape(_CLOSERS)}]*")
_LATIN_STOP = re.compile(rf"[.!?][{re.escape(_CLOSERS)}]*(?=\s|$)")
_PARA_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[#*\-•]|\d+[.)、]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）))")
_CJK_CHAR = re.compile(f"[{_CJK}]")


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))


def cjk_ratio(text: str) -> float:
    letters = [c for c in text if not c.isspace()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if _CJK_CHAR.match(c)) / len(letters)


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs: separated by blank lines; a single newline also separates lines
    that do not wrap (policy texts put one paragraph per line)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line_match in re.finditer(r"[^\n]*(?:\n|$)", text):
        s, e = line_match.span()
        if s == e:
            break
        span = _trim(text, s, e)
        if span:
            spans.append(span)
        pos = e
    del pos
    return _merge_wrapped_lines(text, spans)


def _merge_wrapped_lines(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join hard-wrapped lines (a line ending mid-sentence followed by a lower-case
    continuation) so a wrapped paragraph is one paragraph."""
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged:
            ps, pe = merged[-1]
            gap = text[pe:s]
            prev_last = text[pe - 1]
            first = text[s]
            if gap.count("\n") == 1 and prev_last not in ".!?。！？:：;；\"”)）" and (first.islower() or first in ",，"):
                merged[-1] = (ps, e)
                continue
        merged.append((s, e))
    return merged


def _is_abbreviation(text: str, stop: int) -> bool:
    """True when the '.' at `stop` ends an abbreviation or an initial, not a sentence."""
    if text[stop] != ".":
        return False
    m = re.search(r"([A-Za-z][A-Za-z.]*)$", text[max(0, stop - 12):stop])
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    if word in _ABBREVIATIONS:
        return True
    # Single capital initial ("J. Smith"), but not a sentence ending in "I."
    return len(m.group(1)) == 1 and m.group(1).isupper() and m.group(1) != "I"


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences inside text[start:end], as absolute spans, each trimmed of whitespace."""
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    for ps, pe in paragraph_spans(text[start:end]):
        ps += start
        pe += start
        cur = ps
        stops = sorted(
            [m.end() for m in _CJK_STOP.finditer(text, ps, pe)]
            + [m.end() for m in _LATIN_STOP.finditer(text, ps, pe) if not _is_abbreviation(text, m.start())]
        )
        for stop in stops:
            if stop <= cur:
                continue
            span = _trim(text, cur, stop)
            if span:
                out.append(span)
            cur = stop
        span = _trim(text, cur, pe)
        if span:
            out.append(span)
    return _join_fragments(text, out)


def _join_fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Glue tiny fragments (a lone "*" or a stray closing bracket) to the sentence before."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        frag = text[s:e]
        if out and len(frag.strip("*#-•·. ")) == 0 and "\n" not in text[out[-1][1]:s]:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


_LABEL = re.compile(r"([A-Z0-9][^.!?\n]{0,60}?)\.\s+(?=[A-Z\"“(*])")
_CN_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十百]+、|（[一二三四五六七八九十]+）|第[一二三四五六七八九十百]+[章节条部分])")


def paragraph_label(text: str, start: int, end: int) -> str:
    """A short run-in heading such as "Baseline." or "Target." opening a paragraph."""
    m = _LABEL.match(text, start, end)
    if m and len(m.group(1).split()) <= 7:
        return m.group(1).strip()
    return ""


def is_heading_line(line: str) -> bool:
    """Markdown headings, Chinese numbered headings, and short lines with no final stop."""
    s = line.strip()
    if not s:
        return False
    if s.startswith("#"):
        return True
    if _CN_HEADING.match(s) and len(s) <= 40:
        return True
    return (
        len(s) <= 80
        and len(s.split()) <= 12
        and s[-1] not in ".!?。！？,，;；:：\"”)"
        and not s.startswith(("-", "*", "•"))
        and any(c.isalpha() for c in s)
        and (s[0].isupper() or s[0].isdigit() or has_cjk(s[0]))
    )
