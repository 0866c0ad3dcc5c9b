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
    "rs", "hon", "rt", "govt", "para", "paras", "sec", "viz", "cf", "al", "incl", "sr", "jr", "mt", "nos",
}
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CLOSERS = "\"'”’」』）)】》]"
# A stop, then any closing quotes/brackets. CJK stops end a sentence on their own;
# Latin stops need whitespace (or end of text) after them.
_CJK_STOP = re.compile(rf"[。！？!?；][{re.escape(_CLOSERS)}]*")
_LATIN_STOP = re.compile(rf"[.!?][{re.escape(_CLOSERS)}]*(?=\s|$)")
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


_CN_NUM = "一二三四五六七八九十百零"
# A list item or numbered paragraph opens its line: bullets, 1. 1) (1) a. (a) iv) and the Chinese forms.
_LIST_ITEM = re.compile(
    rf"""[ \t\u3000]*(?:
        [•●▪◦■□◆◇➢➤►✓✔❖○·\uf0b7\uf0a7\uf076\uf0d8](?=\s|$)
      | [-–*](?=\s)
      | \(?(?:\d{{1,3}}|[a-zA-Z]|(?=[ivxIVX])(?:[xX]{{0,3}})(?:[iI][xX]|[iI][vV]|[vV]?[iI]{{0,3}}))[.)](?=\s)
      | \((?:\d{{1,3}}|[a-zA-Z]|(?=[ivxIVX])(?:[xX]{{0,3}})(?:[iI][xX]|[iI][vV]|[vV]?[iI]{{0,3}}))\)
      | [{_CN_NUM}]+、 | [（(][{_CN_NUM}\d]+[）)] | 第[{_CN_NUM}\d]+[章节条部分] | \d{{1,2}}[、．]
    )""",
    re.VERBOSE,
)
_TERMINAL = ".!?。！？；;:：…"
_NUMERIC_TOKEN = re.compile(r"[(\[]?[-–+]?[$€£¥₹]?\d[\d.,]*%?[)\]]?|[-–—]|n\.?a\.?|\.{2,}", re.IGNORECASE)
_HEADING_MAX = 60  # characters: longer lines are prose even without a final stop
_CJK_HEADING_MAX = 25


def is_list_item(line: str) -> bool:
    """The line opens with a bullet or an item number ("1.", "i)", "(a)", "●", "一、", "（二）")."""
    return bool(_LIST_ITEM.match(line))


def _in_marker(text: str, stop: int, floor: int) -> bool:
    """True when the stop at `stop` belongs to the item marker opening its line ("7." or "a.")."""
    line_start = max(text.rfind("\n", floor, stop) + 1, floor)
    if stop - line_start > 8:
        return False
    m = _LIST_ITEM.match(text, line_start)
    return bool(m) and m.end() > stop


_LEADER_ROW = re.compile(r"(?:\.{4,}|…{2,}|(?: \.){4,})\s*[\divxlcdm]+\s*$", re.IGNORECASE)


def is_table_row(line: str) -> bool:
    """A row of figures (three or more numbers making up at least half of the line's
    words), a row of cells as the loaders write them ("a | b"), or a contents line
    ("Introduction ........ 12")."""
    if _LEADER_ROW.search(line) or " | " in line:
        return True
    tokens = line.split()
    if len(tokens) < 3:
        return False
    numeric = sum(1 for t in tokens if _NUMERIC_TOKEN.fullmatch(t))
    return numeric >= 3 and numeric * 2 >= len(tokens)


def ends_sentence(line: str) -> bool:
    """The line ends with a stop (or a colon/semicolon), not with an abbreviation like "Rs." or "No."."""
    s = line.rstrip().rstrip(_CLOSERS)
    if not s or s[-1] not in _TERMINAL:
        return False
    return not (s[-1] == "." and _is_abbreviation(s, len(s) - 1))


def _heading_like(line: str) -> bool:
    """Short, no final stop, opening its paragraph: a title, a heading or a signature line."""
    s = line.strip()
    if not s or ends_sentence(s) or s.endswith((",", "，", "、", "-")):
        return False
    if s.startswith("#"):
        return True
    limit = _CJK_HEADING_MAX if cjk_ratio(s) > 0.5 else _HEADING_MAX
    return len(s) <= limit


def _joins(prev: str, line: str, prev_opens: bool, in_item: bool) -> bool:
    """Does `line` belong to the paragraph (or list) that `prev` ends (hard-wrapped text)?"""
    if is_table_row(prev) or is_table_row(line) or prev.lstrip().startswith("#"):
        return False
    if is_list_item(line):  # the next item of a list of short unterminated phrases stays in it
        return in_item and not ends_sentence(prev) and _heading_like(line)
    first = line.lstrip()[:1]
    if first.islower() or first in ",，;；)）":
        return True
    if ends_sentence(prev):
        return False
    if prev_opens and not in_item and _heading_like(prev):
        return _heading_like(line)  # a run of short lines is one block; a heading stops before prose
    return True


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs: blank lines always separate; a single newline separates lines that
    do not wrap (policy texts often put one paragraph per line). A line wraps into the
    next whatever that one starts with (capital, digit, currency sign...) unless it
    ends a sentence or heads a section, or the next line is a list item or either is
    a table row. Items of a list of short phrases, and runs of short lines (title
    blocks, signatures), stay together, one line each."""
    spans: list[tuple[int, int]] = []
    prev_line = ""
    blank = True
    opens = in_item = False
    for m in re.finditer(r"[^\n]*", text):
        s, e = m.span()
        if s == e and s > 0 and text[s - 1] != "\n":
            continue  # the empty match after a line's last character
        span = _trim(text, s, e)
        if span is None:
            blank = True
            continue
        line = text[span[0]:span[1]]
        if spans and not blank and _joins(prev_line, line, opens, in_item):
            spans[-1] = (spans[-1][0], span[1])
            opens = False
        else:
            spans.append(span)
            opens, in_item = True, is_list_item(line)
        prev_line = line
        blank = False
    return spans


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
            [m.end() for m in _CJK_STOP.finditer(text, ps, pe) if not _in_marker(text, m.start(), ps)]
            + [m.end() for m in _LATIN_STOP.finditer(text, ps, pe)
               if not _is_abbreviation(text, m.start()) and not _in_marker(text, m.start(), ps)]
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


def paragraph_label(text: str, start: int, end: int) -> str:
    """A short run-in heading such as "Baseline." or "Target." opening a paragraph."""
    m = _LABEL.match(text, start, end)
    if m and len(m.group(1).split()) <= 7 and sum(c.isalpha() for c in m.group(1)) >= 2:
        return m.group(1).strip()
    return ""
