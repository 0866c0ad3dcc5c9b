"""The ledger's rules: quantified goals, dated commitments and reported figures, found
in sentence structure.

The rules read sentence structure (figures, comparators, deadline phrases, modal or
past-tense markers; their word lists and regexes are in `patterns.py`), never particular
documents, so unseen texts of the same kinds work too. Each row quotes its source verbatim
(statement == text[start:end]) and keeps targets apart from `reported` figures, so asking
for goals never returns history. Relative deadlines are resolved against the document
date, else against a year the text states as the current one, else left unresolved:
never guessed.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from typing import Any

from assistant.ledger import patterns as P
from assistant.ledger.row import Kind, Target, flag_garbled
from assistant.ledger.views import period_end
from ingest.text import has_cjk, sentence_spans

# --------------------------------------------------------------------------- dates


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
    years = {int(m.group(1) or m.group(2)) for m in P.STATED_YEAR.finditer(text)}
    return Reference(years.pop() if len(years) == 1 else None)


@dataclass(frozen=True)
class Deadline:
    start: int
    end: int
    text: str
    norm: str | None
    binding: bool  # the phrase itself marks a commitment ("by", "before", 到…, …前)
    phrase_start: int  # where the match began, before a dropped "in" or 在


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
    n = int(raw) if raw.isdigit() else P.SMALL_NUMBERS[raw]
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
        return f"{year}-Q{P.ORDINAL[groups['q'].lower()]}"
    if kind == "half":
        return f"{year}-06-30" if groups["h"].lower() in ("first", "上") else f"{year}-12-31"
    if kind == "mid":
        return f"{year}-06-30"
    if kind == "year_end":
        return f"{year}-12-31"
    month = P.MONTHS.index(groups["mon"]) + 1 if groups.get("mon", "").isalpha() else int(groups.get("mon") or 0)
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
    if prep in P.DROPPED_PREPS or groups.get("pfx") in ("在", "于"):  # "in 2025" is written down as "2025"
        start = m.end("prep") if prep else m.end("pfx")
        while m.string[start].isspace():
            start += 1
    binding = (prep in P.BINDING_PREPS or groups.get("pfx") in ("到", "至")
               or bool(groups.get("sfx")) or bool(groups.get("within")) or (kind == "next_n" and "prep" not in groups))
    return Deadline(start, m.end(), m.string[start:m.end()], _resolve(kind, groups, ref), binding, m.start())


def find_deadlines(text: str, start: int, end: int, ref: Reference) -> list[Deadline]:
    """Deadline phrases inside text[start:end]; the longest wins where they overlap."""
    found: list[tuple[int, int, str, re.Match]] = []
    for kind, pattern in P.DEADLINE_PATTERNS:
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
    return low in P.IRREGULAR_PLURALS or (len(low) > 2 and low.endswith("s") and low not in P.NOT_PLURAL)


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
        if low in P.DURATIONS or word in P.MONTHS:
            return None
        if low in ("and", "or") and last is not None and re.match(r"\s+\d", text[pos + m.end():]):
            return last  # "10 central and 21 local enterprises"
        if low in P.NOUN_STOPS:
            return None
        last = pos + m.end()
        if _is_plural_noun(word):
            return last
    return None


def _raw_figures(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    found = []
    for unit, pattern in P.FIGURE_PATTERNS:
        for m in pattern.finditer(text, start, end):
            fig_end = m.end()
            if unit == "count" and not re.search(r"[\u4e00-\u9fff]$", m.group(0)):
                if re.fullmatch(P.YEAR, m.group(0)) or re.search(rf"(?:{P.MONTH})\s*$", text[max(0, m.start() - 12):m.start()]):
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


def _comparator_before(text: str, sentence_start: int, pos: int) -> tuple[str, bool, int]:
    head = text[max(sentence_start, pos - 40):pos]
    for pattern, table in ((P.CMP_BEFORE_EN, P.CMP_EN), (P.CMP_BEFORE_ZH, P.CMP_ZH)):
        m = pattern.search(head)
        if not m:
            continue
        index = int(next(k for k, v in m.groupdict().items() if v)[1:])
        _, label, normative = table[index]
        lead = pos - len(head) + m.start()
        if label == "over" and P.LOCATIVE_OVER.search(text[max(sentence_start, lead - 20):lead]):
            return "", False, pos
        return label, normative, lead
    return "", False, pos


def _comparator(text: str, sentence_start: int, start: int, end: int, value: str) -> tuple[str, bool, int]:
    label, normative, lead = _comparator_before(text, sentence_start, start)
    if label in ("", "reach"):
        for pattern, after in P.CMP_AFTER:
            if pattern.match(text, end):
                return after, normative, lead
        if re.search(r"[余多]", value):
            return "more than", normative, lead
    return label, normative, lead


def _currency(value: str) -> str:
    return next((name for name, pattern in P.CURRENCY_CLASS if pattern.search(value)), "cny")


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
                         and P.CONVERSION_GAP.fullmatch(text, previous_money.end, f_start)
                         and _currency(value) != _currency(previous_money.value))
        comparator, normative, lead = _comparator(text, start, f_start, f_end, value)
        is_restated = value in seen and P.BACK_REFERENCE.search(text[max(start, lead - 30):lead])
        baseline = bool(P.BASELINE.search(text[max(start, lead - 12):lead]))
        figure = Figure(f_start, f_end, value, unit, lead, comparator, normative, baseline)
        if unit == "money":
            previous_money = figure
        if not (is_conversion or is_restated):
            out.append(figure)
    return out


# --------------------------------------------------------------------------- tense


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
    for m in P.CLAUSE_BREAK.finditer(text[start:end]):
        out.append(Segment(pos, start + m.start(), clause))
        clause += m.group(0) in ";；"
        pos = start + m.end()
    out.append(Segment(pos, end, clause))
    return [s for s in out if s.end > s.start]


def _markers(text: str, start: int, end: int, deadlines: list[Deadline], ref: Reference) -> list[Marker]:
    found = [Marker(m.start(), m.end(), tense)
             for tense, patterns in (("future", (P.FUTURE_EN, P.FUTURE_ZH)), ("past", (P.PAST_EN, P.PAST_ZH)))
             for pattern in patterns for m in pattern.finditer(text, start, end)]
    found += [Marker(m.start(), m.end(), "past", "time") for m in P.PAST_TIME_EN.finditer(text, start, end)]
    found += [Marker(m.start(), m.end(), "future", "noun") for m in P.FUTURE_NOUN_EN.finditer(text, start, end)]
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


def _is_imperative(text: str, start: int, end: int) -> bool:
    """Policy instructions are often bare verbs: "Improve ..., and adjust ... by 2024"."""
    m = P.FIRST_WORD.match(text[start:end])
    return bool(m) and m.group(1).lower() in P.IMPERATIVE_VERBS and m.group(1)[0].isupper()


def _figure_kind(fig: Figure, tense: str | None, imperative: bool, has_live_deadline: bool) -> Kind:
    if fig.baseline:
        return "reported"
    if tense:
        return "target" if tense == "future" else "reported"
    if imperative or fig.normative or has_live_deadline:
        return "target"
    return "reported"


# --------------------------------------------------------------------------- metric and responsible body


def _clean_phrase(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase.strip(" \t\n*#•-\"'“”,;:.。"))
    return P.DANGLING_PREP.sub("", P.LEADING_DET.sub("", phrase))


def _subject(text: str, start: int, verb_start: int, deadlines: list[Deadline]) -> str:
    """The noun phrase before the verb, without reporting frames and time phrases."""
    part = text[start:verb_start]
    for d in deadlines:
        if start <= d.phrase_start and d.end <= verb_start:
            part = part.replace(text[d.phrase_start:d.end], " ")
    if re.search(r"\band\s*$", part):  # "they hold 63.7% ... and earn 84.8%": subject already given
        return ""
    part = P.TRAILING_AUX.sub("", P.FRAME.sub("", part))
    phrase = _clean_phrase(part)
    return "" if not phrase or P.PRONOUN.fullmatch(phrase) or len(phrase.split()) > 12 else phrase


def _verb_before(text: str, seg: Segment, lead: int, markers: list[Marker]) -> tuple[int, str]:
    """(start, word) of the verb nearest before the figure."""
    spans = [(m.start, m.end) for m in markers if m.role == "verb" and seg.start <= m.start and m.end <= lead]
    spans += [m.span() for m in P.LINKING.finditer(text, seg.start, lead)]
    if not spans:
        return lead, ""
    start, end = max(spans)
    return start, text[start:end].split()[-1].lower()


def _count_noun(text: str, fig: Figure) -> str:
    noun = re.sub(rf"^{P.NUM}(?:\s(?:{P.SCALE}))?\s*", "", fig.value, flags=re.I)
    if not _is_plural_noun(noun.split()[-1]):  # "10 central and 21 local enterprises"
        later = re.search(r"\b([A-Za-z][\w-]*s)\b", text[fig.end:fig.end + 60])
        noun = f"{noun} {later.group(1)}" if later else noun
    return noun


def _described(subject: str, verb: str, fig: Figure) -> str:
    """What the figure measures, from the subject and its verb ("SOEs invested" -> investment by SOEs)."""
    if verb in P.CHANGE_VERBS and fig.unit == "percent":
        return f"{P.CHANGE_VERBS[verb]} {subject}" if subject else ""
    if verb in P.NOMINALS:
        return f"{P.NOMINALS[verb]} {subject}" if subject else P.NOMINALS[verb].split()[0]
    return subject


def _participle(head: str) -> str:
    words = head.split()
    last = words[-1].lower() if words else ""
    return P.ACTION_PARTICIPLES.get(last, last if last in P.ACTION_PARTICIPLES.values() else "")


def _predicate_after(text: str, pos: int, seg: Segment, markers: list[Marker]) -> str:
    modal = next((m for m in markers if m.role == "verb" and m.tense == "future" and m.start >= pos
                  and not text[pos:m.start].strip()), None)
    return _clean_phrase(" ".join(text[modal.end:seg.end].split()[:8])) if modal else ""


def _metric_en(text: str, seg: Segment, fig: Figure, markers: list[Marker], deadlines: list[Deadline]) -> str:
    head = text[seg.start:fig.lead]
    if m := P.SHARE_OF.search(head):
        return _clean_phrase(f"{m.group(2)} {m.group(1) or ''}")
    if m := P.PUT_AT.search(head) or P.RAISE_TO.search(head):
        return _clean_phrase(m.group(1))
    verb_start, verb = _verb_before(text, seg, fig.lead, markers)
    base = _described(_subject(text, seg.start, verb_start, deadlines), verb, fig)
    if of := P.OF_NP.match(text, fig.end):
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
    change = P.CHANGE.search(head) or P.TAIL_CHANGE.match(text, fig.end)
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


def _metric_zh(text: str, sentence: tuple[int, int], fig: Figure, deadlines: list[Deadline]) -> str:
    """The comma-separated part holding the figure, less markers, dates and the figure with its comparators."""
    s, e = sentence
    bounds = [s] + [s + m.end() for m in re.finditer(r"[，,；;：:]", text[s:e])] + [e + 1]
    part_start = max(b for b in bounds if b <= fig.start)
    part_end = min(b - 1 for b in bounds if b - 1 >= fig.end)
    trail = next((m.end() for p, _ in P.CMP_AFTER if (m := p.match(text, fig.end))), fig.end)
    before = P.ZH_COUNT_LEAD.sub("", text[part_start:fig.lead])
    part = before + " " + text[trail:part_end]
    for d in deadlines:
        part = part.replace(text[d.phrase_start:d.end], " ")
    for pattern in (P.FUTURE_ZH, P.PAST_ZH):
        part = pattern.sub("", part)
    return re.sub(r"(?:到|至|为)$", "", re.sub(r"\s+", "", part).strip("。！？；，、 "))


def _body_before(text: str, seg: Segment, markers: list[Marker]) -> str:
    for m in (m for m in markers if m.tense == "future" and seg.start <= m.start < seg.end):
        candidate = _clean_phrase(P.FRAME.sub("", text[seg.start:m.start]))
        if P.BODY_EN.fullmatch(candidate) or P.BODY_ZH.fullmatch(candidate):
            return candidate
    return ""


def _responsible(text: str, sentence: tuple[int, int], segs: list[Segment], seg: Segment, markers: list[Marker]) -> str:
    """The body named as doing it: the subject before the modal, or "set by X", or 由X牵头."""
    clause_head = next(s for s in segs if s.clause == seg.clause)
    for candidate in (seg, clause_head):
        if body := _body_before(text, candidate, markers):
            return body
    s, e = sentence
    if m := P.SET_BY.search(text, s, e):
        return _clean_phrase(m.group(1))
    if (m := P.LED_BY_ZH.search(text, s, e)) and P.BODY_ZH.fullmatch(m.group(1)):
        return m.group(1)
    return ""


# --------------------------------------------------------------------------- rows

def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading markup, item numbers ("12. ", "（三）") and whitespace so a statement starts at its first word."""
    while start < end and text[start] in " \t\r\n*#•-":
        start += 1
    if (m := P.LIST_MARKER.match(text, start, end)) and m.end() < end:
        start = m.end()
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
    return bool(P.QUESTION_END.search(text[start:end]))


def extract_targets(doc_id: str, text: str, metadata: dict, warnings: list[dict] | None = None) -> list[Target]:
    """Quantified goals, dated commitments and reported figures of one document, in text order.
    `warnings` are the document's ingestion warnings: rows overlapping a garbled figure are flagged."""
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
    return flag_garbled(sorted(rows, key=lambda r: (r.start, r.end)), warnings or [], text)
