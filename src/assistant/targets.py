"""Targets and deadlines ledger: quantified goals and dated commitments, found by rules.

The rules read sentence structure (figures, comparators, deadline phrases, modal or
past-tense markers), never particular documents, so unseen texts of the same kinds
work too. Each row quotes its source verbatim (statement == text[start:end]) and keeps
targets apart from `reported` figures, so asking for goals never returns history.
Relative deadlines are resolved against the document date, else against a year the
text states as the current one, else left unresolved: never guessed.
"""

from __future__ import annotations

import csv
import io
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Literal

from pydantic import BaseModel

from ingest.text import has_cjk, sentence_spans

Kind = Literal["target", "deadline", "reported"]


class Target(BaseModel):
    """One ledger row; `statement` is text[start:end] of the cleaned document."""

    statement: str
    metric: str = ""
    comparator: str = ""
    value: str = ""
    deadline: str = ""
    deadline_norm: str | None = None
    deadline_resolved: bool = False
    responsible: str = ""
    kind: Kind
    doc_id: str
    title: str = ""
    issuer: str = ""
    date: str | None = None
    start: int
    end: int
    language: str = "en"


# --------------------------------------------------------------------------- dates

_YEAR = r"(?<!\d)(?:19|20)\d{2}(?!\d)"
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_MONTH = "|".join(_MONTHS)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
            "一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_SMALL_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                  "eight": 8, "nine": 9, "ten": 10, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                  "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STATED_YEAR = re.compile(
    rf"({_YEAR})\s+(?:is|will\s+be|marks)\s+(?:a|an|the)\b[^.;!?。]{{0,80}}?\byear\b"
    rf"|({_YEAR})年是[^。；]{{0,30}}?年",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reference:
    """What relative dates ('by the end of the year') resolve against."""

    year: int | None
    day: date | None = None

    @property
    def start(self) -> date | None:
        """Deadlines ending before this were already history when the text was written."""
        if self.day:
            return self.day
        return date(self.year, 1, 1) if self.year else None


def as_iso_date(value: Any) -> str | None:
    """Front matter gives dates as `date` objects or strings; rows carry ISO strings."""
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    return None


def reference_for(text: str, metadata: dict) -> Reference:
    """The document date, else the one year the text calls the current one."""
    iso = as_iso_date(metadata.get("date"))
    if iso:
        day = date.fromisoformat(iso)
        return Reference(day.year, day)
    years = {int(m.group(1) or m.group(2)) for m in _STATED_YEAR.finditer(text)}
    return Reference(years.pop() if len(years) == 1 else None)


def period_end(norm: str | None) -> date | None:
    """Last day of a normalised deadline: a year, quarter or month is due by its last day."""
    if not norm:
        return None
    if m := re.fullmatch(r"(\d{4})", norm):
        return date(int(m[1]), 12, 31)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", norm):
        year, month = int(m[1]), int(m[2]) * 3
        return date(year, month, monthrange(year, month)[1])
    if m := re.fullmatch(r"(\d{4})-(\d{2})", norm):
        year, month = int(m[1]), int(m[2])
        return date(year, month, monthrange(year, month)[1])
    try:
        return date.fromisoformat(norm)
    except ValueError:
        return None


@dataclass(frozen=True)
class Deadline:
    start: int
    end: int
    text: str
    norm: str | None
    binding: bool  # the phrase itself marks a commitment ("by", "before", 到…, …前)
    phrase_start: int  # where the match began, before a dropped "in" or 在


_PREP = r"(?:(?P<prep>(?i:by|before|until|till|no later than|not later than|within|in|at|during|for|through))\s+)?"
_PREP_REQUIRED = r"(?P<prep>(?i:by|before|until|till|no later than|not later than|within|in|at|during))\s+"
_BINDING_PREPS = {"by", "before", "until", "till", "no later than", "not later than", "within", "over"}
_DROPPED_PREPS = {"in", "during", "for", "through"}
_REL_EN = r"(?P<rel>this|next|last|the)\s+year"
_REL_ZH = r"(?P<rel>今年|明年|本年|去年|上年)"
_ZH_PFX = r"(?P<pfx>到|至|于|在)?"
_ZH_SFX = r"(?P<sfx>前|之前|以前|内)?"

_DEADLINE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("quarter", re.compile(_PREP + r"(?:the\s+)?(?:end\s+of\s+(?:the\s+)?)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)"
                           rf"\s+quarter(?:\s+of\s+(?:{_REL_EN}|(?P<year>{_YEAR})))?", re.I)),
    ("quarter", re.compile(_PREP + rf"\bQ(?P<q>[1-4])(?:\s+(?P<year>{_YEAR}))?\b")),
    ("half", re.compile(_PREP + r"(?:the\s+)?(?:end\s+of\s+(?:the\s+)?)?(?P<h>first|second)\s+half\s+of\s+"
                        rf"(?:{_REL_EN}|(?P<year>{_YEAR}))", re.I)),
    ("mid", re.compile(_PREP + rf"mid-(?:(?P<year>{_YEAR})|(?P<rel>year))", re.I)),
    ("year_end", re.compile(_PREP + rf"(?:the\s+)?end\s+of\s+(?:(?:the\s+)?{_REL_EN}|(?P<year>{_YEAR}))", re.I)),
    ("year_end", re.compile(_PREP + rf"(?:the\s+)?year[- ]end(?:\s+(?P<year>{_YEAR}))?", re.I)),
    ("year_end", re.compile(_PREP + rf"end-(?P<year>{_YEAR})", re.I)),
    ("day", re.compile(_PREP_REQUIRED + rf"(?P<day>\d{{1,2}})\s+(?P<mon>{_MONTH})(?:\s+(?P<year>{_YEAR}))?")),
    ("day", re.compile(_PREP_REQUIRED + rf"(?P<mon>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*(?P<year>{_YEAR}))?")),
    ("month", re.compile(_PREP_REQUIRED + rf"(?:(?i:the\s+end\s+of)\s+)?(?P<mon>{_MONTH})(?:\s+(?P<year>{_YEAR}))?\b")),
    ("year", re.compile(r"(?P<prep>(?i:by|before|until|till|no later than|not later than|in|within|through|towards|toward))"
                        rf"\s+(?:the\s+year\s+)?(?P<year>{_YEAR})(?![-–/]\d)")),
    ("year", re.compile(_PREP + r"(?P<rel>this|next)\s+year\b", re.I)),
    ("next_n", re.compile(r"(?P<prep>(?i:within|over|in|during))\s+(?:the\s+)?(?i:next|coming|following)\s+"
                          r"(?P<n>\d+|(?i:one|two|three|four|five|six|seven|eight|nine|ten))\s+(?P<unit>(?i:years?|months?))")),
    ("next_n", re.compile(r"(?P<prep>(?i:within))\s+(?P<n>\d+|(?i:one|two|three|four|five|six|seven|eight|nine|ten))"
                          r"\s+(?P<unit>(?i:years?|months?))")),
    ("year_end", re.compile(_ZH_PFX + rf"(?:(?P<year>{_YEAR})年|{_REL_ZH})?(?:年底|年末|(?<=年)底|(?<=年)末)(?P<sfx>前|之前|以前)?")),
    ("quarter", re.compile(_ZH_PFX + rf"(?:(?P<year>{_YEAR})年|{_REL_ZH})?第?(?P<q>[一二三四1-4])季度(?:末|底)?" + _ZH_SFX)),
    ("half", re.compile(_ZH_PFX + rf"(?:(?P<year>{_YEAR})年|{_REL_ZH})?(?P<h>上|下)半年(?:末|底)?" + _ZH_SFX)),
    ("day", re.compile(_ZH_PFX + rf"(?:(?P<year>{_YEAR})年)?(?P<mon>1[0-2]|0?[1-9])月(?P<day>3[01]|[12]\d|0?[1-9])日" + _ZH_SFX)),
    ("month", re.compile(_ZH_PFX + rf"(?:(?P<year>{_YEAR})年)?(?<!\d)(?P<mon>1[0-2]|0?[1-9])月(?:底|末)?(?P<sfx>前|之前|以前)?")),
    ("year", re.compile(_ZH_PFX + rf"(?P<year>{_YEAR})年(?![度代底末])" + _ZH_SFX)),
    ("year", re.compile(r"(?P<rel>今年|明年|本年度?|当年)(?P<sfx>内)?|(?P<within>年内)")),
    ("next_n", re.compile(r"(?:今后|未来|此后)(?P<n>\d+|[一二两三四五六七八九十])(?P<unit>年|个月)(?P<sfx>内|间)?")),
]


def _year_of(groups: dict, ref: Reference) -> int | None:
    if groups.get("year"):
        return int(groups["year"])
    if ref.year is None:
        return None
    rel = (groups.get("rel") or "").lower()
    if rel in ("next", "明年"):
        return ref.year + 1
    if rel in ("last", "去年", "上年"):
        return ref.year - 1
    return ref.year


def _shifted(day: date, years: int = 0, months: int = 0) -> date:
    total = day.month - 1 + months
    year, month = day.year + years + total // 12, total % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _resolve_next_n(groups: dict, ref: Reference) -> str | None:
    raw = groups["n"].lower()
    n = int(raw) if raw.isdigit() else _SMALL_NUMBERS[raw]
    in_years = groups["unit"].lower().startswith(("year", "年"))
    if ref.day:
        return _shifted(ref.day, years=n if in_years else 0, months=0 if in_years else n).isoformat()
    return str(ref.year + n) if in_years and ref.year else None


def _resolve(kind: str, groups: dict, ref: Reference) -> str | None:
    if kind == "next_n":
        return _resolve_next_n(groups, ref)
    year = _year_of(groups, ref)
    if year is None:
        return None
    if kind == "quarter":
        return f"{year}-Q{_ORDINAL[groups['q'].lower()]}"
    if kind == "half":
        return f"{year}-06-30" if groups["h"].lower() in ("first", "上") else f"{year}-12-31"
    if kind == "mid":
        return f"{year}-06-30"
    if kind == "year_end":
        return f"{year}-12-31"
    month = _MONTHS.index(groups["mon"]) + 1 if groups.get("mon", "").isalpha() else int(groups.get("mon") or 0)
    if kind == "day":
        try:
            return date(year, month, int(groups["day"])).isoformat()
        except ValueError:
            return None
    if kind == "month":
        return f"{year}-{month:02d}"
    return str(year)


def _deadline_from_match(kind: str, m: re.Match, ref: Reference) -> Deadline:
    groups = {k: v for k, v in m.groupdict().items() if v}
    prep = groups.get("prep", "").lower()
    start = m.start()
    if prep in _DROPPED_PREPS or groups.get("pfx") in ("在", "于"):  # "in 2025" is written down as "2025"
        start = m.end("prep") if prep else m.end("pfx")
        while m.string[start].isspace():
            start += 1
    binding = (prep in _BINDING_PREPS or groups.get("pfx") in ("到", "至")
               or bool(groups.get("sfx")) or bool(groups.get("within")) or (kind == "next_n" and "prep" not in groups))
    return Deadline(start, m.end(), m.string[start:m.end()], _resolve(kind, groups, ref), binding, m.start())


def find_deadlines(text: str, start: int, end: int, ref: Reference) -> list[Deadline]:
    """Deadline phrases inside text[start:end]; the longest wins where they overlap."""
    found: list[tuple[int, int, str, re.Match]] = []
    for kind, pattern in _DEADLINE_PATTERNS:
        for m in pattern.finditer(text, start, end):
            if m.end() > m.start():
                found.append((m.start(), -(m.end() - m.start()), kind, m))
    chosen: list[Deadline] = []
    taken_until = -1
    for m_start, _, kind, m in sorted(found, key=lambda f: (f[0], f[1])):
        if m_start >= taken_until:
            chosen.append(_deadline_from_match(kind, m, ref))
            taken_until = m.end()
    return chosen


def is_elapsed(deadline: Deadline, ref: Reference) -> bool:
    end = period_end(deadline.norm)
    return bool(end and ref.start and end < ref.start)


# --------------------------------------------------------------------------- figures

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUM_START = r"(?<![0-9A-Za-z.,$¥￥])"
_SCALE = r"thousand|million|billion|trillion"
_CURRENCY = r"yuan|RMB|renminbi|US\s+dollars|U\.S\.\s+dollars|dollars|USD|CNY|euros?|EUR"
_ZH_SCALE = r"万亿|千亿|百亿|亿|千万|百万|万|千"
_FIGURE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("money", re.compile(rf"(?:US\$|\$|¥|￥)(?:{_NUM})(?:\s?(?:{_SCALE})\b)?", re.I)),
    ("money", re.compile(rf"{_NUM_START}(?:{_NUM})(?:\s?(?:{_SCALE}))?\s+(?:{_CURRENCY})\b", re.I)),
    ("money", re.compile(rf"{_NUM_START}(?:{_NUM})(?:余|多)?(?:{_ZH_SCALE})?(?:余|多)?(?:美元|欧元|元)")),
    ("percent", re.compile(rf"{_NUM_START}(?:{_NUM})\s?(?:%|％|per\s?cent\b|percentage\s+points?\b)", re.I)),
    ("percent", re.compile(r"百分之[零一二三四五六七八九十百点]+")),
    ("count", re.compile(rf"{_NUM_START}(?:{_NUM})(?:{_ZH_SCALE})?(?:余|多)?(?:家次|项次|个|家|项|户|人|名|件|条|所|座|批)(?!月)")),
    ("fraction", re.compile(r"(?<![A-Za-z-])(?:one|two|three|four)-(?:halves|half|thirds?|quarters?|fifths?)\b", re.I)),
    ("count", re.compile(rf"{_NUM_START}(?:{_NUM})(?:\s(?:{_SCALE}))?(?=\s+[A-Za-z])", re.I)),
]
_CURRENCY_CLASS = [("usd", re.compile(r"\$|dollar|USD|美元", re.I)), ("eur", re.compile(r"euro|EUR|欧元", re.I))]
_NOUN_STOPS = {
    "and", "or", "of", "in", "on", "at", "to", "by", "for", "from", "with", "the", "a", "an", "that", "which", "who",
    "had", "has", "have", "was", "were", "is", "are", "will", "would", "should", "be", "been", "as", "than", "into",
}
_NOT_PLURAL = {"was", "has", "is", "its", "this", "thus", "as", "us", "does", "his", "less", "plus", "across",
               "previous", "various", "serious", "numerous", "status", "focus", "process", "bonus", "gross"}
_DURATIONS = {"years", "months", "days", "weeks", "hours", "decades", "times", "year", "month", "day", "week"}
_IRREGULAR_PLURALS = {"people", "staff", "personnel", "children"}


@dataclass
class Figure:
    start: int
    end: int
    value: str
    unit: str
    lead: int  # where the comparator phrase before the value starts
    comparator: str = ""
    normative: bool = False  # "not less than", 不低于: a requirement, not a fact
    baseline: bool = False  # "rise from 25% to 35%": the starting point is history


def _is_plural_noun(word: str) -> bool:
    low = word.lower()
    return low in _IRREGULAR_PLURALS or (len(low) > 2 and low.endswith("s") and low not in _NOT_PLURAL)


def _count_noun_end(text: str, pos: int, end: int) -> int | None:
    """End of the counted noun after a bare number ("2,000 reform measures"); None when
    the number counts nothing (a year, a date, "seven of these 19 had ...")."""
    words = list(re.finditer(r"\s+([A-Za-z][\w&'-]*)", text[pos:end]))[:3]
    last = None
    for i, m in enumerate(words):
        if m.start() != (words[i - 1].end() if i else 0):
            return None
        word = m.group(1)
        low = word.lower()
        if low in _DURATIONS or word in _MONTHS:
            return None
        if low in ("and", "or") and last is not None and re.match(r"\s+\d", text[pos + m.end():]):
            return last  # "10 central and 21 local enterprises"
        if low in _NOUN_STOPS:
            return None
        last = pos + m.end()
        if _is_plural_noun(word):
            return last
    return None


def _raw_figures(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    found = []
    for unit, pattern in _FIGURE_PATTERNS:
        for m in pattern.finditer(text, start, end):
            fig_end = m.end()
            if unit == "count" and not re.search(r"[\u4e00-\u9fff]$", m.group(0)):
                if re.fullmatch(_YEAR, m.group(0)) or re.search(rf"(?:{_MONTH})\s*$", text[max(0, m.start() - 12):m.start()]):
                    continue
                fig_end = _count_noun_end(text, m.end(), end)
                if fig_end is None:
                    continue
            found.append((m.start(), fig_end, unit))
    chosen, taken_until = [], -1
    for f in sorted(found, key=lambda f: (f[0], f[0] - f[1])):
        if f[0] >= taken_until:
            chosen.append(f)
            taken_until = f[1]
    return chosen


_CMP_EN = [
    (r"not\s+less\s+than|no\s+less\s+than", "not less than", True),
    (r"not\s+more\s+than|no\s+more\s+than|not\s+exceeding|not\s+to\s+exceed|at\s+most", "up to", True),
    (r"more\s+than|in\s+excess\s+of", "more than", False),
    (r"over|above|exceeding|exceeds?", "over", False),
    (r"at\s+least", "at least", False),
    (r"up\s+to", "up to", False),
    (r"nearly|almost|close\s+to", "nearly", False),
    (r"about|around|approximately|roughly|some", "about", False),
    (r"less\s+than|fewer\s+than|under|below", "less than", False),
    (r"exactly|precisely", "exactly", False),
    (r"reach(?:es|ing)?", "reach", False),
]
_CMP_ZH = [
    (r"不低于|不少于", "not less than", True),
    (r"不超过|不高于|不多于", "up to", True),
    (r"至少", "at least", False),
    (r"超过|逾", "over", False),
    (r"高于|多于", "more than", False),
    (r"低于|少于|不足", "less than", False),
    (r"约为|大约|约", "about", False),
    (r"将近|接近|近", "nearly", False),
    (r"达到|达", "reach", False),
]
_CMP_BEFORE_EN = re.compile(
    "(?<![A-Za-z])(?:" + "|".join(f"(?P<e{i}>{p})" for i, (p, _, _) in enumerate(_CMP_EN)) + r")\s+(?:the\s+)?$", re.I)
_CMP_BEFORE_ZH = re.compile("(?:" + "|".join(f"(?P<z{i}>{p})" for i, (p, _, _) in enumerate(_CMP_ZH)) + r")\s*$")
_CMP_AFTER = [
    (re.compile(r"\s+or\s+(?:more|above|higher|over)\b", re.I), "at least"),
    (re.compile(r"\s+or\s+(?:less|below|fewer|lower|under)\b", re.I), "up to"),
    (re.compile(r"以上"), "more than"),
    (re.compile(r"以下|以内"), "up to"),
    (re.compile(r"左右|上下"), "about"),
]
_LOCATIVE_OVER = re.compile(r"\b(?:spread|spanning|distributed|scattered|extending)\s+$", re.I)


def _comparator_before(text: str, sentence_start: int, pos: int) -> tuple[str, bool, int]:
    head = text[max(sentence_start, pos - 40):pos]
    for pattern, table in ((_CMP_BEFORE_EN, _CMP_EN), (_CMP_BEFORE_ZH, _CMP_ZH)):
        m = pattern.search(head)
        if not m:
            continue
        index = int(next(k for k, v in m.groupdict().items() if v)[1:])
        _, label, normative = table[index]
        lead = pos - len(head) + m.start()
        if label == "over" and _LOCATIVE_OVER.search(text[max(sentence_start, lead - 20):lead]):
            return "", False, pos
        return label, normative, lead
    return "", False, pos


def _comparator(text: str, sentence_start: int, start: int, end: int, value: str) -> tuple[str, bool, int]:
    label, normative, lead = _comparator_before(text, sentence_start, start)
    if label in ("", "reach"):
        for pattern, after in _CMP_AFTER:
            if pattern.match(text, end):
                return after, normative, lead
        if re.search(r"[余多]", value):
            return "more than", normative, lead
    return label, normative, lead


def _currency(value: str) -> str:
    return next((name for name, pattern in _CURRENCY_CLASS if pattern.search(value)), "cny")


_CONVERSION_GAP = re.compile(
    r"\s*[,，]?\s*[(（]?\s*(?:(?:or|i\.e\.|that is|equivalent to|equal to|roughly|about|approximately|around|some|约合|折合|合)\s*)*",
    re.I)
_BACK_REFERENCE = re.compile(r"\bthe\s+(?:\S+\s+(?:and|or)\s+)?$", re.I)
_BASELINE = re.compile(r"(?:\bfrom|[由从])\s*$", re.I)


def _figures(text: str, start: int, end: int, deadlines: list[Deadline], seen: set[str]) -> list[Figure]:
    """Figures of the sentence, less currency conversions ("(roughly $14.29 billion)")
    and restatements of a figure already given ("The 2.5 trillion yuan is ...")."""
    out: list[Figure] = []
    previous_money = None
    for f_start, f_end, unit in _raw_figures(text, start, end):
        if any(d.start < f_end and f_start < d.end for d in deadlines):
            continue
        value = text[f_start:f_end]
        is_conversion = (unit == "money" and previous_money is not None
                         and _CONVERSION_GAP.fullmatch(text, previous_money.end, f_start)
                         and _currency(value) != _currency(previous_money.value))
        comparator, normative, lead = _comparator(text, start, f_start, f_end, value)
        is_restated = value in seen and _BACK_REFERENCE.search(text[max(start, lead - 30):lead])
        baseline = bool(_BASELINE.search(text[max(start, lead - 12):lead]))
        figure = Figure(f_start, f_end, value, unit, lead, comparator, normative, baseline)
        if unit == "money":
            previous_money = figure
        if not (is_conversion or is_restated):
            out.append(figure)
    return out


# --------------------------------------------------------------------------- tense

_FUTURE_EN = re.compile(
    r"\b(?:will|shall|should|must|(?:is|are)\s+(?:expected\s+|set\s+|scheduled\s+|planned\s+|required\s+)?to"
    r"|(?:aims?|aiming|plans?|planning|strives?|striving|seeks?|seeking|intends?|intending|needs?|pledged?|pledges"
    r"|vows?|commits?|committed|going|expects?)\s+to|(?:necessary|required|essential)\s+to"
    r"|ensures?|ensuring)\b", re.I)
_FUTURE_NOUN_EN = re.compile(r"\b(?:targets?|goals?|objectives?)\b", re.I)
_PAST_TIME_EN = re.compile(
    r"\b(?:last\s+year|a\s+year\s+(?:earlier|ago)|previous\s+year|year[\s-]on[\s-]year|so\s+far|to\s+date"
    r"|since\s+(?:19|20)\d\d)\b", re.I)
_PAST_EN = re.compile(
    r"\b(?:(?:had|has|have)\s+(?!to\b)[a-z]+|was|were"
    r"|(?<!\bbe\s)(?<!\bbeen\s)(?<!\bto\s)(?:grew|rose|fell|dropped|declined|increased|decreased|surged|jumped"
    r"|climbed|reached|totall?ed|amounted|came\s+to|stood\s+at|invested|completed|exceeded|attracted|founded"
    r"|selected|recorded|posted|registered|achieved|generated|earned|accounted|saw|made|brought|reported))\b", re.I)
_FUTURE_ZH = re.compile(r"力争|争取|确保|力求|务必|必须|应当|应该|计划|拟|预计|目标|将(?![来近])|(?<![主重需纲摘概只不必])要(?![求素点闻])")
_PAST_ZH = re.compile(r"已经|已|同比|比上年|较上年|累计|截至|截止|去年|上年|(?<![为除])了")
_QUESTION_END = re.compile(r"[?？][\"'”’」』）)】》\]]*\s*$")


@dataclass(frozen=True)
class Segment:
    """A stretch of a sentence with one predicate; `clause` numbers the ';'-separated parts."""

    start: int
    end: int
    clause: int


@dataclass(frozen=True)
class Marker:
    start: int
    end: int
    tense: str  # "future" | "past"
    role: str = "verb"  # or "time" ("last year", "by 2025") or "noun" ("goal"): neither is a predicate


def _segments(text: str, start: int, end: int) -> list[Segment]:
    """Split at ';' (independent clauses) and ', and/but/while' (coordinated predicates)."""
    out, pos, clause = [], start, 0
    for m in re.finditer(r"[;；]|,\s+(?:and|but|while|whereas)\s+", text[start:end]):
        out.append(Segment(pos, start + m.start(), clause))
        clause += m.group(0) in ";；"
        pos = start + m.end()
    out.append(Segment(pos, end, clause))
    return [s for s in out if s.end > s.start]


def _markers(text: str, start: int, end: int, deadlines: list[Deadline], ref: Reference) -> list[Marker]:
    found = [Marker(m.start(), m.end(), tense)
             for tense, patterns in (("future", (_FUTURE_EN, _FUTURE_ZH)), ("past", (_PAST_EN, _PAST_ZH)))
             for pattern in patterns for m in pattern.finditer(text, start, end)]
    found += [Marker(m.start(), m.end(), "past", "time") for m in _PAST_TIME_EN.finditer(text, start, end)]
    found += [Marker(m.start(), m.end(), "future", "noun") for m in _FUTURE_NOUN_EN.finditer(text, start, end)]
    found += [Marker(d.start, d.end, "past" if is_elapsed(d, ref) else "future", "time")
              for d in deadlines if d.binding]
    return sorted(found, key=lambda m: m.start)


def _tense(markers: list[Marker], segs: list[Segment], seg: Segment, pos: int, skip: Deadline | None = None) -> str | None:
    """Nearest marker before `pos` in its segment, else after it, else earlier in the clause."""
    usable = [m for m in markers if not (skip and m.start < skip.end and skip.start < m.end)]
    inside = [m for m in usable if seg.start <= m.start < seg.end]
    before = [m for m in inside if m.end <= pos]
    after = [m for m in inside if m.start >= pos]
    if before or after:
        return (before[-1] if before else after[0]).tense
    clause_start = min(s.start for s in segs if s.clause == seg.clause)
    earlier = [m for m in usable if clause_start <= m.start < seg.start]
    return earlier[-1].tense if earlier else None


_IMPERATIVE_VERBS = {
    "improve", "deepen", "promote", "strengthen", "accelerate", "complete", "establish", "carry", "implement",
    "ensure", "build", "develop", "advance", "optimize", "optimise", "push", "focus", "expand", "encourage",
    "adjust", "reduce", "raise", "achieve", "launch", "formulate", "finish", "guide", "explore", "enhance",
    "speed", "continue", "give", "submit", "publish", "introduce", "upgrade", "consolidate", "refine",
    "cultivate", "foster", "boost", "lower", "maintain", "deliver", "realise", "realize", "tighten", "pursue",
    "coordinate", "clean", "streamline", "accomplish", "fulfil", "fulfill", "set",
}


def _is_imperative(text: str, start: int, end: int) -> bool:
    """Policy instructions are often bare verbs: "Improve ..., and adjust ... by 2024"."""
    m = re.match(r"[^A-Za-z\u4e00-\u9fff]*([A-Za-z]+)", text[start:end])
    return bool(m) and m.group(1).lower() in _IMPERATIVE_VERBS and m.group(1)[0].isupper()


def _figure_kind(fig: Figure, tense: str | None, imperative: bool, has_live_deadline: bool) -> Kind:
    if fig.baseline:
        return "reported"
    if tense:
        return "target" if tense == "future" else "reported"
    if imperative or fig.normative or has_live_deadline:
        return "target"
    return "reported"


# --------------------------------------------------------------------------- metric and responsible body

_NP_STOPS = ("by|in|before|at|under|for|from|and|or|which|that|to|over|during|within|on|with|than|between|as|is|are|was"
             "|were|had|has|have|will|would|should|must|shall|can|may|together|including|among|spread|across|who|whose|while")
_NP = rf"[A-Za-z][\w'&-]*(?:\s+(?!(?:{_NP_STOPS})\b)[A-Za-z][\w'&-]*){{0,6}}"
_OF_NP = re.compile(rf"\s+of\s+(?:(?:the|their|its)\s+)?({_NP})", re.I)
_SHARE_OF = re.compile(r"(?:\b((?:in|among|across|for)\s+[^,;]{1,60}?)\s+)?\b(coverage|share|proportion|percentage|ratio|rate"
                       r"|intensity|level)\s+of\s*$", re.I)
_CHANGE = re.compile(r"\b(?:(up|a\s+rise\s+of|an\s+increase\s+of|growth\s+of)|(down|a\s+(?:fall|drop|decline)\s+of))\s*$", re.I)
_LINKING = re.compile(r"(?<!\ba\s)(?<!\ban\s)(?<!\bthe\s)\b(?:account(?:s|ed)?\s+for|make[s]?\s+up|made\s+up|represent(?:s|ed)?"
                      r"|hold|holds|held|earn|earns|equal(?:s|led)?(?:\s+to)?|comprised?|involve[sd]?|reach(?:es|ed)?|grows?"
                      r"|rises|amount(?:s|ed)?\s+to|total(?:s|led)?|invest(?:s|ed)?|complete[sd]?|averag(?:e|es|ed))\b", re.I)
_RAISE_TO = re.compile(r"\b(?:raise|raising|lift|lifting|increase|increasing|cut|cutting|reduce|reducing|lower|lowering"
                       r"|bring|bringing|keep|keeping)\s+(.+?)\s+to\s*$", re.I)
_PUT_AT = re.compile(r"\b(?:put|puts|estimated|estimates|valued|values)\s+(.+?)\s+at\s*$", re.I)
_TAIL_CHANGE = re.compile(r"\s+(?:(higher|more|larger|up)|(lower|less|smaller|down))\b", re.I)
_ACTION_PARTICIPLES = {"complete": "completed", "finish": "finished", "fulfil": "fulfilled", "fulfill": "fulfilled",
                       "achieve": "achieved", "cover": "covered", "implement": "implemented", "reduce": "reduced",
                       "raise": "raised", "close": "closed", "restructure": "restructured"}
_NOMINALS = {"invested": "investment by", "invest": "investment by", "invests": "investment by", "earned": "earnings of"}
_CHANGE_VERBS = {"grew": "growth of", "rose": "growth of", "increased": "growth of", "fell": "fall in", "declined": "fall in"}
_FRAME = re.compile(r"^.*(?:,|:|\b(?:said|says|reported|announced|stated|noted|shows?|showed)(?:\s+that)?"
                    r"|\baccording\s+to\s+[^,]+)\s*", re.I)
_TRAILING_AUX = re.compile(r"(?:\s+(?:is|are|was|were|will|shall|should|must|would|had|has|have|be|been|to|now|currently"
                           r"|still|also|already|together))+\s*$", re.I)
_DANGLING_PREP = re.compile(r"\s+(?:in|at|by|during|for|on|of|to)$", re.I)
_LEADING_DET = re.compile(r"^(?:(?:the|their|its|a|an|these|those|this|our)\s+)+", re.I)
_PRONOUN = re.compile(r"(?:they|it|we|he|she|this|these|those|which|who)", re.I)


def _clean_phrase(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase.strip(" \t\n*#•-\"'“”,;:.。"))
    return _DANGLING_PREP.sub("", _LEADING_DET.sub("", phrase))


def _subject(text: str, start: int, verb_start: int, deadlines: list[Deadline]) -> str:
    """The noun phrase before the verb, without reporting frames and time phrases."""
    part = text[start:verb_start]
    for d in deadlines:
        if start <= d.phrase_start and d.end <= verb_start:
            part = part.replace(text[d.phrase_start:d.end], " ")
    if re.search(r"\band\s*$", part):  # "they hold 63.7% ... and earn 84.8%": subject already given
        return ""
    part = _TRAILING_AUX.sub("", _FRAME.sub("", part))
    phrase = _clean_phrase(part)
    return "" if not phrase or _PRONOUN.fullmatch(phrase) or len(phrase.split()) > 12 else phrase


def _verb_before(text: str, seg: Segment, lead: int, markers: list[Marker]) -> tuple[int, str]:
    """(start, word) of the verb nearest before the figure."""
    spans = [(m.start, m.end) for m in markers if m.role == "verb" and seg.start <= m.start and m.end <= lead]
    spans += [m.span() for m in _LINKING.finditer(text, seg.start, lead)]
    if not spans:
        return lead, ""
    start, end = max(spans)
    return start, text[start:end].split()[-1].lower()


def _count_noun(text: str, fig: Figure) -> str:
    noun = re.sub(rf"^{_NUM}(?:\s(?:{_SCALE}))?\s*", "", fig.value, flags=re.I)
    if not _is_plural_noun(noun.split()[-1]):  # "10 central and 21 local enterprises"
        later = re.search(r"\b([A-Za-z][\w-]*s)\b", text[fig.end:fig.end + 60])
        noun = f"{noun} {later.group(1)}" if later else noun
    return noun


def _described(subject: str, verb: str, fig: Figure) -> str:
    """What the figure measures, from the subject and its verb ("SOEs invested" -> investment by SOEs)."""
    if verb in _CHANGE_VERBS and fig.unit == "percent":
        return f"{_CHANGE_VERBS[verb]} {subject}" if subject else ""
    if verb in _NOMINALS:
        return f"{_NOMINALS[verb]} {subject}" if subject else _NOMINALS[verb].split()[0]
    return subject


def _participle(head: str) -> str:
    words = head.split()
    last = words[-1].lower() if words else ""
    return _ACTION_PARTICIPLES.get(last, last if last in _ACTION_PARTICIPLES.values() else "")


def _predicate_after(text: str, pos: int, seg: Segment, markers: list[Marker]) -> str:
    modal = next((m for m in markers if m.role == "verb" and m.tense == "future" and m.start >= pos
                  and not text[pos:m.start].strip()), None)
    return _clean_phrase(" ".join(text[modal.end:seg.end].split()[:8])) if modal else ""


def _metric_en(text: str, seg: Segment, fig: Figure, markers: list[Marker], deadlines: list[Deadline]) -> str:
    head = text[seg.start:fig.lead]
    if m := _SHARE_OF.search(head):
        return _clean_phrase(f"{m.group(2)} {m.group(1) or ''}")
    if m := _PUT_AT.search(head) or _RAISE_TO.search(head):
        return _clean_phrase(m.group(1))
    verb_start, verb = _verb_before(text, seg, fig.lead, markers)
    base = _described(_subject(text, seg.start, verb_start, deadlines), verb, fig)
    if of := _OF_NP.match(text, fig.end):
        whole = _clean_phrase(of.group(1))
        if fig.unit == "count":
            return f"{_count_noun(text, fig)} of {whole}"
        if fig.unit == "money":
            return whole
        if participle := _participle(head):
            return f"{whole} {participle}"
        if predicate := _predicate_after(text, of.end(), seg, markers):  # "80% of subsidiaries should complete X"
            return f"share of {whole} that {predicate}"
        return f"{base} as a share of {whole}" if base else f"share of {whole}"
    if fig.unit == "count":
        return f"number of {_count_noun(text, fig)}"
    change = _CHANGE.search(head) or _TAIL_CHANGE.match(text, fig.end)
    if change and base and not base.startswith(("growth", "fall")):
        return f"{'growth of' if change.group(1) else 'fall in'} {base}"
    return base or _clean_phrase(" ".join(head.split()[-8:]))


def _commitment_metric(text: str, seg: Segment, deadline: Deadline, markers: list[Marker]) -> str:
    """What a figureless commitment promises: the predicate after its modal, less the date."""
    modal = next((m for m in markers if m.role == "verb" and m.tense == "future" and seg.start <= m.start < seg.end), None)
    date_phrase = text[deadline.phrase_start:deadline.end]
    phrase = text[modal.end if modal else seg.start:seg.end].replace(date_phrase, " ")
    if len(phrase.split()) < 3 and not has_cjk(phrase):  # "A review will follow within six months."
        phrase = text[seg.start:seg.end].replace(date_phrase, " ")
    if has_cjk(phrase):
        return re.sub(r"\s+", "", phrase).strip("。；，")
    return _clean_phrase(" ".join(phrase.split()[:12]))


_ZH_COUNT_LEAD = re.compile(r"(?:已有|共有|合计|累计|有|共)$")


def _metric_zh(text: str, sentence: tuple[int, int], fig: Figure, deadlines: list[Deadline]) -> str:
    """The comma-separated part holding the figure, less markers, dates and the figure with its comparators."""
    s, e = sentence
    bounds = [s] + [s + m.end() for m in re.finditer(r"[，,；;：:]", text[s:e])] + [e + 1]
    part_start = max(b for b in bounds if b <= fig.start)
    part_end = min(b - 1 for b in bounds if b - 1 >= fig.end)
    trail = next((m.end() for p, _ in _CMP_AFTER if (m := p.match(text, fig.end))), fig.end)
    before = _ZH_COUNT_LEAD.sub("", text[part_start:fig.lead])
    part = before + " " + text[trail:part_end]
    for d in deadlines:
        part = part.replace(text[d.phrase_start:d.end], " ")
    for pattern in (_FUTURE_ZH, _PAST_ZH):
        part = pattern.sub("", part)
    return re.sub(r"(?:到|至|为)$", "", re.sub(r"\s+", "", part).strip("。！？；，、 "))


_BODY = (r"(?:SASAC|[Cc]ommission|[Mm]inistry|[Oo]ffice|[Cc]ouncil|[Gg]overnment|[Dd]epartments?|[Bb]ureaus?|[Cc]ommittees?"
         r"|[Aa]dministration|[Aa]genc(?:y|ies)|[Aa]uthorit(?:y|ies)|[Gg]roups?|[Ee]nterprises?|SOEs?|[Rr]egions?"
         r"|[Cc]ompan(?:y|ies)|[Ff]irms?|[Ss]ubsidiar(?:y|ies)|[Pp]rovinces?|[Cc]it(?:y|ies)|NDRC|MOF|SCIO|CSRC|PBOC|CPC)"
         r"(?:\s+of\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)?")
_BODY_MOD = (r"(?:all|each|every|local|central|provincial|municipal|relevant|competent|state-owned|centrally\s+administered"
             r"|[A-Z][\w&'-]*)")
_BODY_EN = re.compile(rf"(?:{_BODY_MOD}\s+){{0,4}}{_BODY}(?:\s+(?:and|or)\s+(?:{_BODY_MOD}\s+){{0,3}}{_BODY})?")
_BODY_ZH = re.compile(r"[\u4e00-\u9fff]{0,10}(?:国资委|委员会|人民政府|政府|国务院|办公室|领导小组|部门|部|局|厅|委|办|企业|集团|公司|各地|地方)")
_SET_BY = re.compile(rf"\b(?:set|issued|announced|led|organi[sz]ed|coordinated|assigned|adopted)\s+by\s+((?:the\s+)?{_BODY_EN.pattern})")
_LED_BY_ZH = re.compile(r"由([\u4e00-\u9fff]{1,14}?)(?:牵头|负责|组织)")


def _body_before(text: str, seg: Segment, markers: list[Marker]) -> str:
    for m in (m for m in markers if m.tense == "future" and seg.start <= m.start < seg.end):
        candidate = _clean_phrase(_FRAME.sub("", text[seg.start:m.start]))
        if _BODY_EN.fullmatch(candidate) or _BODY_ZH.fullmatch(candidate):
            return candidate
    return ""


def _responsible(text: str, sentence: tuple[int, int], segs: list[Segment], seg: Segment, markers: list[Marker]) -> str:
    """The body named as doing it: the subject before the modal, or "set by X", or 由X牵头."""
    clause_head = next(s for s in segs if s.clause == seg.clause)
    for candidate in (seg, clause_head):
        if body := _body_before(text, candidate, markers):
            return body
    s, e = sentence
    if m := _SET_BY.search(text, s, e):
        return _clean_phrase(m.group(1))
    if (m := _LED_BY_ZH.search(text, s, e)) and _BODY_ZH.fullmatch(m.group(1)):
        return m.group(1)
    return ""


# --------------------------------------------------------------------------- rows

def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading markup and whitespace so a statement starts at its first word."""
    while start < end and text[start] in " \t\r\n*#•-":
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _language(statement: str) -> str:
    if not has_cjk(statement):
        return "en"
    return "zh" if not re.search(r"[A-Za-z]{4,}", statement) else "mixed"


def _deadline_for(fig: Figure, seg: Segment, segs: list[Segment], deadlines: list[Deadline]) -> Deadline | None:
    """The deadline phrase of the figure's segment, else the nearest earlier one in its clause."""
    own = [d for d in deadlines if seg.start <= d.start < seg.end]
    if own:
        return min(own, key=lambda d: abs(d.start - fig.start))
    clause_start = min(s.start for s in segs if s.clause == seg.clause)
    earlier = [d for d in deadlines if clause_start <= d.start < seg.start]
    return earlier[-1] if earlier else None


class _Sentence:
    """Everything the rules need about one sentence, computed once."""

    def __init__(self, text: str, start: int, end: int, ref: Reference, seen: set[str]):
        self.text, self.span, self.ref = text, (start, end), ref
        self.deadlines = find_deadlines(text, start, end, ref)
        self.figures = _figures(text, start, end, self.deadlines, seen)
        self.segs = _segments(text, start, end)
        self.markers = _markers(text, start, end, self.deadlines, ref)
        self.imperative = _is_imperative(text, start, end)

    def segment_of(self, pos: int) -> Segment:
        return next((s for s in self.segs if s.start <= pos < s.end), self.segs[-1])

    def row(self, seg: Segment, kind: Kind, base: dict, **fields: Any) -> Target:
        start, end = _trimmed(self.text, seg.start, seg.end)
        deadline: Deadline | None = fields.pop("deadline", None)
        responsible = _responsible(self.text, self.span, self.segs, seg, self.markers) if kind != "reported" else ""
        statement = self.text[start:end]
        return Target(statement=statement, kind=kind, start=start, end=end, responsible=responsible,
                      deadline=deadline.text if deadline else "", deadline_norm=deadline.norm if deadline else None,
                      deadline_resolved=bool(deadline and deadline.norm), language=_language(statement),
                      **base, **fields)

    def figure_rows(self, base: dict) -> tuple[list[Target], set[Deadline]]:
        rows, used = [], set()
        for fig in self.figures:
            seg = self.segment_of(fig.start)
            deadline = _deadline_for(fig, seg, self.segs, self.deadlines)
            live = deadline is not None and not is_elapsed(deadline, self.ref)
            kind = _figure_kind(fig, _tense(self.markers, self.segs, seg, fig.lead), self.imperative, live)
            if kind != "target":
                deadline = None
            elif deadline:
                used.add(deadline)
            comparator = fig.comparator if fig.comparator != "reach" else ("at least" if kind == "target" else "")
            metric = (_metric_zh(self.text, self.span, fig, self.deadlines) if has_cjk(self.text[seg.start:seg.end])
                      else _metric_en(self.text, seg, fig, self.markers, self.deadlines))
            rows.append(self.row(seg, kind, base, value=fig.value, comparator=comparator, metric=metric, deadline=deadline))
        return rows, used

    def deadline_rows(self, base: dict, used: set[Deadline], target_segs: set[Segment]) -> list[Target]:
        """Dated commitments without a figure: a future deadline phrase no target row has taken."""
        rows = []
        for d in self.deadlines:
            seg = self.segment_of(d.start)
            if d in used or seg in target_segs or is_elapsed(d, self.ref):
                continue
            predicates = [m for m in self.markers if m.role != "noun"]  # "Goals for this year." commits to nothing
            tense = _tense(predicates, self.segs, seg, d.start, skip=d)
            if tense == "future" or (tense is None and (d.binding or self.imperative)):
                metric = _commitment_metric(self.text, seg, d, self.markers)
                rows.append(self.row(seg, "deadline", base, metric=metric, deadline=d))
        return rows


def _is_question(text: str, start: int, end: int) -> bool:
    return bool(_QUESTION_END.search(text[start:end]))


def extract_targets(doc_id: str, text: str, metadata: dict) -> list[Target]:
    """Quantified goals, dated commitments and reported figures of one document, in text order."""
    ref = reference_for(text, metadata)
    base = {"doc_id": doc_id, "title": str(metadata.get("title") or ""), "issuer": str(metadata.get("issuer") or ""),
            "date": as_iso_date(metadata.get("date"))}
    rows: list[Target] = []
    seen: set[str] = set()
    for start, end in sentence_spans(text):
        if _is_question(text, start, end):
            continue
        sentence = _Sentence(text, start, end, ref, seen)
        figure_rows, used = sentence.figure_rows(base)
        target_segs = {sentence.segment_of(r.start) for r in figure_rows if r.kind == "target"}
        rows += figure_rows + sentence.deadline_rows(base, used, target_segs)
        seen.update(r.value for r in figure_rows)
    return sorted(rows, key=lambda r: (r.start, r.end))


# --------------------------------------------------------------------------- ledger views

def as_target(row: Target | dict) -> Target:
    """Rows travel as models or as their dicts (the index stores dicts)."""
    return row if isinstance(row, Target) else Target.model_validate(row)


def targets_to_csv(rows: Iterable[Target | dict]) -> str:
    """The ledger as CSV, one column per Target field, header first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(Target.model_fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(as_target(row).model_dump())
    return out.getvalue()


def _wanted(value: str, wanted: str | Iterable[str] | None, exact: bool = True) -> bool:
    if not wanted:
        return True
    options = [wanted] if isinstance(wanted, str) else list(wanted)
    return any(value == o if exact else o.lower() in value.lower() for o in options)


def filter_targets(rows: Iterable[Target | dict], doc: str | Iterable[str] | None = None,
                   kind: str | Iterable[str] | None = None, due_before: str | None = None,
                   issuer: str | Iterable[str] | None = None, text: str | None = None) -> list[Target | dict]:
    """Rows (as given) matching every filter; a list for doc, kind or issuer means any of them.
    `due_before` is an inclusive cut-off date, or a period meaning its last day; a row is due
    by the last day of its deadline period, and rows without a resolved deadline never pass it."""
    cutoff = period_end(due_before) if due_before else None
    if due_before and cutoff is None:
        raise ValueError(f"due_before must be YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD, not {due_before!r}")
    out = []
    for raw in rows:
        row = as_target(raw)
        due = period_end(row.deadline_norm)
        haystack = " ".join((row.statement, row.metric, row.value, row.deadline, row.title))
        if (_wanted(row.doc_id, doc) and _wanted(row.kind, kind) and _wanted(row.issuer, issuer, exact=False)
                and (cutoff is None or (due is not None and due <= cutoff))
                and _wanted(haystack, text, exact=False)):
            out.append(raw)
    return out


# --------------------------------------------------------------------------- scoring

def _field(row: Target | dict, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name)


def _matches(row: Target | dict, gold: dict) -> bool:
    return (_field(row, "doc_id") == gold["doc_id"] and _field(row, "kind") == gold["kind"]
            and _field(row, "value") == gold.get("value", "")
            and ("deadline_norm" not in gold or _field(row, "deadline_norm") == gold["deadline_norm"])
            and gold["snippet"] in _field(row, "statement"))


def score_against_gold(rows: Iterable[Target | dict], gold: list[dict]) -> dict:
    """Precision and recall of extracted rows against gold rows (one-to-one). A gold row
    matches on doc_id, kind, value, deadline_norm when it gives one, and its `snippet`
    lying inside the statement. Comparator disagreements on matched rows are listed apart."""
    rows = list(rows)
    free = list(range(len(rows)))
    misses, comparator_mismatches = [], []
    per_kind: dict[str, dict[str, int]] = {}
    for g in gold:
        per_kind.setdefault(g["kind"], {"gold": 0, "extracted": 0, "matched": 0})["gold"] += 1
        hit = next((i for i in free if _matches(rows[i], g)), None)
        if hit is None:
            misses.append(g)
            continue
        free.remove(hit)
        per_kind[g["kind"]]["matched"] += 1
        if "comparator" in g and _field(rows[hit], "comparator") != g["comparator"]:
            comparator_mismatches.append({**g, "got": _field(rows[hit], "comparator")})
    for row in rows:
        per_kind.setdefault(_field(row, "kind"), {"gold": 0, "extracted": 0, "matched": 0})["extracted"] += 1
    matched = len(rows) - len(free)
    extras = [{k: _field(rows[i], k) for k in ("doc_id", "kind", "value", "deadline_norm", "statement")} for i in free]
    return {
        "precision": matched / len(rows) if rows else 1.0,
        "recall": matched / len(gold) if gold else 1.0,
        "per_kind": per_kind,
        "misses": misses,
        "extras": extras,
        "comparator_mismatches": comparator_mismatches,
    }
