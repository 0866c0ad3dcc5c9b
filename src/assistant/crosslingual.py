"""Word-by-word translation of a question for BM25 over passages in the other language.

BM25 cannot match "dock workers" against 码头工人, and a long Chinese passage's single
vector is a weak match for a short English question, so an English question over
Chinese documents (or the reverse) lands far down the dense ranking. Here each
question term is mapped to the nearest BM25 terms of the other language's passages
by multilingual word vectors (use-m3), and those terms are searched with BM25 within
that language. Each passage word translates only the question term it is closest to
(as the answer stage's soft matches do), so a frequent word is not claimed by every term.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np

from assistant.lexical import tokenize

Embed = Callable[[list[str]], np.ndarray]

# per question term, at most this many translations, each at least this close (cosine of use-m3
# word vectors); checked on the cross-lingual dev questions' answering passages (see README)
PER_TERM = 3
MIN_SIMILARITY = 0.6
VOCABULARY_LIMIT = 20_000   # the most frequent terms of a language's passages (embedding 5,000 takes ~2.5 s)
_LATIN_WORD = re.compile(r"[a-z][a-z'&]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Vocabulary:
    """BM25 terms of one language's passages, as written once each, with unit vectors."""

    tokens: list[str]        # as BM25 indexes them (stems for English)
    vectors: np.ndarray      # one row per token, from its most frequent written form

    @classmethod
    def of(cls, texts: list[str], embed: Embed, limit: int = VOCABULARY_LIMIT) -> "Vocabulary":
        df: Counter[str] = Counter()
        written: dict[str, Counter[str]] = {}
        for text in texts:
            # stems and written forms line up: tokenize drops the same stop words either way
            stems, plain = tokenize(text), tokenize(text, stem=False)
            for tok, word in zip(stems, plain):
                if _CJK.search(tok) or _LATIN_WORD.fullmatch(tok):
                    written.setdefault(tok, Counter())[word] += 1
            df.update(t for t in set(stems) if t in written)
        tokens = sorted(df, key=lambda t: (-df[t], t))[:limit]
        if not tokens:
            return cls([], np.zeros((0, 1), dtype=np.float32))
        vecs = np.asarray(embed([written[t].most_common(1)[0][0] for t in tokens]), dtype=np.float32)
        return cls(tokens, vecs)

    def translate(self, query: str, embed: Embed, per_term: int = PER_TERM,
                  min_similarity: float = MIN_SIMILARITY) -> list[str]:
        """The BM25 terms of this vocabulary that translate the query's terms."""
        q = query.replace("-", " ")
        pairs = [(s, w) for s, w in dict(zip(tokenize(q), tokenize(q, stem=False))).items()
                 if _CJK.search(s) or _LATIN_WORD.fullmatch(s)]
        if not pairs or not self.tokens:
            return []
        sims = np.asarray(embed([w for _, w in pairs]), dtype=np.float32) @ self.vectors.T
        owner = sims.argmax(axis=0)
        out: list[str] = []
        for i in range(len(pairs)):
            row = sims[i]
            n = min(per_term, len(row))
            best = np.argpartition(-row, n - 1)[:n]
            best = best[np.argsort(-row[best], kind="stable")]
            out += [self.tokens[j] for j in best if row[j] >= min_similarity and owner[j] == i]
        return out


class Vocabularies:
    """One `Vocabulary` per language of an index, built on first use (they cost seconds)."""

    def __init__(self, texts: list[str], languages: np.ndarray):
        self.texts, self.languages = texts, languages
        self._built: dict[str, Vocabulary] = {}
        self._masks: dict[tuple[str, ...], np.ndarray] = {}
        self._lock = threading.Lock()

    def rows(self, not_in: tuple[str, ...]) -> np.ndarray:
        """The passages whose language is none of `not_in` (a cached mask: do not modify it)."""
        with self._lock:
            if not_in not in self._masks:
                self._masks[not_in] = np.array([lang not in not_in for lang in self.languages], dtype=bool)
            return self._masks[not_in]

    def get(self, key: str, rows: np.ndarray, embed: Embed) -> Vocabulary:
        with self._lock:
            if key not in self._built:
                self._built[key] = Vocabulary.of([t for t, keep in zip(self.texts, rows) if keep], embed)
            return self._built[key]
