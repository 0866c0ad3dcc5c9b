"""Chinese and bilingual documents (issue 7): GB18030 and UTF-8 Chinese files, Chinese
questions, answers across languages, refusals in the question's language, the
Chinese targets ledger, and the embedder recorded in the index.

The documents in tests/fixtures/zh/ were written for these tests (fictional places).
One index, built once with the multilingual embedder (use-m3) in a temporary folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.answer.compose import REFUSAL
from assistant.core import Assistant
from assistant.answer.question import analyse

ZH = Path(__file__).resolve().parent / "fixtures" / "zh"
SOE, WATER, PORT = "jiangchuan-soe-priorities-2024", "qinghe-rural-water-plan", "coastal-port-digital-plan"


@pytest.fixture(scope="module")
def zh_index(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("zh-docs")
    for p in ZH.iterdir():
        shutil.copy(p, src / p.name)
    data = tmp_path_factory.mktemp("zh-index")
    report = Assistant(data_dir=data, embedder="use-m3").ingest([str(src)])
    assert report.added == 3 and not report.warnings
    return data


@pytest.fixture(scope="module")
def zh(zh_index) -> Assistant:
    return Assistant(data_dir=zh_index)  # embedder "auto": whatever built the index


def _verbatim(a: Assistant, ans) -> None:
    docs = a.documents()
    for c in ans.citations + ans.related:
        assert docs[c.doc_id].text[c.start:c.end] == c.quote


def test_gb18030_file_is_decoded_with_headings_and_exact_spans(zh):
    doc = zh.documents()[WATER]
    assert doc.metadata["encoding"] == "gb18030" and doc.metadata["language"] == "zh"
    assert doc.metadata["title"] == "青禾县农村供水工程提质改造工作方案"
    assert "（二）改造老旧管网。" in doc.text
    ans = zh.ask("县财政安排了多少专项资金？")
    assert not ans.refused and ans.citations[0].doc_id == WATER
    assert "1.2亿元" in ans.citations[0].quote and ans.citations[0].quote.endswith("。")
    _verbatim(zh, ans)


@pytest.mark.parametrize("question, doc_id, fact", [
    ("年底前要完成多少主体任务？", SOE, "70%"),
    ("哪些领域要引入战略投资者？", SOE, "数字经济"),
    ("谁负责抽检农村供水水质？", WATER, "疾控中心"),
])
def test_chinese_question_quotes_chinese_source(zh, question, doc_id, fact):
    ans = zh.ask(question)
    assert not ans.refused, ans.warnings
    assert ans.language == "zh" and ans.citations[0].doc_id == doc_id and ans.citations[0].language == "zh"
    assert fact in ans.answer and "引自" not in ans.answer  # same language: no note
    _verbatim(zh, ans)


def test_a_paraphrased_chinese_question_finds_its_sentence_first_and_never_calls_the_paraphrase_unmentioned(zh):
    """新建 (build new) where the text says 建成 (complete): the learned decision puts this one
    near its threshold (p 0.33 against 0.48 with this model, above it with the previous one),
    so it may refuse; the answering sentence comes first either way, and a refusal is in
    Chinese and does not claim that the documents never mention the question's words."""
    ans = zh.ask("新建几座中型水库？")
    first = (ans.related if ans.refused else ans.citations)[0]
    assert first.doc_id == WATER and "两座" in first.quote and first.language == "zh"
    if ans.refused:
        assert ans.answer.startswith(REFUSAL["zh"]) and not any("never mention" in w for w in ans.warnings), ans.warnings
    _verbatim(zh, ans)


@pytest.mark.parametrize("question, doc_id, lang, fact, note", [
    ("What share of the main tasks should be completed before the end of the year?", SOE, "zh", "70%", "(quoted from a Chinese source)"),
    ("How much special funding does the county budget provide for rural water?", WATER, "zh", "1.2亿元", "(quoted from a Chinese source)"),
    ("How many new innovation platforms will city SOEs build this year?", SOE, "zh", "12个", "(quoted from a Chinese source)"),
    ("码头工人培训多少人？", PORT, "en", "800 dock workers", "（引自英文文件）"),
    ("港口物流数据平台什么时候接入所有集装箱码头？", PORT, "en", "June 2025", "（引自英文文件）"),
])
def test_other_language_sentence_is_found_first_and_quoted_with_a_note(zh, question, doc_id, lang, fact, note):
    """Answers across languages have no answered example in the dev sets, so the learned
    decision may refuse them (p about 0.4 to 0.6 on these, against a threshold near 0.5):
    it refuses rather than guess. Either way the answering sentence comes first, cited or
    as the closest passage, verbatim in its own language; an answer says the quote is in the
    other language, and a refusal never claims that the translated terms are unmentioned."""
    ans = zh.ask(question)
    first = (ans.related if ans.refused else ans.citations)[0]
    assert first.doc_id == doc_id and first.language == lang and fact in first.quote
    if ans.refused:
        q_lang = "zh" if lang == "en" else "en"
        assert ans.answer.startswith(REFUSAL[q_lang]) and not any("never mention" in w for w in ans.warnings), ans.warnings
    else:
        assert ans.answer.endswith(note)
    _verbatim(zh, ans)


@pytest.mark.parametrize("question, lang, missing", [
    ("企业碳排放配额的比例是多少？", "zh", "配额"),      # never mentioned in any language ("员工" is: "dock workers")
    ("码头工人的工资是多少？", "zh", "工资"),            # dock workers are in the English text, wages are not
    ("What dividend will the city SOEs pay?", "en", "dividend"),  # Chinese texts speak of revenue, not dividends
])
def test_refusal_in_the_question_language(zh, question, lang, missing):
    ans = zh.ask(question)
    assert ans.refused and not ans.citations
    assert ans.language == lang and ans.answer.startswith(REFUSAL[lang])
    assert any(missing in w for w in ans.warnings), ans.warnings
    _verbatim(zh, ans)


def test_web_texts_follow_the_question_language(zh):
    from assistant.serve.render import answer_html, answer_plain

    docs = zh.documents()
    refused = zh.ask("企业碳排放配额的比例是多少？")
    out = answer_html(refused, docs, key="z")
    assert "<strong>文件中没有答案。</strong>" in out and "最接近的段落（不是答案）" in out and "Not in the documents" not in out
    assert "原因：" in out
    assert answer_plain(refused).startswith("文件中没有答案。")
    from assistant.answer.compose import citation
    from assistant.models import Answer

    doc = next(d for d in docs.values() if d.metadata.get("language") == "zh")
    s = doc.text.index("。") + 1  # a Chinese sentence of the document, cited as an answer would cite it
    c = citation(1, doc, s, doc.text.index("。", s) + 1)
    answered = answer_html(Answer(question="新建几座中型水库？", answer=f"{c.quote} [1]", citations=[c], language="zh"),
                           docs, key="y")
    assert '<div class="sources-head">出处</div>' in answered and "打开全文" in answered and "复制答案及出处" in answered
    english = zh.ask("What dividend will the city SOEs pay?")
    assert "<strong>Not in the documents.</strong>" in answer_html(english, docs, key="x")


@pytest.mark.parametrize("question, kind", [
    ("外部董事占多数的子企业比例要达到百分之多少？", "percent"),
    ("要培训多少名码头工人？", "number"),
    ("新建几座中型水库？", "number"),
    ("什么时候完成董事会成员调整？", "date"),
    ("改革任务的期限是哪年？", "date"),
    ("谁负责检测水质？", "person"),
    ("哪个部门牵头月度调度？", "person"),
    ("哪些领域引入战略投资者？", "list"),
])
def test_chinese_answer_types(question, kind):
    info = analyse(question)
    assert info.language == "zh" and info.answer_type == kind
    assert not any(t.startswith(("几", "哪", "多少")) for t in info.terms)  # question words are not topics


def test_chinese_targets_ledger(zh):
    rows = zh.targets()
    docs = zh.documents()
    for r in rows:
        assert docs[r["doc_id"]].text[r["start"]:r["end"]] == r["statement"]
    got = {(r["doc_id"], r["value"], r["deadline"]): (r["kind"], r["deadline_norm"], r["comparator"]) for r in rows}
    # resolved against the front-matter date (2024-02-20)
    assert got[(SOE, "70%", "年底前")] == ("target", "2024-12-31", "more than")
    assert got[(SOE, "100%", "一季度")][:2] == ("target", "2024-Q1")
    assert got[(SOE, "30%", "到2025年")] == ("target", "2025", "not less than")
    assert got[(SOE, "12个", "年内")][:2] == ("target", "2024")
    # the GB18030 file has no date: "2024年是……开局之年" states the year
    assert got[(WATER, "85%", "到2026年底")] == ("target", "2026-12-31", "not less than")
    assert got[(WATER, "", "年底前")][:2] == ("deadline", "2024-12-31")
    assert got[(WATER, "1.2亿元", "")][0] == "reported"
    assert zh.targets(kind="target", due_before="2024-06-30") and all(
        r["deadline_norm"] == "2024-Q1" for r in zh.targets(kind="target", due_before="2024-06-30"))


def test_index_records_its_embedder_and_switching_says_how_to_rebuild(zh_index):
    from assistant.embeddings import choose_embedder
    from assistant.config import get_settings
    from assistant.store import IndexError_

    assert Assistant(data_dir=zh_index).embeddings.name == "use-m3"
    with pytest.raises(IndexError_) as err:
        Assistant(data_dir=zh_index, embedder="minilm").ask("新建几座中型水库？")
    msg = str(err.value)
    assert "use-m3" in msg and "minilm" in msg and "assistant ingest --rebuild" in msg
    fresh = get_settings(data_dir=zh_index.parent / "no-index-here", embedder="auto")
    assert choose_embedder(fresh, ["en", "zh"], built_with="") == "use-m3"
    assert choose_embedder(fresh, ["mixed"], built_with="") == "use-m3"
    assert choose_embedder(fresh, ["en"], built_with="") == "minilm"


def test_an_english_question_over_chinese_texts_brings_the_answering_chinese_passage_into_the_pool(zh):
    """The other-language pool (dense fused with BM25 on the question translated word by word):
    with room for one passage beside the top one, the answering passage is among the two, and the
    added passage carries its cosine and a score no higher than the top one's."""
    r = zh.retriever
    old = r.cross_lingual
    try:
        r.cross_lingual = 1
        hits = r.search("How much special funding does the county budget provide for rural water?", k=1)
    finally:
        r.cross_lingual = old
    assert len(hits) == 2 and hits[0].chunk.id != hits[1].chunk.id  # the top 1, and one of the other language
    extra = hits[1]
    assert extra.chunk.metadata.get("language") == "zh" and extra.dense is not None and 0 < extra.score <= hits[0].score
    assert any(h.chunk.doc_id == WATER and "1.2亿元" in h.chunk.text for h in hits)
