"""Flag figures that look garbled in a source, so an editor can fix the file.

The text is never changed: we only report where (file, character span) and why.
A warning users learn to ignore is worse than none, so a figure is flagged only
where its context makes it implausible:
- a share or coverage over 100% ("the coverage ... has reached 613%"): the
  sentence before the figure says it is a share, coverage or proportion. Growth
  rates, penalties, payments "of 120% of the tax", ratios, price indices and table
  cells (no such word) exceed 100% legitimately and are not flagged;
- a number glued to a word inside running text ("measures 1More than 80,000"),
  not a footnote opening its line ("3Temporary factors include...") nor a
  footnote marker after a word ("resilience2 (see...").
"""

from __future__ import annotations

import re

_PERCENT = re.compile(r"(?<![0-9A-Za-z.,])(\d{1,3}(?:,\d{3})*(?:\.\d+)?)\s?(%|percent\b|per cent\b|％)")
_GLUED = re.compile(r"(?<![\w.,])(\d+)([A-Z][a-z]{2,})")
# words saying a figure is a part of a whole, so it cannot pass 100%
_SHARE = re.compile(
    r"\b(?:coverage|covered|share|proportion|percentage|accounts?\s+for|accounted\s+for|of\s+(?:all|the\s+total)|"
    r"penetration|participation\s+rate|enrol?ment\s+rate|literacy\s+rate)\b|覆盖|占比|比重|比例|占[\u4e00-\u9fff]{0,12}的|普及率|参与率",
    re.I,
)
# ... unless the same clause says it is a change, a multiple or an index
_NOT_SHARE = re.compile(
    r"\b(?:grow|grew|grown|growth|increas|rise|rose|risen|up|jump|surg|climb|soar|expan|doubl|fell|drop|declin|"
    r"decreas|year[- ]on[- ]year|y/y|penalt|fine|surcharge|ratio|index|times)\w*|增长|同比|提高|上升|下降|倍",
    re.I,
)
_CLAUSE_START = re.compile(r"[.!?。！？；;\n](?=[^.!?。！？；;\n]*$)")
_CONTEXT = 160


def garbled_figures(text: str) -> list[dict]:
    """[{start, end, excerpt, message}] for each suspicious figure in `text`."""
    found: list[dict] = []
    for m in _PERCENT.finditer(text):
        if float(m.group(1).replace(",", "")) <= 100:
            continue
        before = text[max(0, m.start() - _CONTEXT):m.start()]
        stop = _CLAUSE_START.search(before)
        clause = before[stop.end():] if stop else before
        if _SHARE.search(clause) and not _NOT_SHARE.search(clause):
            found.append(_flag(text, m.start(), m.end(), f"share of {m.group(0)} is over 100%: possibly garbled figure"))
    for m in _GLUED.finditer(text):
        if _in_running_text(text, m.start()):
            found.append(_flag(text, m.start(), m.end(), f"number glued to text in '{m.group(0)}': possibly garbled figure"))
    return sorted(found, key=lambda f: f["start"])


def _in_running_text(text: str, start: int) -> bool:
    """True when the glued number follows a word and a space on the same line."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    return bool(re.search(r"[^\W\d_][^\S\n]+$", before))


def _flag(text: str, start: int, end: int, message: str) -> dict:
    lo, hi = max(0, start - 40), min(len(text), end + 40)
    return {"start": start, "end": end, "excerpt": text[lo:hi].replace("\n", " "), "message": message}
