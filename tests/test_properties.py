"""Property-based tests (hypothesis) over arbitrary text: English, Chinese, digits,
punctuation, odd whitespace and control characters.

- chunking: every chunk's span matches the text (`text[start:end] == chunk.text`),
  chunks stay near the token window, come in order, and together cover every
  visible character of the text;
- the extractive answerer: never raises, and every quote it returns is verbatim
  text of its document at its span, both on arbitrary documents and on arbitrary
  questions against a real index."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.answer.extractive import ExtractiveStage
from assistant.answer.stage import AnswerContext, Lexicon
from assistant.answer.turn import build_turn
from assistant.core import Assistant, QuestionError
from assistant.lexical import LexicalIndex
from assistant.models import Chunk, ScoredChunk
from assistant.store import StoredDocument
from ingest.chunking import chunk_text, count_tokens

FIXTURES = Path(__file__).parent / "fixtures" / "web"

WORDS = ["reform", "pilot", "firms", "board", "directors", "shall", "adopt", "by", "the", "end", "of", "2025", "60%",
         "1.5", "billion", "yuan", "国有企业", "改革", "深化", "提升", "行动", "70%", "以上", "年底前", "完成", "主体任务",
         "Mr.", "No.", "e.g.", "U.S.", "(a)", "1.", "一、", "（二）", "——", "“quoted”", "<script>", "&amp;", "\t", "…"]
ENDS = [". ", "! ", "? ", "。", "！", "？", "; ", ".\n", "\n\n", "\n", "", " ", "：", ".\u3000"]
CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))  # anything encodable: letters, CJK, marks, controls


@st.composite
def sentences(draw) -> str:
    out = []
    for _ in range(draw(st.integers(1, 40))):
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30))
        out.append(" ".join(words) + draw(st.sampled_from(ENDS)))
    return "".join(out)


TEXTS = st.one_of(
    sentences(),
    st.text(CHARS, max_size=1500),
    st.text(st.sampled_from(list("ab 。.\n\t ，、!?中文字1２%")), max_size=1500),
    st.builds(lambda a, b: a + b, sentences(), st.text(CHARS, max_size=300)),
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])


@FAST
@given(text=TEXTS, max_tokens=st.sampled_from([8, 24, 60, 180]), overlap=st.sampled_from([0, 1, 2]))
def test_chunk_spans_match_and_cover_the_text(text, max_tokens, overlap):
    chunks = chunk_text(text, "doc", max_tokens=max_tokens, overlap_sentences=overlap)
    covered = np.zeros(len(text), dtype=bool)
    for i, c in enumerate(chunks):
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start:c.end] == c.text
        # the window is packed by the sum of its sentences' tokens; re-tokenised whole, the joins
        # between sentences may add a few tokens, never many
        assert count_tokens(c.text) <= max_tokens + max_tokens // 4 + 2
        assert c.position == i
        covered[c.start:c.end] = True
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)
    visible = [i for i, ch in enumerate(text) if not ch.isspace() and ch.isprintable()]
    missed = [i for i in visible if not covered[i]]
    assert not missed, [text[i] for i in missed[:10]]
    # unchanged text gives unchanged ids (what makes re-ingestion a no-op)
    assert [c.id for c in chunk_text(text, "doc", max_tokens=max_tokens, overlap_sentences=overlap)] == [c.id for c in chunks]


def _hash_embed(texts: list[str]) -> np.ndarray:
    """A deterministic stand-in for the model: unit vectors from a hash (no torch)."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, t in enumerate(texts):
        seed = int.from_bytes(hashlib.sha1(t.encode("utf-8", "surrogatepass")).digest()[:4], "little")
        v = np.random.default_rng(seed).standard_normal(64).astype(np.float32)
        out[i] = v / np.linalg.norm(v)
    return out


QUESTIONS = st.one_of(
    st.builds(lambda w, e: " ".join(w) + e, st.lists(st.sampled_from(WORDS + ["what", "share", "how", "many", "when",
                                                                               "which", "多少", "什么时候"]),
                                                     min_size=1, max_size=12), st.sampled_from(["?", "？", "", "."])),
    st.text(CHARS, min_size=1, max_size=200),
)


@FAST
@given(doc=TEXTS, question=QUESTIONS)
def test_extractive_stage_never_raises_and_quotes_verbatim(doc, question):
    chunks = chunk_text(doc, "doc", max_tokens=60)
    if not chunks:
        return
    try:
        turn = build_turn(question)
    except QuestionError:
        return
    lex = LexicalIndex([c.text for c in chunks])
    idf = {t: math.log(1 + (lex.size - df + 0.5) / (df + 0.5)) for t, df in lex.doc_freq.items()}
    ctx = AnswerContext(documents={"doc": StoredDocument("doc", doc, {"title": "T"})}, lexicon=Lexicon(idf, set(idf)),
                        embed_sentences=_hash_embed, embed_terms=_hash_embed)
    hits = [ScoredChunk(chunk=Chunk(id=c.id, doc_id="doc", text=c.text, start=c.start, end=c.end, heading=c.heading,
                                    position=c.position, metadata={"doc_id": "doc", "title": "T", "date": ""}),
                        score=1.0 / (i + 1), dense=0.5, lexical=1.0, rank=i + 1) for i, c in enumerate(chunks[:8])]
    ans = ExtractiveStage(passages=8).answer(turn, hits, ctx)
    for c in ans.citations + ans.related:
        assert doc[c.start:c.end] == c.quote
    assert ans.refused or ans.citations


@pytest.fixture(scope="module")
def small_index(tmp_path_factory) -> Assistant:
    a = Assistant(data_dir=tmp_path_factory.mktemp("prop-index"), users="", auth_file=None)
    a.ingest([str(FIXTURES)])
    return a


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS)
def test_assistant_answers_any_question_with_verbatim_quotes(small_index, question):
    try:
        ans = small_index.ask(question)
    except QuestionError as exc:  # empty, too long, no words: a message for the user
        assert str(exc)
        return
    docs = small_index.documents()
    assert ans.refused or ans.citations
    for c in ans.citations + ans.related:
        assert docs[c.doc_id].text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in ans.answer or ans.refused
