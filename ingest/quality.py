"""Flag figures that look garbled in a source, so an editor can fix the file.

The text is never changed: we only report where (file, character span) and why.
Two common defects of machine-translated or OCR'd policy texts:
- a share or coverage over 100% ("coverage ... has reached 613%");
- a number glued to a word ("1More than 80,000 items").
"""

from __future__ import annotations

import re

_PERCENT = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})*(?:\.\d+)?)\s?(%|percent\b|％)")
_GLUED = re.compile(r"(?<![\w.,])(\d+)([A-Z][a-z]{2,})")
# Growth and change can legitimately exceed 100%.
_GROWTH = re.compile(r"\b(grow|grew|grown|growth|increas|rise|rose|risen|up|jump|surg|climb|soar|expan|doubl|fell|drop|declin|decreas|year[- ]on[- ]year)\w*|增长|同比|提高|上升|下降", re.I)


def garbled_figures(text: str) -> list[dict]:
    """[{start, end, excerpt, message}] for each suspicious figure in `text`."""
    found: list[dict] = []
    for m in _PERCENT.finditer(text):
        value = float(m.group(1).replace(",", ""))
        if value <= 100:
            continue
        before = text[max(0, m.start() - 80):m.start()]
        if _GROWTH.search(before):
            continue
        found.append(_flag(text, m.start(), m.end(), f"share of {m.group(0)} is over 100%: possibly garbled figure"))
    for m in _GLUED.finditer(text):
        found.append(_flag(text, m.start(), m.end(), f"number glued to text in '{m.group(0)}': possibly garbled figure"))
    return sorted(found, key=lambda f: f["start"])


def _flag(text: str, start: int, end: int, message: str) -> dict:
    lo, hi = max(0, start - 40), min(len(text), end + 40)
    return {"start": start, "end": end, "excerpt": text[lo:hi].replace("\n", " "), "message": message}
