"""Metadata found in the text itself: the byline (who reported or wrote it).

News items and briefings often end with the reporter's name in brackets,
"(Li Xinping)", or open with "By ...". Stored with its span so an answer to
"who reported this?" can cite it like any other quote.
"""

from __future__ import annotations

import re

_NAME = r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,3}"
_PATTERNS = [
    # trailing "(Li Xinping)" / "(Reporter Li Xinping)" / "(Xinhua reporter Li Xinping)" at the very end
    re.compile(rf"\((?:(?:[A-Z][a-z]+ )?(?:reporter|correspondent|journalist|editor|by)[:：]?\s+)?(?P<name>{_NAME})\)\s*[.。]?\s*\Z", re.I),
    re.compile(rf"\A\s*(?:By|Author[:：]|Reporter[:：]|Written by)\s+(?P<name>{_NAME})\b"),
    re.compile(rf"^(?:Reporter|Author|Correspondent|Written by)[:：]\s*(?P<name>{_NAME})\s*$", re.M),
    re.compile(r"[（(](?:记者|作者|通讯员)[:：\s]*(?P<name>[\u4e00-\u9fff·]{2,8})[）)]"),
    re.compile(r"^(?:记者|作者)[:：\s]+(?P<name>[\u4e00-\u9fff·]{2,8})\s*$", re.M),
]


def find_byline(text: str) -> dict | None:
    """{'author', 'author_start', 'author_end'} when the text names its reporter/author."""
    for pat in _PATTERNS:
        m = pat.search(text)
        if m:
            name = m.group("name")
            if name.lower() in {"the", "this", "see", "note", "ibid"}:
                continue
            return {"author": name, "author_start": m.start("name"), "author_end": m.end("name")}
    return None
