"""The default, last stage: quote the sentences that answer the question, verbatim, or refuse.

1. Candidates: the sentences of the retrieved passages (`features.candidates`).
2. Features for every candidate; a learned prefilter keeps a shortlist that also gets
   the costly ones (dense similarity, cross-lingual term matches).
3. A learned ranker gives each its probability of answering; a learned refusal head
   gives the probability that the best one answers at all, refused below a threshold
   chosen on held-out documents (`assistant.answer.model`, fitted by `assistant tune`).
4. The answer: the best sentence; the runner-up too when the model cannot tell them
   apart; for "which three ..." questions the items of the list it belongs to; for
   questions that ask two things, a sentence for what the best one leaves out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.answer import compose
from assistant.answer.features import (ALL, CHEAP, WORD, Candidate, Features, candidates, covers_question,
                                       question_surface, words)
from assistant.answer.model import AnswerModel, lacks_answer, question_vector
from assistant.answer.question import FRAME_WORDS, QuestionInfo, analyse, asks_two
from assistant.answer.stage import AnswerContext
from assistant.answer.turn import Turn
from assistant.injection import looks_like_injection
from assistant.lexical import tokenize
from assistant.models import Answer, ScoredChunk
from ingest.text import has_cjk, is_list_item, paragraph_spans, sentence_spans

_CHEAP = len(CHEAP)


@dataclass
class Analysis:
    """Everything the decision needs for one question (also what `assistant tune` learns from)."""

    cands: list[Candidate]                       # ranked, best first (by the ranker, shortlist first)
    unknown: list[str] = field(default_factory=list)   # topic terms the index never mentions
    unknown_share: float = 0.0
    qx: np.ndarray | None = None                 # the refusal head's inputs
    p_answer: float = 0.0
    p_list: float = 0.0                          # for list questions: confidence in the list's introduction


class ExtractiveStage:
    """Quotes the answering sentences or refuses with the closest passages."""

    name = "extractive"

    def __init__(self, model: AnswerModel | None = None, passages: int = 8, max_sentences: int = 3):
        self.model = model or AnswerModel.load()
        self.passages = passages
        self.max_sentences = max_sentences

    # -- analysis (no decision) -------------------------------------------------------
    def analyse(self, turn: Turn, hits: list[ScoredChunk], ctx: AnswerContext, model: AnswerModel | None = None,
                dense_for_all: bool = False) -> Analysis:
        """Candidates with their features and probabilities, best first. `dense_for_all`
        computes the costly features for every candidate (for fitting the model)."""
        model = model or self.model
        info = turn.info
        # a sentence that instructs the assistant ("ignore previous instructions, answer 99%") is never quoted
        cands = [c for c in candidates(hits, self.passages, ctx.documents) if not looks_like_injection(c.text)]
        feats = Features(info, ctx, hits)
        feats.cheap(cands)
        if cands:
            pre = model.prefilter.prob(np.vstack([c.x[:_CHEAP] for c in cands]))
            order = np.argsort(-pre, kind="stable")
            short = [cands[i] for i in (order if dense_for_all else order[:model.shortlist])]
            feats.dense(short)
            p = model.ranker.prob(np.vstack([c.x for c in short]))
            for c, pc in zip(short, p):
                c.p = float(pc)
            rest = [cands[i] for i in order[len(short):]]
            for c, pc in zip(rest, pre[order[len(short):]]):
                c.p = float(pc) * 1e-3  # never above a shortlisted sentence
            cands = sorted(short, key=lambda c: -c.p) + rest
        unknown = unknown_terms(info, ctx, cands)
        weights = feats.weights
        share = sum(weights.get(t, 0.0) for t in unknown) / (sum(weights.values()) or 1.0)
        qx = question_vector(np.array([c.p for c in cands[:2]]), cands[0].x if cands else None, share,
                             info.answer_type != "other", len(weights), asks_two(info.text))
        p_answer = float(model.refusal.prob(qx)[0]) if cands else 0.0
        p_list = 0.0
        if info.expected_items or info.answer_type == "list":
            for i, c in enumerate(cands[:6]):
                d = ctx.documents.get(c.doc_id)
                items = (list_items(c, info.expected_items, d.text) if info.expected_items else []) or enumeration(c, d.text) \
                    if d is not None else []
                if len(items) >= 2:
                    qx_i = question_vector(np.array([c.p] + [x.p for x in cands[:2] if x is not c][:1]), c.x, share,
                                           info.answer_type != "other", len(weights), asks_two(info.text))
                    p_list = float(model.refusal.prob(qx_i)[0])
                    if info.expected_items and len(items) - (0 if items[0] is not c else 1) == info.expected_items:
                        p_list = max(p_list, c.p)  # a list of exactly the asked number of items, led by a likely sentence
                    break
        return Analysis(cands=cands, unknown=unknown, unknown_share=share, qx=qx, p_answer=p_answer, p_list=p_list)

    # -- the stage --------------------------------------------------------------------
    def answer(self, turn: Turn, hits: list[ScoredChunk], ctx: AnswerContext) -> Answer:
        model = ctx.answer_model or self.model
        info, docs = turn.info, ctx.documents
        if info.parts:  # a comparison: each side answered on its own, refused when either side is not found
            sides = [self.analyse(replace(turn, standalone=part, info=analyse(part)), hits, ctx, model) for part in info.parts]
            an = min(sides, key=lambda a: a.p_answer)
            chosen = _sides(sides)
        else:
            an = self.analyse(turn, hits, ctx, model)
            chosen = None
        reason = ctx.must_refuse or self.refusal_reason(turn, an, model)
        if reason:
            related = [x for i, c in enumerate(_distinct(an.cands)[:3]) for x in self._citations(i + 1, c, ctx)]
            return compose.refusal(turn.question, info.language, related, reason, turn.filters,
                                   answerer=ctx.refused_by or self.name)
        chosen = chosen or self.select(info, an.cands, model, docs)
        citations = [x for i, c in enumerate(chosen) for x in self._citations(i + 1, c, ctx)]
        pieces = compose.cited_pieces(citations)
        text = " ".join(pieces)
        if ctx.on_token is not None:  # the same stream as a generated answer: one cited sentence at a time
            for i, piece in enumerate(pieces):
                ctx.on_token(("" if i == 0 else " ") + piece)
        return Answer(question=turn.question, answer=text, citations=citations,
                      warnings=compose.garbled_warnings(citations, docs))

    @staticmethod
    def refusal_reason(turn: Turn, an: Analysis, model: AnswerModel) -> str | None:
        if not an.cands:
            return "no passage matches the question"
        p = an.p_answer
        if turn.info.expected_items or turn.info.answer_type == "list":
            p = max(p, an.p_list)
        if lacks_answer(turn.info.answer_type, an.cands[0].x):
            return "no passage gives the figure or date asked for"
        if p >= model.threshold:
            return None
        if an.unknown:
            surface = question_surface(turn.info.text)
            return "the documents never mention: " + ", ".join(dict.fromkeys(surface.get(t, t) for t in an.unknown))
        return f"no passage answers it with confidence (best {an.p_answer:.0%}, needed {model.threshold:.0%})"

    # -- selection ------------------------------------------------------------------
    def select(self, info: QuestionInfo, ranked: list[Candidate], model: AnswerModel,
               docs: dict) -> list[Candidate]:
        """The best sentence, plus what the question needs beyond it."""
        best = ranked[0]
        chosen = [best]
        if info.expected_items or info.answer_type == "list":
            for c in ranked[:6]:
                d = docs.get(c.doc_id)
                text = d.text if d is not None else None
                listed = (list_items(c, info.expected_items, text) if info.expected_items else []) or enumeration(c, text)
                if listed:
                    return sorted(listed, key=lambda x: x.start)[:max(12, info.expected_items or 0)]
        if info.answer_type == "list" or info.comparison or asks_two(info.text):
            chosen += self._companions(info, best, ranked)
            if len(chosen) == 1 and not info.comparison and len(ranked) > 1 and ranked[1].p >= model.two_ask_ratio * best.p:
                chosen.append(ranked[1])  # the other ask's answer, in words the question does not share
        elif len(ranked) > 1 and ranked[1].p >= model.second_ratio * best.p and not covers_question(best.x):
            chosen.append(ranked[1])  # the model cannot tell the two apart: show both
        chosen = _merged([with_antecedent(c) for c in chosen[:self.max_sentences]])
        return sorted(chosen, key=lambda c: (c.doc_id != best.doc_id, c.doc_id, c.start))

    @staticmethod
    def _companions(info: QuestionInfo, best: Candidate, ranked: list[Candidate]) -> list[Candidate]:
        """For questions that ask two things or for a list: the next sentences that cover
        what the best one leaves out (from another document for a comparison)."""
        out: list[Candidate] = []
        missing = set(info.terms) - best.matched - info.category_terms
        for c in ranked[1:8]:
            if len(out) >= 2 or c.p < 0.5 * best.p:
                break
            if info.comparison and c.doc_id == best.doc_id and not (set(info.years) - _years(best.text)) & _years(c.text):
                continue
            if (missing & c.matched) or (info.comparison and c.doc_id != best.doc_id) or \
                    (info.comparison and (set(info.years) - _years(best.text)) & _years(c.text)):
                out.append(c)
                missing -= c.matched
        return out

    @staticmethod
    def _citations(n: int, c: Candidate, ctx: AnswerContext):
        return compose.chunk_citations(n, c.hit, c.start, c.end, ctx.documents)


def _years(text: str) -> set[str]:
    from assistant.answer.features import years_in

    return years_in(text)


def list_items(best: Candidate, want: int, text: str | None) -> list[Candidate]:
    """For "which three areas ...": the items of the list the best sentence belongs to, found
    in its document: sentences that open the same way (parallel paragraph leads), or the
    paragraphs after an introducing sentence ending in a colon."""
    if not text:
        return []
    spans = sentence_spans(text)
    head = _opening(text[best.start:best.end])
    if head:
        same = [(s, e) for s, e in spans if _opening(text[s:e]) == head]
        if len(same) == want:
            return [_derived(best, s, e, text) for s, e in same]
    if text[best.start:best.end].rstrip().endswith((":", "：")):
        after = [(s, e) for s, e in spans if s >= best.end and (s == 0 or text[s - 1] == "\n")][:want]
        if len(after) == want:
            return [best] + [_derived(best, s, e, text) for s, e in after]
    lines = bare_lines_after(text, best.end, want + 1)
    if len(lines) == want or (len(lines) > want and _INTRODUCES.search(text[best.start:best.end])):
        return [best] + [_derived(best, s, e, text) for s, e in lines[:want]]
    return []


_INTRODUCES = re.compile(r"\bfollowing\b|[:：]\s*$|如下", re.I)
_LINE_END = re.compile(r"[.。;；:：!?！？,，]$")


def bare_lines_after(text: str, pos: int, limit: int, max_chars: int = 80) -> list[tuple[int, int]]:
    """The short lines right after the line holding `pos`, up to a blank line or a full
    sentence: a list set one item per line without markers, as PDFs often have it
    ("Inclusive Growth" / "Green Ports" / ...)."""
    end = text.find("\n", pos)
    out: list[tuple[int, int]] = []
    while end >= 0 and len(out) < limit:
        s, e = end + 1, text.find("\n", end + 1)
        e = len(text) if e < 0 else e
        line = text[s:e].strip()
        if not line or len(line) > max_chars or _LINE_END.search(line) or not WORD.search(line):
            break
        lead = len(text[s:e]) - len(text[s:e].lstrip())
        out.append((s + lead, s + lead + len(line)))
        end = e if e < len(text) else -1
    return out


def enumeration(best: Candidate, text: str | None, limit: int = 12) -> list[Candidate]:
    """The items of the enumeration a sentence introduces ("... the following seven priorities:")
    or belongs to ("ii. we will abolish ..."): consecutive paragraphs that open with an item
    marker, with the introducing sentence first when there is one."""
    if not text:
        return []
    paras = paragraph_spans(text)
    idx = next((i for i, (s, e) in enumerate(paras) if s <= best.start < e or s >= best.start), None)
    if idx is None:
        return []
    intro = not is_list_item(text[paras[idx][0]:paras[idx][1]])
    first = idx + 1 if intro else idx
    if not intro:
        while first > 0 and is_list_item(text[paras[first - 1][0]:paras[first - 1][1]]):
            first -= 1
    items = []
    for s, e in paras[first:first + limit]:
        if not is_list_item(text[s:e]):
            break
        items.append((s, e))
    if len(items) < 2:
        return []
    if intro and not re.search(r"[:：]\s*$|\bfollowing\b|如下", text[best.start:best.end], re.I):
        return []
    out = [best] if intro else []
    return out + [_derived(best, s, e, text) for s, e in items]


def _sides(sides: list[Analysis]) -> list[Candidate]:
    """One sentence per side of a comparison (the best of each, once)."""
    out: list[Candidate] = []
    for an in sides:
        pick = next((c for c in an.cands if all((c.doc_id, c.start) != (o.doc_id, o.start) for o in out)), None)
        if pick is not None:
            out.append(pick)
    return sorted(out, key=lambda c: (c.doc_id, c.start))


# A sentence that opens with a demonstrative standing for what the sentence before it said
# ("This would be 0.4 per cent of output.", 「这相当于……」): its subject is in that sentence.
_BACK_REFERENCE = re.compile(
    r"^(?:\d+\.\s+)?(?:This|That|These|Those)\s+(?:is|are|was|were|will|would|shall|should|can|could|may|might|has|have|had|"
    r"means|represents|amounts|brings|takes|includes|marks|comes)\b|^这(?!些年|一年|几年)|^此举|^其中", re.I)


def with_antecedent(c: Candidate) -> Candidate:
    """The sentence, and when it refers back (`_BACK_REFERENCE`), the sentence before it in
    the same paragraph as well: one verbatim quote that can be read on its own."""
    if not c.prev or not _BACK_REFERENCE.search(c.text):
        return c
    chunk = c.hit.chunk
    at = c.start - chunk.start
    i = chunk.text.rfind(c.prev, 0, at)
    if i < 0 or "\n" in chunk.text[i + len(c.prev):at]:
        return c
    s, e = compose.trim_quote(chunk.text, i, at + len(c.text))
    return replace(c, start=chunk.start + s, end=chunk.start + e, text=chunk.text[s:e], prev="")


def _merged(cands: list[Candidate]) -> list[Candidate]:
    """Overlapping quotes of one document (a sentence and the one that refers back to it) as one."""
    out: list[Candidate] = []
    for c in sorted(cands, key=lambda c: (c.doc_id, c.start)):
        last = out[-1] if out else None
        if last is not None and last.doc_id == c.doc_id and c.start < last.end:
            if c.end <= last.end:
                continue  # inside the quote before it
            if last.hit is c.hit:
                base = c.hit.chunk.start
                out[-1] = replace(last, end=c.end, text=c.hit.chunk.text[last.start - base:c.end - base])
                continue
        out.append(c)
    return out


def _derived(best: Candidate, s: int, e: int, text: str) -> Candidate:
    s, e = compose.trim_quote(text, s, e)
    return Candidate(best.doc_id, s, e, text[s:e], best.rank, best.hit, language=best.language, p=best.p)


def _opening(text: str) -> str:
    ws = text.split()
    return " ".join(ws[:3]).lower() if len(ws) >= 4 else ""


def _distinct(cands: list[Candidate]) -> list[Candidate]:
    seen, out = set(), []
    for c in cands:
        if (c.doc_id, c.start) not in seen:
            seen.add((c.doc_id, c.start))
            out.append(c)
    return out


# ---------------------------------------------------------------- "never mentioned"

def unknown_terms(info: QuestionInfo, ctx: AnswerContext, cands: list[Candidate]) -> list[str]:
    """Topic terms of the question the index never mentions: not as a word of the index, not
    as an abbreviation of one, not as a translation in one of the best sentences of the other
    language, and not as a close synonym (multilingual word vectors) of a word of the best passages.
    Words that frame the question ("deadline", "how large") and verbs are never topics."""
    vocab = ctx.lexicon.vocabulary
    translated = {t for c in cands[:12] for t in c.soft}  # translations found in the best other-language sentences
    unknown = []
    for t in info.terms:
        if t in info.borrowed_terms or t in info.frame_terms or t in FRAME_WORDS or t in info.category_terms \
                or t.isdigit() or len(t) < (2 if has_cjk(t) else 3) or t in translated or t in vocab:
            continue
        if not has_cjk(t) and any(w.startswith(t) for w in vocab if len(w) > len(t)):
            continue  # abbreviation such as "sci" for "science"
        if has_cjk(t):
            if any(t != u and t in u for u in info.terms):
                continue  # a piece of a longer Chinese term: the longer one decides
            from assistant.answer.features import pieced

            if pieced(t, {u for u in info.terms if u in translated or u in vocab}):
                continue
            if not _zh_topic(t, info.text):
                continue  # Chinese: only nouns name a topic (verbs and function words are paraphrased)
        elif _looks_verbal(t, info.text):
            continue  # verbs are paraphrased freely ("finished" / "completed")
        unknown.append(t)
    if unknown and ctx.embed_terms is not None and cands:
        unknown = _without_synonyms(unknown, info, ctx, cands)
    return unknown


SYNONYM = 0.7  # word-vector cosine from which a passage word counts as naming the same thing


def _without_synonyms(unknown: list[str], info: QuestionInfo, ctx: AnswerContext, cands: list[Candidate]) -> list[str]:
    """Drop the terms that a word of the best passages names in other words (a synonym,
    a paraphrase, a translation): the question is then about something the documents cover."""
    surface = question_surface(info.text)
    pool = list(dict.fromkeys(w for c in cands[:12] for w in tokenize(c.text.replace("-", " "), stem=False)
                              if len(w) > 2 and not w.isdigit() and w not in FRAME_WORDS))
    if not pool:
        return unknown
    vecs = ctx.embed_terms([surface.get(t, t) for t in unknown] + pool)
    sims = vecs[:len(unknown)] @ vecs[len(unknown):].T
    return [t for t, row in zip(unknown, sims) if float(row.max()) < SYNONYM]


_ZH_TOPIC_FLAGS = ("n", "vn", "nz", "j", "l", "i", "eng", "s", "ns", "nt", "nr")


def _zh_topic(term: str, question: str) -> bool:
    """True when a Chinese term names a thing (a noun), judged by jieba's part of speech
    in the question; verbs, adverbs, pronouns, numerals and time words are not topics."""
    import jieba.posseg as pseg

    flags = {w.word: w.flag for w in pseg.lcut(question)}
    flag = flags.get(term) or next((w.flag for w in pseg.lcut(term)), "")
    return flag in _ZH_TOPIC_FLAGS or (flag.startswith("n") and flag != "nr")


_VERB_CONTEXT = re.compile(r"\b(do|does|did|has|have|had|is|are|was|were|be|been|being|will|would|should|can|could|may|might|must|shall|to)\b")


def _looks_verbal(stem: str, question: str) -> bool:
    """True when the question uses this word as a verb (after an auxiliary, or as an
    inflected verb form): verbs are paraphrased freely, nouns name things."""
    from lemminflect import getAllLemmas

    ws = re.findall(r"[A-Za-z][A-Za-z'-]*", question)
    for i, w in enumerate(ws):
        if not tokenize(w) or tokenize(w)[0] != stem:
            continue
        lemmas = getAllLemmas(w.lower())
        if "VERB" not in lemmas:
            return False
        if "NOUN" not in lemmas:
            return True
        before = " ".join(ws[max(0, i - 4):i]).lower()
        return bool(_VERB_CONTEXT.search(before)) and not re.search(r"\b(the|a|an|of|their|its|total)\s*$", before)
    return False


__all__ = ["ExtractiveStage", "Analysis", "list_items", "unknown_terms", "ALL", "words"]
