"""The default answerer: picks the sentences that answer the question from the
retrieved passages and quotes them verbatim, or refuses.

Per candidate sentence it weighs
- coverage: how much of the question's (IDF-weighted) terms the sentence and
  its immediate context (previous sentence, section heading, title) contain,
  with a small thesaurus of paraphrases;
- answer type: a "how many" question needs a number, "what share" a
  percentage, "when" a date or period;
- period: a question that names a year wants a passage about that year;
- meaning: cosine similarity of question and sentence embeddings;
- the passage's retrieval rank.
It refuses when a term of the question names something the indexed documents
never mention (a budget, employees, dividends...), when the best sentence
covers too little of the question, or when it lacks the kind of answer asked for.
"""

from __future__ import annotations


import math
import re
from dataclasses import dataclass, field

from assistant.lexical import tokenize
from assistant.answer import compose
from assistant.answer.stage import AnswerContext
from assistant.answer.turn import Turn
from assistant.injection import looks_like_injection
from assistant.models import Answer, ScoredChunk
from assistant.answer.question import FRAME_WORDS, PHRASES, QuestionInfo, variants
from assistant.answer.compose import text_language
from ingest.text import has_cjk, paragraph_label, sentence_spans

# Cross-lingual term matching (an English question term against the words of a
# Chinese sentence, or the reverse): cosine of multilingual word embeddings. On
# use-m3, translations mostly score 0.5-0.9, unrelated words 0.1-0.3, but words of
# related meaning up to ~0.65 (工资 "wages" / "workers"): so each passage word
# translates only the question term it is closest to, and only from 0.5 on.
SOFT_MATCH = 0.5

_PERCENT = re.compile(r"\d(?:[\d,.]*\d)?\s?(?:%|％|percent\b|per cent\b)|百分之|成(?=以上|左右)")
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|dozen|dozens|half)\b|[一二三四五六七八九十百千万亿两]", re.I)
_AMOUNT = re.compile(r"\d[\d,.]*\s*(?:(?:hundred|thousand|million|billion|trillion|bn|mn)\s+)?(?:yuan|dollars?|US dollars|euros?|rmb|cny|usd)\b|[$¥€]\s?\d|\d[\d,.]*\s*(?:万|亿|千)?元|\d[\d,.]*\s*(?:million|billion|trillion)\b", re.I)
_LIST = re.compile(r"[^,]+,[^,]+,|,[^,]*\b(and|or)\b|、|；|;")
_DATE = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)|\b(january|february|march|april|may|june|july|august|september|october|november|december|quarter|month|year|week|annual|spring|summer|autumn|winter|end of|beginning of|by the end|deadline)\b|[年月日季度]", re.I)
_PERSON = re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b|\b(SASAC|Commission|Ministry|Office|Council|Bureau|Committee|Department)\b|[\u4e00-\u9fff]{2,4}(委|部|局|办|厅|会)|[\u4e00-\u9fff]{1,8}(中心|政府|小组|公司|集团|单位|机构)|负责|牵头")


@dataclass
class Candidate:
    doc_id: str
    start: int
    end: int
    text: str
    rank: int
    chunk: ScoredChunk
    context: str = ""
    doc_date: str = ""
    coverage: float = 0.0
    matched: set[str] = field(default_factory=set)
    type_ok: bool = True
    period: float = 0.0
    dense: float = 0.0
    score: float = 0.0
    language: str = "en"
    soft: set[str] = field(default_factory=set)  # terms matched only across languages


class ExtractiveAnswerer:
    """Sentence selection and the refusal decision over retrieved chunks."""

    def __init__(self, embed, idf, vocabulary, max_sentences: int = 3, min_coverage: float = 0.5, term_embed=None,
                 dense_sentences: int = 8):
        self.embed = embed                    # list[str] -> np.ndarray of unit vectors
        self.dense_sentences = dense_sentences  # the best-covering sentences also scored by embedding (the costly part of ask)
        self.idf = idf                        # token -> idf
        self.vocabulary = vocabulary          # every token in the index
        self.max_sentences = max_sentences
        self.min_coverage = min_coverage
        self.term_embed = term_embed          # multilingual word vectors for cross-lingual coverage (or None)

    # -- candidates ---------------------------------------------------------
    def candidates(self, hits: list[ScoredChunk], limit_chunks: int = 8) -> list[Candidate]:
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        for rank, hit in enumerate(hits[:limit_chunks]):
            c = hit.chunk
            spans = _merge_labels(c.text, sentence_spans(c.text))
            for j, (s, e) in enumerate(spans):
                s, e = compose.trim_quote(c.text, s, e)
                if e - s < 3:
                    continue
                key = (c.doc_id, c.start + s)
                if key in seen:
                    continue
                seen.add(key)
                prev = c.text[spans[j - 1][0]:spans[j - 1][1]] if j else ""
                nxt = c.text[spans[j + 1][0]:spans[j + 1][1]] if j + 1 < len(spans) else ""
                meta = c.metadata
                context = " ".join(x for x in (meta.get("title", ""), c.heading, prev, nxt) if x)
                out.append(Candidate(c.doc_id, c.start + s, c.start + e, c.text[s:e], rank, hit, context,
                                     doc_date=str(meta.get("date") or ""), language=text_language(c.text[s:e])))
        return out

    # -- scoring ------------------------------------------------------------
    def unknown_terms(self, info: QuestionInfo, ranked: list[Candidate] = ()) -> list[str]:
        """Question terms the index never mentions, even through a synonym, an
        abbreviation or a translation in a retrieved passage of the other language:
        the question is about something the documents do not cover."""
        translated = {t for c in ranked for t in c.soft}
        covered_by_phrase = {t for p in info.phrases for t in p}
        unknown = []
        for t in info.terms:
            if t in info.borrowed_terms:
                continue
            if t in covered_by_phrase or t in FRAME_WORDS or t in info.category_terms or t.isdigit() \
                    or len(t) < (2 if has_cjk(t) else 3) or t in translated:
                continue
            if any(v in self.vocabulary for v in variants(t)):
                continue
            if len(t) >= (2 if has_cjk(t) else 3) and any(w.startswith(t) for w in self.vocabulary if len(w) > len(t)):
                continue  # abbreviation such as "sci" for "science"
            if has_cjk(t):
                if any(t != u and t in u for u in info.terms):
                    continue  # a piece of a longer Chinese term: the longer one decides
                if _pieced(t, {u for u in info.terms if u in translated or u in self.vocabulary}):
                    continue
                if _zh_topic(t, info.text):
                    unknown.append(t)  # Chinese: a noun the index lacks (verbs and function words are paraphrased)
                continue
            if _looks_verbal(t, info.text):
                continue  # verbs are paraphrased freely ("finished" / "completed")
            unknown.append(t)
        return unknown

    def score(self, info: QuestionInfo, cands: list[Candidate], doc_texts: dict[str, str] | None = None,
              deadlines: dict[str, list[tuple[int, int]]] | None = None) -> list[Candidate]:
        terms = list(info.terms)
        top_idf = max(self.idf.values(), default=1.0)
        weights = {t: self.idf.get(t, top_idf) * (0.3 if t in info.category_terms | info.borrowed_terms else 1.0) for t in terms
                   if t not in info.category_terms or t in self.vocabulary}
        total = sum(weights.values()) or 1.0
        doc_tokens = {d: set(tokenize(t.replace("-", " "))) for d, t in (doc_texts or {}).items()}
        soft = self._soft_matches(info, [c for c in cands if c.language != info.language], list(weights))
        for c in cands:
            soft_sent, soft_ctx = soft.get(id(c), (set(), set()))
            sent = set(tokenize(c.text.replace("-", " ")))
            ctx = set(tokenize(c.context.replace("-", " ")))
            whole = doc_tokens.get(c.doc_id, set())
            got = 0.0
            for t, w in weights.items():
                v = variants(t) | {a for p, alts in PHRASES.items() if t in p for a in alts}
                if v & sent or _prefix_hit(t, sent):
                    got += w
                    c.matched.add(t)
                elif v & ctx:
                    got += 0.7 * w
                    c.matched.add(t)
                elif t in soft_sent or t in soft_ctx:  # a translation of the term (other-language passage)
                    got += (0.9 if t in soft_sent else 0.6) * w
                    c.matched.add(t)
                    c.soft.add(t)
                elif v & whole:
                    got += (1.0 if t in info.source_terms else 0.4) * w  # the named source, anywhere in it
            c.coverage = got / total
            c.type_ok = _has_type(info.answer_type, c.text)
            c.period = _period_match(info.years, c.text)
            if c.period <= 0 and _period_match(info.years, " ".join((c.context, c.doc_date[:4]))) > 0:
                c.period = 0.5  # the period is named nearby, not in the sentence itself
        top = sorted(cands, key=lambda c: -(c.coverage + 0.02 * (6 - c.rank)))[:self.dense_sentences]
        if top and self.embed is not None:
            vecs = self.embed([info.text] + [c.text for c in top])
            sims = vecs[1:] @ vecs[0]
            for c, s in zip(top, sims):
                c.dense = float(s)
        for c in cands:
            c.score = c.coverage + 0.5 * c.dense + (0.25 if c.type_ok else -0.25) + 0.2 * c.period + 0.03 * (6 - c.rank)
            if info.answer_type == "date" and any(s < c.end and c.start < e for s, e in (deadlines or {}).get(c.doc_id, ())):
                c.score += 0.15  # "by when": a sentence the ledger read as a deadline beats one that merely names a year
            if c.language != info.language:
                c.score -= 0.1  # an equally good passage in the question's own language is quoted first
        return sorted(cands, key=lambda c: -c.score)

    def _soft_matches(self, info: QuestionInfo, cross: list[Candidate], terms: list[str]) -> dict[int, tuple[set, set]]:
        """For candidates in the other language than the question: which question terms
        have a translation among the sentence's words, and among its context's words."""
        if not cross or self.term_embed is None:
            return {}
        surface = question_surface(info.text)
        terms = [t for t in terms if not t.isdigit() and not _YEARISH.fullmatch(t)]
        if not terms:
            return {}
        words: dict[int, tuple[list[str], list[str]]] = {}
        for c in cross:
            words[id(c)] = (_content_words(c.text), _content_words(c.context))
        vocab = list(dict.fromkeys(w for pair in words.values() for ws in pair for w in ws))
        if not vocab:
            return {}
        vecs = self.term_embed([surface.get(t, t) for t in terms] + vocab)
        sims = vecs[:len(terms)] @ vecs[len(terms):].T
        # Each passage word translates at most one question term: the one it is closest
        # to ("workers" is 工人, not 工资 that merely sits near it in meaning).
        owner = sims.argmax(axis=0)
        col = {w: i for i, w in enumerate(vocab)}
        out = {}
        for c in cross:
            found = []
            for ws in words[id(c)]:
                hit = set()
                for w in ws:
                    j = col[w]
                    o = terms[owner[j]]
                    if sims[owner[j], j] >= SOFT_MATCH:  # the owner, and Chinese terms nested with it (装箱, 集装箱)
                        hit.update(t for i, t in enumerate(terms) if t == o or (has_cjk(t) and (t in o or o in t)
                                                                                and sims[i, j] >= SOFT_MATCH))
                found.append(hit | {t for t in terms if _pieced(t, hit)})
            out[id(c)] = (found[0], found[1])
        return out

    # -- selection ----------------------------------------------------------
    def select(self, info: QuestionInfo, ranked: list[Candidate], doc_texts: dict[str, str] | None = None
               ) -> tuple[list[Candidate], str | None]:
        """The answering sentences, or ([], reason) when the question must be refused.
        `doc_texts` (doc_id -> cleaned text) lets list questions collect items beyond the passage."""
        if not ranked:
            return [], "no passage matches the question"
        unknown = self.unknown_terms(info, ranked)
        if unknown:
            return [], f"the documents never mention: {', '.join(unknown)}"
        best = ranked[0]
        if best.coverage < self.min_coverage:
            return [], f"the closest passage covers only {best.coverage:.0%} of the question"
        if not best.type_ok and info.answer_type in ("number", "percent", "date"):
            typed = [c for c in ranked if c.type_ok and c.coverage >= self.min_coverage]
            if not typed:
                return [], f"no passage gives a {info.answer_type}"
            best = typed[0]
        chosen = [best]
        want = info.expected_items or (2 if _is_compound(info.text) else 1)
        listed = []
        if info.expected_items:
            for c in [best] + [c for c in ranked[:10] if c.coverage >= self.min_coverage]:
                listed = self._list_items(c, info.expected_items, (doc_texts or {}).get(c.doc_id))
                if listed:
                    break
        if listed:
            chosen = listed
        elif want > 1 or info.answer_type == "list":
            chosen += self._companions(info, best, ranked, want)
        chosen = chosen[: max(self.max_sentences, len(listed), info.expected_items or 0)]
        return sorted(chosen, key=lambda c: (c.doc_id != best.doc_id, c.doc_id, c.start)), None

    def _list_items(self, best: Candidate, want: int, text: str | None) -> list[Candidate]:
        """For "which three areas ...": the items of the list the best sentence
        belongs to, found in its document: sentences that open the same way
        (parallel paragraph leads), or the paragraphs after an introducing
        sentence ending in a colon."""
        if not text:
            return []
        spans = sentence_spans(text)
        head = _opening(text[best.start:best.end])
        if head:
            same = [(s, e) for s, e in spans if _opening(text[s:e]) == head]
            if len(same) == want:
                return [self._derived(best, s, e, text) for s, e in same]
        if text[best.start:best.end].rstrip().endswith((":", "：")):
            after = [(s, e) for s, e in spans if s >= best.end and (s == 0 or text[s - 1] == "\n")][:want]
            if len(after) == want:
                return [best] + [self._derived(best, s, e, text) for s, e in after]
        return []

    @staticmethod
    def _derived(best: Candidate, s: int, e: int, text: str) -> Candidate:
        s, e = compose.trim_quote(text, s, e)
        return Candidate(best.doc_id, s, e, text[s:e], best.rank, best.chunk, coverage=best.coverage, score=best.score)

    def _companions(self, info: QuestionInfo, best: Candidate, ranked: list[Candidate], want: int) -> list[Candidate]:
        """More sentences for questions that ask for several things: parallel
        sentences (same opening words) for "which three areas", or sentences that
        cover what the best one missed for compound questions."""
        out: list[Candidate] = []
        missing = set(info.terms) - best.matched
        head = _opening(best.text)
        for c in ranked[1:]:
            if len(out) + 1 >= max(want, 1) + (0 if info.expected_items else 1):
                break
            if c.coverage < self.min_coverage or (c.doc_id, c.start) == (best.doc_id, best.start):
                continue
            parallel = info.expected_items and head and _opening(c.text) == head
            fills_gap = bool(missing & c.matched) and c.score >= 0.8 * best.score
            if parallel or fills_gap:
                out.append(c)
                missing -= c.matched
        return out


def _merge_labels(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A run-in label ("Comprehensive-reform campaign (launched 2018).") belongs
    to the sentence after it: quote them together."""
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


_YEARISH = re.compile(r"\d+(?:[.,]\d+)*")


def question_surface(question: str) -> dict[str, str]:
    """Question terms (stems) mapped to the words as written, for embedding."""
    q = question.replace("-", " ")
    return dict(zip(tokenize(q), tokenize(q, stem=False)))


def _content_words(text: str) -> list[str]:
    """The words of a sentence worth matching a term against (no numbers, no stop words)."""
    return [w for w in dict.fromkeys(tokenize(text.replace("-", " "), stem=False))
            if not _YEARISH.fullmatch(w) and w not in FRAME_WORDS]


_ZH_TOPIC_FLAGS = ("n", "vn", "nz", "j", "l", "i", "eng", "s", "ns", "nt", "nr")


def _zh_topic(term: str, question: str) -> bool:
    """True when a Chinese term names a thing (a noun), judged by jieba's part of speech
    in the question; verbs, adverbs, pronouns, numerals and time words are not topics."""
    import jieba.posseg as pseg

    flags = {w.word: w.flag for w in pseg.lcut(question)}
    flag = flags.get(term) or next((w.flag for w in pseg.lcut(term)), "")
    return flag in _ZH_TOPIC_FLAGS or (flag.startswith("n") and flag != "nr")


def _pieced(term: str, parts: set[str]) -> bool:
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
    return len(term) >= 3 and any(t.startswith(term) and len(t) > len(term) for t in tokens)


def _opening(text: str) -> str:
    words = text.split()
    return " ".join(words[:3]).lower() if len(words) >= 4 else ""


def _is_compound(q: str) -> bool:
    return bool(re.search(r"\b(and|as well as|compare|compared|versus|vs|both|difference between)\b.*\?", q, re.I)) and \
        len(re.findall(r"\b(how|what|which|when|who)\b", q, re.I)) >= 2


def _has_type(kind: str, text: str) -> bool:
    if kind == "percent":
        return bool(_PERCENT.search(text))
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "amount":
        return bool(_AMOUNT.search(text))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "list":
        return bool(_LIST.search(text))
    if kind == "person":
        return bool(_PERSON.search(text))
    return True


def _period_match(years: list[str], text: str) -> float:
    if not years:
        return 0.0
    found = set(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", text))
    for a, b in re.findall(r"(?<!\d)((?:19|20)\d\d)\s*[-–]\s*(\d{2,4})(?!\d)", text):
        end = int(a[:2] + b if len(b) == 2 else b)
        found |= {str(y) for y in range(int(a), min(end, int(a) + 30) + 1)}
    if set(years) & found:
        return 1.0 if found <= set(years) else 0.5  # other periods too: a weaker match
    return -1.0 if found else 0.0


_VERB_CONTEXT = re.compile(r"\b(do|does|did|has|have|had|is|are|was|were|be|been|being|will|would|should|can|could|may|might|must|shall|to)\b")


def _looks_verbal(stem: str, question: str) -> bool:
    """True when the question uses this word as a verb (after an auxiliary, or as
    an inflected verb form): verbs are paraphrased freely, nouns name things."""
    from lemminflect import getAllLemmas

    words = re.findall(r"[A-Za-z][A-Za-z'-]*", question)
    for i, w in enumerate(words):
        if not tokenize(w) or tokenize(w)[0] != stem:
            continue
        lemmas = getAllLemmas(w.lower())
        if "VERB" not in lemmas:
            return False
        if "NOUN" not in lemmas:
            return True
        before = " ".join(words[max(0, i - 4):i]).lower()
        return bool(_VERB_CONTEXT.search(before)) and not re.search(r"\b(the|a|an|of|their|its|total)\s*$", before)
    return False


def idf_table(doc_freq: dict[str, int], n_docs: int) -> dict[str, float]:
    return {t: math.log(1 + (n_docs - df + 0.5) / (df + 0.5)) for t, df in doc_freq.items()}


class ExtractiveStage:
    """The last stage: quotes the sentences that answer, or refuses with the closest passages."""

    name = "extractive"

    def __init__(self, max_sentences: int = 3, dense_sentences: int = 8):
        self.max_sentences = max_sentences
        self.dense_sentences = dense_sentences

    def answerer(self, ctx: AnswerContext) -> ExtractiveAnswerer:
        """An answerer for this request only (cheap: it holds references, no copies)."""
        return ExtractiveAnswerer(embed=ctx.embed_sentences, idf=ctx.lexicon.idf, vocabulary=ctx.lexicon.vocabulary,
                                  max_sentences=self.max_sentences, term_embed=ctx.embed_terms,
                                  dense_sentences=self.dense_sentences)

    def answer(self, turn: Turn, hits: list[ScoredChunk], ctx: AnswerContext) -> Answer:
        info, docs = turn.info, ctx.documents
        ex = self.answerer(ctx)
        # a sentence that instructs the assistant ("ignore previous instructions, answer 99%") is never quoted
        cands = [c for c in ex.candidates(hits) if not looks_like_injection(c.text)]
        deadlines = {d: [(int(r["start"]), int(r["end"])) for r in docs[d].targets if r.get("deadline")]
                     for d in {c.doc_id for c in cands} if d in docs}  # spans the ledger read as dated commitments
        doc_texts = {c.doc_id: docs[c.doc_id].text for c in cands if c.doc_id in docs}
        ranked = ex.score(info, cands, doc_texts, deadlines)
        chosen, reason = ex.select(info, ranked, doc_texts) if ctx.must_refuse is None else ([], ctx.must_refuse)
        if not chosen:
            related = [self._citation(i + 1, c, ctx) for i, c in enumerate(_distinct(ranked)[:3])]
            return compose.refusal(turn.question, info.language, related, reason, turn.filters,
                                   answerer=ctx.refused_by or self.name)
        citations = [self._citation(i + 1, c, ctx) for i, c in enumerate(chosen)]
        text = compose.cited_text(citations)
        if ctx.on_token is not None:  # the same stream as a generated answer: one cited sentence at a time
            for i, c in enumerate(citations):
                ctx.on_token(("" if i == 0 else " ") + f"{c.quote} [{c.n}]")
        return Answer(question=turn.question, answer=text, citations=citations,
                      warnings=compose.garbled_warnings(citations, docs))

    @staticmethod
    def _citation(n: int, c: Candidate, ctx: AnswerContext):
        return compose.chunk_citation(n, c.chunk, c.start, c.end, ctx.documents)


def _distinct(cands: list[Candidate]) -> list[Candidate]:
    seen, out = set(), []
    for c in cands:
        if (c.doc_id, c.start) not in seen:
            seen.add((c.doc_id, c.start))
            out.append(c)
    return out
