"""Word-by-word translation of questions for BM25 across languages (`assistant.crosslingual`),
with the real multilingual word vectors (use-m3)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.crosslingual import Vocabularies, Vocabulary


@pytest.fixture(scope="module")
def embed():
    from assistant.embeddings import USE_M3, load_embeddings

    return load_embeddings(USE_M3, "cpu", 64).encode


ZH_TEXTS = ["县财政今年安排农村供水专项资金1.2亿元，用于改造老旧管网。",
            "全市国有企业年内新建创新平台12个，研发投入增长15%。",
            "港区疏浚工程由市交通局负责，年底前完工。"]
EN_TEXTS = ["The port will train 800 dock workers in crane automation by June 2025.",
            "Every container terminal connects to the logistics data platform."]


def test_an_english_question_is_translated_into_the_chinese_terms_of_the_index(embed):
    vocab = Vocabulary.of(ZH_TEXTS, embed)
    words = vocab.translate("How much special funding does the county budget provide for rural water?", embed)
    assert {"资金", "农村"} <= set(words)
    assert set(words) <= set(vocab.tokens)                 # only terms BM25 can find
    assert not {"疏浚", "港区", "研发"} & set(words)          # nothing the question does not ask about
    assert vocab.translate("What is it?", embed) == []      # no content words, nothing to translate


def test_a_chinese_question_is_translated_into_english_stems(embed):
    vocab = Vocabulary.of(EN_TEXTS, embed)
    assert "worker" in vocab.tokens and "workers" not in vocab.tokens  # BM25's stems, embedded as written
    assert "worker" in vocab.translate("码头工人培训多少人？", embed)
    assert {"logist", "platform"} <= set(vocab.translate("物流数据平台接入哪些码头？", embed))


def test_each_passage_word_translates_only_the_question_term_closest_to_it(embed):
    vocab = Vocabulary.of(ZH_TEXTS, embed)
    # "funding" and "money" are both closest to 资金 and 财政: each goes to one term, not to both
    words = vocab.translate("funding and money for water", embed)
    assert {"资金", "财政", "供水"} <= set(words) and len(words) == len(set(words))


def test_vocabularies_are_built_once_per_language_and_masks_are_shared():
    calls = []

    def fake_embed(texts):  # counts the words embedded; the vectors do not matter here
        calls.append(len(texts))
        return np.eye(len(texts), 4, dtype=np.float32)

    langs = np.array(["zh", "en", "mixed", "zh"], dtype=object)
    v = Vocabularies(ZH_TEXTS[:1] + EN_TEXTS[:1] + ["混合 mixed"] + ZH_TEXTS[1:2], langs)
    rows = v.rows(not_in=("en", "mixed"))
    assert rows.tolist() == [True, False, False, True] and v.rows(not_in=("en", "mixed")) is rows
    first = v.get("en", rows, fake_embed)
    assert v.get("en", rows, fake_embed) is first and len(calls) == 1
    assert first.tokens and all(not t.isascii() for t in first.tokens)
