"""Metadata found in the text itself: the byline, and the title, date, issuer and
document number an official document states on its first page.

News items and briefings often end with the reporter's name in brackets,
"(Li Xinping)", or open with "By ...". Stored with its span so an answer to
"who reported this?" can cite it like any other quote.
"""

from __future__ import annotations

import datetime as dt
import re

from ingest.text import has_cjk

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


# --------------------------------------------------------------------------- title, date, issuer, number
# What an official document says about itself on its first page (or, for Chinese
# documents, in the signature above the date): found here when no front matter,
# sidecar or file property says it. A date that cannot be found is left out, never
# guessed (a PDF's creation date is when the file was made, not the document).

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MONTHS = {m[:3]: i for m, i in _MONTHS.items()}
_MONTH = r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
_EN_DATES = [
    re.compile(rf"\b{_WEEKDAY}{_DAY}\s+(?:of\s+)?{_MONTH},?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    re.compile(rf"\b{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
]
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "O": 0}
_CN_NUM = r"[\d〇○零一二三四五六七八九十]"
_ZH_DATE = re.compile(rf"(?P<year>{_CN_NUM}{{4}})\s*年\s*(?P<month>{_CN_NUM}{{1,3}})\s*月\s*(?P<day>{_CN_NUM}{{1,3}})\s*日")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\s*(?:19|20)\d\d\s*[〕\]］)）]\s*\d{1,4}\s*号")
# issuers that the standard document-number prefixes stand for (GB/T 9704 style numbers)
_NUMBER_ISSUERS = {"国发": "国务院", "国函": "国务院", "国办发": "国务院办公厅", "国办函": "国务院办公厅"}
_ZH_ISSUER = re.compile(
    r"^(?:中共中央(?:办公厅)?、?)?(?:国务院办公厅|国务院|[\u4e00-\u9fff]{2,16}?(?:委员会|人民政府|办公厅|总局|部|委|局|署|银行|院))"
)
_EN_ISSUER = re.compile(
    r"^(?:(?:The\s+)?(?:Government|Ministry|Department|Office|Council|Parliament|Treasury)\s+(?i:of|for)\s+(?:the\s+)?[A-Z][\w&,' -]{2,60}"
    r"|(?:The\s+)?[A-Z][\w&' -]{2,60}\s(?:Ministry|Department|Commission|Council|Bank|Fund|Office|Agency|Authority|Treasury))$"
)
_EN_OFFICE = re.compile(r"^(?:(?:Deputy|Vice|Prime)\s+)?(?:Minister|Secretary)\s+(?i:of|for)\s+(?:the\s+)?[A-Z][\w&' -]{2,40}$")
_ZH_TOP_ORGANS = re.compile(r"全国人民代表大会常务委员会|国务院办公厅|国务院|中共中央办公厅|中共中央")
_ORG_WORDS = re.compile(r"\b(?:Government|Ministry|Department|Office|Council|Commission|Bank|Fund|Agency|Authority|Treasury|Parliament|Bureau|Organi[sz]ation)\b")
# first-page lines that say something about the text rather than name it
_NOT_TITLE = re.compile(
    r"^(?:theme|subject|ref|reference|file|tel|fax|e-?mail|website|address)\s*[:：]|translat|unofficial|\bdraft\b|"
    r"confidential|embargo|check against delivery|not for (?:publication|circulation)|www\.|https?:|@|^page\s+\d|"
    r"^(?:presented|delivered|submitted|published|printed|prepared)\b|^(?:by|on|at)\b",
    re.I,
)
_TITLE_WORDS = re.compile(
    r"\b(?:budget|speech|statement|report|plan|policy|programme|program|strategy|opinion|notice|circular|"
    r"decision|guidelines?|outlook|review|law|act|regulations?|framework|white paper|address)\b|"
    r"报告|意见|通知|方案|规划|决定|办法|条例|纲要|计划|白皮书|公告|通报|讲话", re.I,
)
_BAD_PROPERTY_TITLE = re.compile(r"^(?:untitled|document\d*|microsoft word\b.*|slide \d+|title|.*\.(?:docx?|pdf|rtf|txt))$", re.I)
_OPENING_CHARS = 2_500
_CLOSING_CHARS = 1_500
_DATE_LINE_MAX = 90  # a delivery date stands on a short line ("July 23, 2024", "On Tuesday March 11, 2025")
_DATE_LEAD = re.compile(r"(?:^[\W_]*|\b(?:on|dated|delivered|presented|issued|signed)\s+)$", re.I)  # "... Minister on 28 May 2024"


def meaningful_title(title: str) -> bool:
    """A file property worth showing: not empty, not a template leftover or a file name."""
    t = (title or "").strip()
    return len(t) >= 4 and any(c.isalpha() for c in t) and not _BAD_PROPERTY_TITLE.match(t)


def meaningful_issuer(author: str) -> bool:
    """A PDF/DOCX author that names an organisation (a person who typed the file is not an issuer)."""
    return bool(_ORG_WORDS.search(author or ""))


def _zh_number(token: str) -> int:
    if token.isdigit():
        return int(token)
    if all(c in _CN_DIGITS for c in token):  # 二〇一九
        return int("".join(str(_CN_DIGITS[c]) for c in token))
    tens, _, units = token.partition("十")  # 二十四, 十二, 三十
    if "十" in token:
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)
    return -1


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _dates_in(line: str) -> list[tuple[int, str]]:
    """(offset, ISO date) of every full date (day, month and year) written in `line`."""
    found = []
    for pattern in _EN_DATES:
        for m in pattern.finditer(line):
            iso = _iso(int(m["year"]), _MONTHS[m["month"].lower()[:3]], int(m["day"]))
            if iso:
                found.append((m.start(), iso))
    for m in _ZH_DATE.finditer(line):
        iso = _iso(_zh_number(m["year"]), _zh_number(m["month"]), _zh_number(m["day"]))
        if iso:
            found.append((m.start(), iso))
    return sorted(found)


def _lines(text: str) -> list[str]:
    return [line.strip(" \t\u3000") for line in text.split("\n")]


def find_date(text: str) -> str | None:
    """The document's own date: the first full date on a short line of its opening
    (delivery or signature date), else a line of its closing that is only a date (a
    Chinese signature date). None when there is none."""
    for line in _lines(text[:_OPENING_CHARS]):
        for offset, iso in _dates_in(line) if len(line) <= 300 else []:
            if len(line) <= _DATE_LINE_MAX or _DATE_LEAD.search(line[:offset]):
                return iso
    for line in _lines(text[-_CLOSING_CHARS:]):
        if len(line) <= 24:
            dates = _dates_in(line)
            if dates and _only_date(line):
                return dates[0][1]
    return None


def _only_date(line: str) -> bool:
    rest = _ZH_DATE.sub("", line)
    for pattern in _EN_DATES:
        rest = pattern.sub("", rest)
    return not rest.strip(" ,.，。()（）")


def find_doc_number(text: str) -> str | None:
    """A Chinese document number such as 国发〔2019〕4号 in the opening of the text."""
    m = _DOC_NUMBER.search(text[:_OPENING_CHARS])
    return re.sub(r"\s+", "", m.group(0)) if m else None


def find_issuer(text: str, title: str = "", doc_number: str | None = None) -> str | None:
    """Who issued the document: the signature line above a date-only line (Chinese
    documents), the organ a Chinese title opens with (「国务院关于……」), the organ a
    standard document number stands for, else an organisation line of the first page."""
    lines = [line for line in _lines(text) if line]
    for i, line in enumerate(lines[1:], start=1):
        prev = lines[i - 1]
        if _only_date(line) and _dates_in(line) and len(prev) <= 20 and _ZH_ISSUER.match(re.sub(r"\s", "", prev)):
            return re.sub(r"\s", "", prev)
    m = re.match(r"^(.{2,20}?)关于", title)
    if m and _ZH_ISSUER.match(m.group(1)):
        return m.group(1)
    if doc_number:
        for prefix in sorted(_NUMBER_ISSUERS, key=len, reverse=True):
            if doc_number.startswith(prefix):
                return _NUMBER_ISSUERS[prefix]
    organ = _ZH_TOP_ORGANS.search(title)
    if organ:
        return organ.group(0)
    opening = [line.title() if line.isupper() else line for line in _lines(text[:_OPENING_CHARS]) if len(line) <= 80]
    for pattern in (_EN_ISSUER, _EN_OFFICE):  # an organisation before a minister's office
        for line in opening:
            if pattern.match(line):
                return line
    return None


_CONNECTOR_END = re.compile(r"(?:\b(?:of|and|for|the|on|in|to|by|with|&)|[和与及的、：:,，—–-])$", re.I)


def _title_line(line: str) -> bool:
    return bool(line) and len(line) <= 120 and not line.endswith(("。", ".")) and not _NOT_TITLE.search(line) \
        and not _only_date(line) and any(c.isalpha() for c in line)


def find_title(text: str) -> str | None:
    """The title on the first page: the first line (with the lines that continue it)
    that names the document (a budget, report, plan, notice...), skipping notes such
    as "Unofficial translation" or "THEME: ...". None when no line names a document
    (the loader then falls back to the first line)."""
    lines = [line for line in _lines(text[:_OPENING_CHARS]) if line]
    candidates = []
    i = 0
    while i < len(lines) and len(candidates) < 12:
        if not _title_line(lines[i]):
            i += 1
            continue
        title, j = lines[i], i + 1
        while j < len(lines) and _title_line(lines[j]) and len(title) < 200 and (
            lines[j][0].islower() or _CONNECTOR_END.search(title)
            or (has_cjk(title[-1]) and not _TITLE_WORDS.search(title) and _TITLE_WORDS.search(lines[j]))
        ):
            title += ("" if has_cjk(title[-1]) and has_cjk(lines[j][0]) else " ") + lines[j]
            j += 1
        candidates.append(title)
        i = j
    return next((title[:200] for title in candidates if _TITLE_WORDS.search(title)), None)


def describe(text: str, title: str = "") -> dict:
    """{title, date, issuer, doc_number} that the text itself gives (keys only where found)."""
    found: dict = {}
    found_title = title or find_title(text)
    if found_title and not title:
        found["title"] = found_title
    date = find_date(text)
    if date:
        found["date"] = date
    number = find_doc_number(text)
    if number:
        found["doc_number"] = number
    issuer = find_issuer(text, found_title or "", number)
    if issuer:
        found["issuer"] = issuer
    return found
