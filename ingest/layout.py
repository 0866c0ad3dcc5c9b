"""Rebuild the text flow of a PDF text layer: drop page furniture, join wrapped lines.

pypdf gives one line per printed line, page by page, with the running heads,
footers and page numbers of every page in the middle of the text. This module
turns that into the cleaned document text:

- **Page furniture** is found by position and repetition, never by known
  strings: a line among the first or last few lines of a page is a running head
  or footer when the same line (digits ignored) opens or closes many pages, and
  a page number when it is a bare number that follows the page sequence.
- **Paragraphs** are rebuilt from the line geometry the text layer keeps (line
  lengths against the document's usual line width, indentation, terminal
  punctuation, list markers, table rows). Wrapped lines are joined with a space
  whatever the next line starts with; a hyphenated line end and a wrap between
  two CJK characters keep their newline (removing it would change the words a
  quote is checked against); paragraphs are separated by a blank line, list
  items and table rows keep a line each.

The result differs from the text layer only by whitespace and by the furniture
lines it dropped. Every place where something was dropped between two kept
pieces of text is recorded as a *seam* (an offset in the cleaned text), so a
quote that crosses one can be cut into pieces that are each verbatim.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ingest.text import ends_sentence, has_cjk, is_list_item, is_table_row

_ZONE_LINES = 3  # lines at the top and bottom of a page that may be furniture
_MAX_DROP = 2  # furniture lines taken off one edge of a page at most (a head and a page number)
_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:page\s*)?(\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:of|/)\s*\d{1,4})?[\W_]*$", re.IGNORECASE
)
_ROMAN = re.compile(r"^(?=[ivxlcdm]+$)m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$", re.IGNORECASE)
_HYPHEN_END = re.compile(r"[A-Za-z\u00c0-\u024f][-\u00ad]$")
_CLOSING = "\"'”’)]）】」』》"
_FOOTNOTE = re.compile(r"^\d{1,3}[A-Z][a-z]")  # "3Temporary factors include...": a footnote's text


@dataclass
class Flow:
    """The rebuilt text, where each page's kept text lies in it, and the seams."""

    text: str
    pages: list[tuple[int, int, int]] = field(default_factory=list)  # (page number, start, end)
    seams: list[int] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)  # the distinct lines dropped, for reports


@dataclass
class _Line:
    text: str  # stripped
    page: int
    indent: bool
    blank_before: bool  # an empty line precedes it on the same page


def _furniture_key(line: str) -> str:
    """A running head without its page number: letters and punctuation only."""
    return re.sub(r"[\d\s]+", "", line).lower()


def _page_number(line: str) -> int | None:
    m = _PAGE_NUMBER.match(line.strip())
    if not m:
        return None
    token = m.group(1)
    if token.isdigit():
        return int(token)
    return 0 if _ROMAN.match(token) else None  # roman numerals: front matter, no sequence to check


def _zones(lines: list[str]) -> list[int]:
    """Indexes of the first and last non-empty lines of a page."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:_ZONE_LINES] + filled[-_ZONE_LINES:]))


def find_furniture(pages: list[list[str]]) -> list[set[int]]:
    """For each page, the indexes of its lines that are running heads, footers or page numbers."""
    with_text = [p for p in pages if any(line.strip() for line in p)]
    keys: Counter[str] = Counter()
    offsets: Counter[int] = Counter()
    for index, lines in enumerate(pages):
        seen = set()
        for i in _zones(lines):
            key = _furniture_key(lines[i])
            if len(key) >= 4 and key not in seen:
                seen.add(key)
                keys[key] += 1
            number = _page_number(lines[i])
            if number:
                offsets[number - index] += 1
    min_repeats = max(3, round(0.05 * len(with_text)))
    repeated = {k for k, n in keys.items() if n >= min_repeats}
    # page numbers follow the page index with a fixed offset (front matter shifts it)
    sequence = {off for off, n in offsets.items() if n >= 2}
    found = []
    for index, lines in enumerate(pages):
        def is_furniture(i: int) -> bool:
            line = lines[i]
            if _furniture_key(line) in repeated:
                return True
            number = _page_number(line)
            return number is not None and (number == 0 or number - index in sequence)

        drop: set[int] = set()
        filled = [i for i, line in enumerate(lines) if line.strip()]
        for edge in (filled[:_MAX_DROP], filled[::-1][:_MAX_DROP]):
            for i in edge:  # from the page edge inwards, while the lines are furniture
                if not is_furniture(i):
                    break
                drop.add(i)
        found.append(drop if len(drop) < len(filled) else set())  # a page is never all furniture
    return found


def _typical_width(lines: list[_Line]) -> int:
    """The usual length of a full prose line (90th percentile of non-table lines)."""
    lengths = sorted(len(line.text) for line in lines if not is_table_row(line.text))
    if not lengths:
        return 80
    return max(20, lengths[int(0.9 * (len(lengths) - 1))])


def _is_heading(line: str, width: int) -> bool:
    """A short line with no final stop that opens a paragraph: a title or a section heading."""
    if ends_sentence(line) or line.endswith((",", "，", "、", "-", "—", "–")):
        return False
    if len(line) > 0.7 * width or not any(c.isalpha() for c in line):
        return False
    first = line[0]
    return first.isupper() or first.isdigit() or has_cjk(first) or first in "\"“‘'(（[【《"


def _starts_lower(line: str) -> bool:
    first = line.lstrip(_CLOSING)[:1] if line[:1] in _CLOSING else line[:1]
    return bool(first) and (first.islower() or first in ",，;；:：.。)）")


def _joiner(prev: str, nxt: str) -> str:
    """What goes between two wrapped lines of one paragraph."""
    if _HYPHEN_END.search(prev) and nxt[:1].islower():
        return "\n"  # "infra-\nstructure": the characters stay, sentence code joins the word
    if has_cjk(prev[-1:]) or has_cjk(nxt[:1]):
        return "\n"  # no space between CJK characters in the source: keep the line break
    return " "


def _boundary(prev: _Line, line: _Line, prev_opens: bool, in_item: bool, width: int) -> str:
    """'' to join `line` to `prev` as a wrapped line, else the separator before a new line:
    a blank line where the layout shows a paragraph ends, a newline where the sentence
    code decides (list items, table rows, runs of short lines) by the rules of
    `ingest.text.paragraph_spans`."""
    if line.blank_before and line.page == prev.page:
        return "\n\n"
    if is_table_row(prev.text) or is_table_row(line.text) or is_list_item(line.text):
        return "\n"
    if _FOOTNOTE.match(line.text):
        return "\n\n"
    if _starts_lower(line.text):
        return ""  # whatever precedes, a line starting in lower case continues it
    if prev_opens and _is_heading(prev.text, width):
        return "\n" if _is_heading(line.text, width) else "\n\n"
    if ends_sentence(prev.text) and (len(prev.text) < 0.85 * width or line.indent or _is_heading(line.text, width)):
        return "\n\n"  # a short last line, an indented first line, or a heading after a full stop
    if len(prev.text) < 0.6 * width and not _HYPHEN_END.search(prev.text):
        # a line that stops far short of the margin was ended on purpose (cover pages, captions)
        return "\n" if _is_heading(line.text, width) and not in_item else "\n\n"
    return ""


def rebuild(pages: list[str], numbers: list[int] | None = None) -> Flow:
    """Cleaned text of a PDF from its pages' text (already newline-normalised)."""
    numbers = numbers or list(range(1, len(pages) + 1))
    split = [p.split("\n") for p in pages]
    furniture = find_furniture(split)
    lines: list[_Line] = []
    removed_before: dict[int, bool] = {}  # index into `lines` -> furniture dropped just before it
    dropped_names: list[str] = []
    pending_removal = False
    for page_index, (page_lines, drop) in enumerate(zip(split, furniture)):
        blank = False
        for i, raw in enumerate(page_lines):
            if i in drop:
                pending_removal = True
                if raw.strip() not in dropped_names and len(dropped_names) < 50:
                    dropped_names.append(raw.strip())
                continue
            stripped = raw.strip()
            if not stripped:
                blank = True
                continue
            if pending_removal and lines:
                removed_before[len(lines)] = True
            pending_removal = False
            lines.append(_Line(stripped, page_index, raw[:1].isspace(), blank))
            blank = False
    width = _typical_width(lines)

    parts: list[str] = []
    page_spans: dict[int, list[int]] = {}
    seams: list[int] = []
    pos = 0
    prev: _Line | None = None
    opens = True  # the current line opens a paragraph
    in_item = False  # ... and that paragraph is a list item
    for index, line in enumerate(lines):
        if prev is not None:
            sep = _boundary(prev, line, opens, in_item, width)
            joiner = sep or _joiner(prev.text, line.text)
            parts.append(joiner)
            pos += len(joiner)
            opens = bool(sep)
            if sep:
                in_item = is_list_item(line.text) or (in_item and sep == "\n" and not is_table_row(line.text))
            if removed_before.get(index):
                seams.append(pos)
        start = pos
        parts.append(line.text)
        pos += len(line.text)
        span = page_spans.setdefault(line.page, [start, pos])
        span[1] = pos
        prev = line
    pages_out = [(numbers[p], s, e) for p, (s, e) in sorted(page_spans.items())]
    return Flow("".join(parts), pages_out, seams, dropped_names)
