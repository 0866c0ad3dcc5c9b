"""What the answer scorer knows about each candidate sentence: measurable evidence, no weights.

Candidates are the sentences of the retrieved passages. For each, `Features` computes
lexical evidence (IDF-weighted coverage of the question's terms in the sentence, its
neighbours, its document and its title), the kind of answer asked for, the period, the
retrieval scores, the sentence's shape and place, and (for the sentences that survive a
cheap first ranking) dense similarity and cross-lingual term matches. The weights that
combine them are learned (`assistant.answer.model`, fitted by `assistant tune`).

Feature names are data: `CHEAP` and `DENSE` list them in the order of the model's vectors.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from assistant.answer import compose
from assistant.answer.question import FRAME_WORDS, QuestionInfo
from assistant.answer.stage import AnswerContext
from assistant.lexical import STOPWORDS, tokenize
from assistant.models import ScoredChunk
from assistant.store import StoredDocument
from ingest.text import has_cjk, paragraph_label, paragraph_spans, sentence_spans

# Cross-lingual term matching (an English question term against the words of a Chinese
# sentence, or the reverse): cosine of multilingual (use-m3) word vectors. Translations
# mostly score 0.5-0.9, unrelated words 0.1-0.3, related ones up to ~0.65, so each passage
# word translates only the question term it is closest to, and only from 0.5 on.
SOFT_MATCH = 0.5

CHEAP = [
    "cov_sent", "cov_focus", "cov_untitled", "title_echo", "cov_near", "scope", "cov_title", "cov_doc", "doc_miss", "miss_top", "phrase", "num_match",
    "hit_dense", "hit_lex", "hit_fused", "inv_rank", "same_doc_top",
    "type_ok", "type_miss", "n_figures", "period", "period_near", "period_lead", "period_title", "period_implicit",
    "period_answer", "period_conflict",
    "date_conflict", "function_words",
    "log_len", "short", "heading_like", "novelty", "opening", "doc_pos",
    "ledger_deadline", "ledger_row", "definition", "list_shape", "colon_end",
    "cov_antecedent", "typed_cov", "scope_worst",
]
DENSE = ["dense", "dense_gap"]
ALL = CHEAP + DENSE

_PERCENT = re.compile(r"\d(?:[\d,.]*\d)?\s?(?:%|％|percent\b|per cent\b|percentage points?\b|basis points?\b|bps\b)|百分之|成(?=以上|左右)"
                      r"|\b(?:half|a third|two[- ]thirds|a quarter|three[- ]quarters|one[- ](?:half|third|quarter|fifth|tenth))\b"
                      r"|一半|半数|过半|[一二三四五六七八九十]分之[一二三四五六七八九十]", re.I)  # a share in words is a share too
# Chinese numerals count as a number only before a unit or classifier: 一 alone is in 进一步, 统一, 一些
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|lakh|crore|dozen|half)\b"
                     r"|[一二三四五六七八九十两][一二三四五六七八九十百千万亿两]*(?:个|项|条|所|家|座|名|位|次|倍|万|亿|千|百|元|吨|公里|亩|户|人|批|类|种|件|台|部|省|年以上|半|成)", re.I)
# a sentence's paragraph or item number ("12.", "C.4", "(iv)", "二、"): where it stands, not a figure it gives
_ENUMERATOR = re.compile(r"^\s*(?:\(?\d{1,3}[.)](?!\d)|[A-Z]\.\d{1,3}\b|\(?[ivxlc]{1,5}[.)]|\(?[a-z][.)]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])\s*")
_AMOUNT = re.compile(r"\d[\d,.]*\s*(?:(?:hundred|thousand|million|billion|trillion|lakh|crore|bn|mn)\s+)?(?:yuan|dollars?|euros?|rupees?|rmb|cny|usd|cedis?)\b"
                     r"|[$¥€₹`£]\s?\d|\b(?:rs\.?|inr|gh[¢c₵]|npr|us\$)\s?\d|\d[\d,.]*\s*(?:万|亿|千)?元|\d[\d,.]*\s*(?:million|billion|trillion|lakh|crore)\b", re.I)
_LIST = re.compile(r"[^,]+,[^,]+,|,[^,]*\b(and|or)\b|、|；|;")
_DATE = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)|\b(january|february|march|april|may|june|july|august|september|october|november|december|quarter|month|year|week|annual|spring|summer|autumn|winter|end of|beginning of|by the end|deadline)\b|[年月日季度]", re.I)
_PERSON = re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b|\b(?:[A-Z]{2,}|Commission|Ministry|Minister|Office|Council|Bureau|Committee|Department|Bank|Authority|Agency|Board|Government)\b|[\u4e00-\u9fff]{2,4}(委|部|局|办|厅|会)|[\u4e00-\u9fff]{1,8}(中心|政府|小组|公司|集团|单位|机构)|负责|牵头")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
WORD = re.compile(r"[^\W\d_]{2}")  # two letters (or CJK characters) in a row: words, not only figures or dots
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-–/]\s*(\d{2,4})(?!\d)")
_ZH_FUNCTION = frozenset("的了是在和与及将对为要把被由从并以于而")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9-]{2,}\b")
# A sentence that points back to what the one before it said ("We have set aside 2 billion
# for this purpose.", 「为此……」): the question's terms found there count for it
_REFERS_BACK = re.compile(r"\b(?:this|these|those|such|the said|the above)\s+(?!year|budget|month|week|fiscal|time|morning)[a-z]+"
                          r"|^(?:\S{1,5}\s+)?(?:This|That|These|Those|It|They)\b|为此|对此|(?<!应)该|此项|上述|这(?!些年|一年|几年)|其中", re.I)
_DEFINES = re.compile(r"\b(?:means?|refers? to|is defined as|defined as|stands? for|known as|called|is an?|are)\b|[(（]|：|:|是指|即", re.I)


@dataclass
class Candidate:
    """One sentence of a retrieved passage, with what the features need of its surroundings."""

    doc_id: str
    start: int
    end: int
    text: str
    rank: int            # 0-based rank of its passage
    hit: ScoredChunk
    prev: str = ""
    next: str = ""
    heading: str = ""
    language: str = "en"
    starts_paragraph: bool = False
    lead: str = ""       # the passage's text before the sentence (a year named there governs it)
    label: str = ""      # heading line(s) right above it: judged with it, not quoted
    x: np.ndarray | None = None       # feature vector (ALL order); DENSE part filled for the shortlist
    p: float = 0.0                    # probability that it answers the question
    matched: set[str] = field(default_factory=set)   # question terms in the sentence or its neighbours
    soft: set[str] = field(default_factory=set)      # terms matched only through a translation


_SENTENCE_END = re.compile(r"[.!?。！？;；:：]['\"’”)）]*$")


def heading_line(text: str, s: int, e: int, after: tuple[int, int]) -> bool:
    """A line of its own that names the section below it ("Port Modernisation Fund",
    "HARBOUR-2"): short, no closing punctuation, no figure but a year, not a list item, and
    followed by a full sentence. It says what that sentence is about and is rarely the
    answer itself; a table row or a bullet ("Fiscal deficit 4.4%") stays a candidate."""
    line = text[s:e].strip(" *#")
    own_line = (s == 0 or "\n" in text[max(0, s - 3):s]) and "\n" in text[e:after[0] + 1]
    figures = [f for f in _FIGURE.findall(line) if not _YEAR.fullmatch(f)]
    below = text[after[0]:after[1]].strip()
    return (own_line and 0 < len(line) < 90 and not _SENTENCE_END.search(line) and not figures
            and not re.match(r"^\s*(?:[-•·▪●*]|\(?\d+[.)、]|[一二三四五六七八九十]+、|\(?[a-z][.)])\s", text[s:e])
            and _full_sentence(below))


def _full_sentence(text: str) -> bool:
    """A sentence long enough to be the body under a heading, not another heading: 40
    characters, or 16 in Chinese, where one character carries about what 2.5 letters do."""
    return bool(_SENTENCE_END.search(text)) and len(text) >= (16 if has_cjk(text) else 40)


def _sentence_after(text: str, pos: int) -> tuple[int, int] | None:
    """The first sentence of `text` from `pos` on (absolute span), if any."""
    spans = [(pos + s, pos + e) for s, e in sentence_spans(text[pos:pos + 800]) if e - s >= 3]
    return spans[0] if spans else None


def _heading_before(text: str, pos: int) -> str:
    """The heading line right above `pos` in a document ("" when the line above is not one):
    a chunk may begin just under the heading that the previous chunk ended with."""
    le = len(text[:pos].rstrip())
    if le == 0 or "\n" not in text[le:pos + 1]:
        return ""
    ls = text.rfind("\n", 0, le) + 1
    after = _sentence_after(text, pos)
    if le <= ls or after is None:
        return ""
    return text[ls:le].strip(" *#") if heading_line(text, ls, le, after) else ""


def candidates(hits: list[ScoredChunk], limit_chunks: int,
               documents: dict[str, StoredDocument] | None = None) -> list[Candidate]:
    """The sentences of the top passages (a run-in label stays with its sentence), once each.

    A heading line is not a candidate of its own: its words go with the sentence under it
    (`label`), which is judged as "heading + sentence" and quoted as the sentence alone.
    With the `documents`, this holds across chunk boundaries too: a heading that ends one
    chunk labels the first sentence of the next."""
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    docs = documents or {}
    for rank, hit in enumerate(hits[:limit_chunks]):
        c = hit.chunk
        spans = merge_labels(c.text, sentence_spans(c.text))
        doc = docs.get(c.doc_id)
        whole = doc.text if doc is not None and doc.text[c.start:c.end] == c.text else None
        pending = _heading_before(whole, c.start) if whole is not None else ""  # a heading waiting for its sentence
        for j, (s, e) in enumerate(spans):
            s, e = compose.trim_quote(c.text, s, e)
            if e - s < 3 or not WORD.search(c.text, s, e):  # a leader line of dots, a row of bare figures
                continue
            if j + 1 < len(spans):
                if heading_line(c.text, s, e, spans[j + 1]):
                    pending = c.text[s:e].strip(" *#")
                    continue
            elif whole is not None:  # the chunk's last line: what follows is in the document
                after = _sentence_after(whole, c.start + e)
                if after is not None and heading_line(whole, c.start + s, c.start + e, after):
                    continue
            label, pending = pending, ""
            key = (c.doc_id, c.start + s)
            if key in seen:
                continue
            seen.add(key)
            prev = c.text[spans[j - 1][0]:spans[j - 1][1]] if j else ""
            nxt = c.text[spans[j + 1][0]:spans[j + 1][1]] if j + 1 < len(spans) else ""
            starts = s == 0 or "\n" in c.text[max(0, s - 3):s]
            out.append(Candidate(c.doc_id, c.start + s, c.start + e, c.text[s:e], rank, hit, prev, nxt, c.heading,
                                 compose.text_language(c.text[s:e]), starts, c.text[max(0, s - 400):s], label=label))
    return out


def merge_labels(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A run-in label ("Comprehensive-reform campaign (launched 2018).") belongs to the
    sentence after it: quote them together."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        s, e = spans[i]
        starts_paragraph = s == 0 or "\n" in text[max(0, s - 2):s] or text[:s].strip(" *#") == ""
        if starts_paragraph and i + 1 < len(spans) and paragraph_label(text, s, spans[i + 1][1]) \
                and "\n" not in text[e:spans[i + 1][0]]:
            out.append((s, spans[i + 1][1]))
            i += 2
            continue
        out.append((s, e))
        i += 1
    return out


def words(text: str) -> set[str]:
    return set(tokenize(text.replace("-", " ")))


@dataclass(frozen=True)
class DocProfile:
    """Every term of a document, and the share of its paragraphs each term occurs in: a
    term found all over a document ("Nepal" in Nepal's budget) names the document, not an answer."""

    words: frozenset[str]
    spread: dict[str, float]


@lru_cache(maxsize=64)
def _profile(doc_id: str, text: str) -> DocProfile:  # cached: documents are read-only between index changes
    from collections import Counter

    paras = [text[s:e] for s, e in paragraph_spans(text)] or [text]
    counts: Counter[str] = Counter()
    for p in paras:
        counts.update(words(p))
    n = len(paras)
    return DocProfile(frozenset(counts), {t: c / n for t, c in counts.items()})


def doc_profile(doc: StoredDocument) -> DocProfile:
    return _profile(doc.doc_id, doc.text)


def title_text(doc: StoredDocument | None, hit: ScoredChunk) -> str:
    m = doc.metadata if doc is not None else hit.chunk.metadata
    rel = compose.source_of(m)
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", rel.rsplit("/", 1)[-1]).replace("-", " ").replace("_", " ")
    return " ".join(str(x) for x in (m.get("title", ""), m.get("issuer", ""), m.get("date") or "", stem) if x)


def years_in(text: str) -> set[str]:
    """Years named in a text, with fiscal-year ranges ("2024-25", "2024/25") expanded."""
    found = set(_YEAR.findall(text))
    for a, b in _RANGE.findall(text):
        end = int(a[:2] + b if len(b) == 2 else b)
        if int(a) <= end <= int(a) + 30:
            found |= {str(y) for y in range(int(a), end + 1)}
    return found


def period_match(years: list[str], text: str, found: set[str] | None = None) -> float:
    """1: the text names only the asked period; 0.5: it names it among others; -1: only other periods.
    `found`: the text's years, when the caller has already set some aside."""
    if not years:
        return 0.0
    found = years_in(text) if found is None else found
    if set(years) & found:
        return 1.0 if found <= set(years) else 0.5
    return -1.0 if found else 0.0


_INLINE_ENUMERATOR = re.compile(r"[(（](?:\d{1,2}|[ivx]{1,4}|[a-h])[)）]")  # "(1) setting up ..., (2) ..."


def content_figures_text(text: str) -> str:
    """The sentence without its paragraph and item numbers and its years: what is left of its
    figures is what it counts or measures ("1. ... the budget for the fiscal year 2031/32." holds no amount)."""
    return _YEAR.sub(" ", _RANGE.sub(" ", _INLINE_ENUMERATOR.sub(" ", _ENUMERATOR.sub("", text, count=1))))


def _beyond(pattern: re.Pattern, text: str, asked: str) -> bool:
    """A match of `pattern` that the question does not already hold: the answer to "Who will
    chair the Commission?" is not the word "Commission", nor is 2031 the answer to "By when
    will the 2031 plan be done?"."""
    q = asked.lower()
    q_words = set(re.findall(r"\w+", q))
    for m in pattern.finditer(text):
        found = m.group(0).lower().strip()
        if found and found not in q and not set(re.findall(r"\w+", found)) <= q_words:
            return True
    return False


def has_type(kind: str, text: str, asked: str = "") -> bool:
    """Whether the sentence holds an answer of the asked kind, beyond what the question (`asked`) says."""
    if kind == "percent":
        return _beyond(_PERCENT, text, asked)
    if kind == "number":  # "how many of them": "more than half", 「一半以上」 answer it too
        return _beyond(_NUMBER, content_figures_text(text), asked) or _beyond(_PERCENT, text, asked)
    if kind == "amount":
        rest = content_figures_text(text)
        return (_beyond(_AMOUNT, text, asked) or (_beyond(_NUMBER, rest, asked) and bool(re.search(r"\d", rest)))
                or _beyond(_PERCENT, text, asked))  # "what annual cost": 0.2 percent of GDP
    if kind == "date":
        return _beyond(_DATE, text, asked)
    if kind == "list":
        return bool(_LIST.search(text))
    if kind == "person":
        return _beyond(_PERSON, text, asked)
    return True


def term_weights(info: QuestionInfo, idf: dict[str, float]) -> dict[str, float]:
    """IDF of each topic term of the question; words that only name the kind of answer
    ("which fields") or come from an earlier turn weigh less."""
    top = max(idf.values(), default=1.0)
    out = {}
    for t in info.terms:
        w = idf.get(t, top)
        if t in info.borrowed_terms and info.focus:
            w *= 0.1  # a follow-up with a subject of its own: the earlier question only sets the scene
        elif t in info.category_terms or t in info.borrowed_terms:
            w *= 0.3
        out[t] = w
    return out


def _figures(text: str) -> set[str]:
    return {f.replace(",", "") for f in _FIGURE.findall(text)}


class Features:
    """Computes the feature vectors of one request's candidates (nothing is kept between requests)."""

    def __init__(self, info: QuestionInfo, ctx: AnswerContext, hits: list[ScoredChunk]):
        self.info, self.ctx = info, ctx
        self.docs = ctx.documents
        self.weights = term_weights(info, ctx.lexicon.idf)
        self.total = sum(self.weights.values()) or 1.0
        self.top_weight = max(self.weights.values(), default=1.0)
        self.q_figures = {f for f in _figures(_YEAR.sub(" ", info.text)) if len(f) > 1 or f.isdigit()}
        self.q_bigrams = self._bigrams(info.text)
        self.q_acronyms = set(_ACRONYM.findall(info.text))
        self.top_doc = hits[0].chunk.doc_id if hits else ""
        self.max_dense = max([h.dense or 0.0 for h in hits] + [1e-9])
        self.max_lex = max([h.lexical or 0.0 for h in hits] + [1e-9])
        self.max_fused = max([h.score for h in hits] + [1e-9])
        self._ledger: dict[str, list[tuple[int, int, bool]]] = {}

    @staticmethod
    def _bigrams(text: str) -> set[tuple[str, str]]:
        toks = [t for t in tokenize(text.replace("-", " ")) if t not in FRAME_WORDS]
        return set(zip(toks, toks[1:]))

    def _share(self, terms: set[str]) -> float:
        return sum(w for t, w in self.weights.items() if t in terms) / self.total

    def ledger(self, doc_id: str) -> list[tuple[int, int, bool]]:
        if doc_id not in self._ledger:
            d = self.docs.get(doc_id)
            self._ledger[doc_id] = [(int(r["start"]), int(r["end"]), bool(r.get("deadline"))) for r in (d.targets if d else [])]
        return self._ledger[doc_id]

    # -- the cheap part: every candidate -------------------------------------------------
    def scope(self, cands: list[Candidate]) -> tuple[dict[str, float], dict[str, float]]:
        """Per retrieved document: how much it is the one the question is about, and how well it
        holds the naming term it holds least. Terms spread over a document ("India" in India's
        budget speech) name it; a document where the question's naming terms are rare (Nepal's
        speech, for a question about India) is out of scope, and one missing name is enough,
        however many others it shares (a term counts as held from a quarter of its spread in
        the retrieved document where it is most spread)."""
        profiles = {c.doc_id: doc_profile(self.docs[c.doc_id]) for c in cands
                    if c.doc_id in self.docs and c.language == self.info.language}  # other languages: neutral
        if not profiles:
            return {}, {}
        top = {t: max(p.spread.get(t, 0.0) for p in profiles.values()) for t in self.weights}
        naming = {t: w for t, w in self.weights.items() if top[t] >= 0.05}
        worst = {d: min((min(1.0, 4 * p.spread.get(t, 0.0) / top[t]) for t in naming), default=1.0)
                 for d, p in profiles.items()}
        total = sum(naming.values())
        if not total:
            return {d: 1.0 for d in profiles}, worst
        return ({d: sum(w * min(1.0, p.spread.get(t, 0.0) / top[t]) for t, w in naming.items()) / total
                 for d, p in profiles.items()}, worst)

    def cheap(self, cands: list[Candidate]) -> None:
        info = self.info
        typed = info.answer_type != "other"
        scope, worst = self.scope(cands)
        # translations of the question's terms in sentences of the other language count as matches
        cross = [c for c in cands if c.language != info.language]
        soft = {id(c): pair for c, pair in zip(cross, self.soft_matches(cross))}
        q_words = set(self.weights)
        for c in cands:
            d = self.docs.get(c.doc_id)
            sent = words(f"{c.label} {c.text}" if c.label else c.text)
            near = words(" ".join((c.prev, c.next, c.heading)))
            title = words(title_text(d, c.hit))
            profile = doc_profile(d) if d is not None else None
            whole = profile.words if profile is not None else words(c.hit.chunk.text)
            spread = profile.spread if profile is not None else {}
            soft_sent, soft_near = soft.get(id(c), (set(), set()))
            in_sent = {t for t in self.weights if t in sent or _prefix_hit(t, sent)}
            c.soft = (soft_sent | soft_near) - in_sent
            in_sent |= soft_sent
            in_near = ({t for t in self.weights if t in near} | soft_near) - in_sent
            in_title = {t for t in self.weights if t in title}
            in_doc = {t for t in self.weights if t in whole} | in_sent | in_near
            c.matched = in_sent | in_near
            missing = [w for t, w in self.weights.items() if t not in in_sent | in_near | in_title]
            toks = [t for t in tokenize(f"{c.label} {c.text}".replace("-", " ")) if t not in FRAME_WORDS]
            bigrams = set(zip(toks, toks[1:]))
            figs = _figures(c.text)
            own_figs = _figures(_ENUMERATOR.sub("", c.text, count=1))  # not its paragraph number
            doc_len = max(len(d.text), 1) if d is not None else max(c.hit.chunk.end, 1)
            type_ok = any(has_type(t, c.text, info.text) for t in [info.answer_type] + info.also_types)  # any ask's kind
            years = years_in(c.text)
            if info.answer_type == "date" and info.years:
                # "by what year ... in the 2023 plan": a later year is a candidate answer, not another period
                latest = max(int(y) for y in info.years)
                years = {y for y in years if int(y) <= latest}
            period = period_match(info.years, c.text, years)
            period_near = period_match(info.years, " ".join((c.prev, c.heading, str((d.metadata if d else {}).get("date") or "")[:4])))
            period_title = period_match(info.years, title_text(d, c.hit))
            toks_all = tokenize(c.text.replace("-", " "), stem=False)
            function = sum(1 for w in re.findall(r"[A-Za-z]+|[\u4e00-\u9fff]", c.text) if w.lower() in STOPWORDS or w in _ZH_FUNCTION)
            ledger = [(s, e, dl) for s, e, dl in self.ledger(c.doc_id) if s < c.end and c.start < e]
            stripped = c.text.strip()
            heading_like = len(stripped) < 90 and not re.search(r"[.!?。！？;；:：]$", stripped)
            definition = 0.0
            if self.q_acronyms and any(a in c.text for a in self.q_acronyms):
                definition = 1.0 if _DEFINES.search(c.text) else 0.5
            elif info.answer_type == "other" and _DEFINES.search(c.text) and in_sent:
                definition = 0.25
            in_prev = ({t for t in self.weights if t in words(c.prev)} - in_sent) if c.prev and _REFERS_BACK.search(c.text) else set()
            c.x = np.zeros(len(ALL), dtype=np.float32)
            # terms of the question that name the document ("Nepal's 2024/25 budget") say which document, not which sentence
            untitled = {t: w for t, w in self.weights.items() if t not in title}
            sent_content = [t for t in tokenize(c.text.replace("-", " ")) if t not in FRAME_WORDS]
            doc_years = years_in(title_text(d, c.hit))
            answer_years = [y for y in info.years if y not in doc_years]
            period_implicit = period if years else period_title  # a sentence without a year speaks of its document's period
            focus = sum(w * (1.0 - min(1.0, 4 * spread.get(t, 0.0))) for t, w in self.weights.items() if t in in_sent)
            focus_total = sum(w * (1.0 - min(1.0, 4 * spread.get(t, 0.0))) for t, w in self.weights.items()) or 1.0
            c.x[:len(CHEAP)] = [
                self._share(in_sent),
                focus / focus_total,
                (sum(w for t, w in untitled.items() if t in in_sent) / sum(untitled.values())) if untitled else 0.0,
                (sum(1 for t in sent_content if t in title) / len(sent_content)) if sent_content else 0.0,
                self._share(in_near),
                scope.get(c.doc_id, 1.0),
                self._share(in_title),
                self._share(in_doc - in_sent - in_near),
                self._share(set(self.weights) - in_doc - in_title),
                (max(missing) / self.top_weight) if missing else 0.0,
                len(self.q_bigrams & bigrams) / len(self.q_bigrams) if self.q_bigrams else 0.0,
                (len(self.q_figures & figs) / len(self.q_figures)) if self.q_figures else 0.0,
                (c.hit.dense or 0.0) / self.max_dense,
                (c.hit.lexical or 0.0) / self.max_lex,
                c.hit.score / self.max_fused,
                1.0 / (c.rank + 1),
                float(c.doc_id == self.top_doc),
                float(type_ok),
                float(typed and not type_ok),
                math.log1p(len(own_figs)),
                period,
                period_near,
                period_match(info.years, c.lead),
                period_title,
                period_implicit,
                period_match(answer_years, c.text, years) if answer_years else 0.0,
                float(bool(info.years) and bool(years) and not (set(info.years) & years)),
                float(info.answer_type == "date" and bool(info.years) and bool(years) and not (set(info.years) & years)),
                function / max(len(toks_all) + function, 1),
                math.log1p(len(c.text)) / 6.0,
                float(len(c.text) < 50),
                float(heading_like),
                (sum(1 for t in set(sent_content) if t not in q_words) / len(set(sent_content))) if sent_content else 0.0,
                float(c.start < max(600, 0.02 * doc_len)),
                c.start / doc_len,
                float(info.answer_type == "date" and any(dl for _, _, dl in ledger)),
                float(bool(ledger)),
                definition,
                float(info.answer_type == "list" and bool(_LIST.search(c.text))),
                float(stripped.endswith((":", "："))),
                self._share(in_prev),
                float(typed and type_ok) * self._share(in_sent | in_prev),
                worst.get(c.doc_id, 1.0),
            ]

    # -- the costly part: a shortlist -------------------------------------------------------
    def dense(self, cands: list[Candidate]) -> None:
        """Question-sentence cosine with the index's embedder."""
        if not cands:
            return
        i_dense, i_gap = (ALL.index(n) for n in DENSE)
        if self.ctx.embed_sentences is not None:
            vecs = self.ctx.embed_sentences([self.info.focus or self.info.text] + [f"{c.label}: {c.text}" if c.label else c.text for c in cands])
            sims = vecs[1:] @ vecs[0]
            top = float(sims.max())
            for c, s in zip(cands, sims):
                c.x[i_dense] = float(s)
                c.x[i_gap] = float(s) - top

    def soft_matches(self, cross: list[Candidate]) -> list[tuple[set[str], set[str]]]:
        """For each other-language candidate: the question terms with a translation among the
        sentence's words, and among its neighbours' words."""
        embed = self.ctx.embed_terms
        terms = [t for t in self.weights if not t.isdigit() and not _FIGURE.fullmatch(t)]
        if not cross or embed is None or not terms:
            return [(set(), set()) for _ in cross]
        surface = question_surface(self.info.text)
        per = [(content_words(c.text), content_words(" ".join((c.prev, c.next, c.heading)))) for c in cross]
        vocab = list(dict.fromkeys(w for pair in per for ws in pair for w in ws))
        if not vocab:
            return [(set(), set()) for _ in cross]
        vecs = embed([surface.get(t, t) for t in terms] + vocab)
        sims = vecs[:len(terms)] @ vecs[len(terms):].T
        owner = sims.argmax(axis=0)  # each passage word translates the one term it is closest to
        col = {w: i for i, w in enumerate(vocab)}
        out = []
        for ws_sent, ws_near in per:
            found = []
            for ws in (ws_sent, ws_near):
                hit = set()
                for w in ws:
                    j = col[w]
                    o = terms[owner[j]]
                    if sims[owner[j], j] >= SOFT_MATCH:  # the owner, and Chinese terms nested with it (装箱, 集装箱)
                        hit.update(t for i, t in enumerate(terms) if t == o or (has_cjk(t) and (t in o or o in t)
                                                                                and sims[i, j] >= SOFT_MATCH))
                found.append(hit | {t for t in terms if pieced(t, hit)})
            out.append((found[0], found[1]))
        return out


def covers_question(x: np.ndarray) -> bool:
    """True when a sentence holds every term of the question (IDF-weighted coverage 1): a
    runner-up beside it could only add another fact, never the missing one."""
    return float(x[_COV_SENT]) >= 0.999


_COV_SENT = ALL.index("cov_sent")


def question_surface(question: str) -> dict[str, str]:
    """Question terms (stems) mapped to the words as written, for embedding."""
    q = question.replace("-", " ")
    return dict(zip(tokenize(q), tokenize(q, stem=False)))


def content_words(text: str) -> list[str]:
    """The words of a sentence worth matching a term against (no numbers, no question words)."""
    return [w for w in dict.fromkeys(tokenize(text.replace("-", " "), stem=False))
            if not _FIGURE.fullmatch(w) and w not in FRAME_WORDS]


def pieced(term: str, parts: set[str]) -> bool:
    """True when shorter terms cover every character of a Chinese compound term
    (码头 + 工人 cover 码头工人): jieba's search mode yields both."""
    covered = set()
    for p in parts:
        if p != term and p in term:
            i = term.find(p)
            while i >= 0:
                covered.update(range(i, i + len(p)))
                i = term.find(p, i + 1)
    return has_cjk(term) and len(covered) == len(term)


def _prefix_hit(term: str, tokens: set[str]) -> bool:
    """An abbreviation in the question ("sci" for "science") or an inflection the stemmer missed."""
    return len(term) >= 4 and not has_cjk(term) and any(t.startswith(term) and len(t) > len(term) for t in tokens)
