"""Training material: key points that are the priorities and targets of a document, and a quiz
whose short answers are checked against the quoted source.

Fixtures written for these tests (tests/data/training_fixtures/): an English budget speech, a
Chinese provincial work report and a Chinese State Council opinion, each with a review part
and a garbled figure, plus the seed document; loaded and flagged exactly as ingestion does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.ledger import extract_targets
from assistant.store import StoredDocument
from assistant.training import (ANSWER_WORDS, PRIORITIES, brief_markdown, build_quiz, key_points, quiz_json,
                                quiz_markdown)
from ingest.loaders import load_document
from ingest.quality import garbled_figures
from ingest.text import sentence_spans

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "training_fixtures"


def stored(path: Path) -> StoredDocument:
    doc = load_document(path)
    warnings = garbled_figures(doc.text)
    rows = [r.model_dump() for r in extract_targets(path.stem, doc.text, doc.metadata, warnings)]
    return StoredDocument(path.stem, doc.text, doc.metadata, rows, warnings)


@pytest.fixture(scope="module")
def docs() -> dict[str, StoredDocument]:
    paths = [ROOT / "corpus" / "soe-reform-priorities-2024.txt", *sorted(FIXTURES.iterdir())]
    return {p.stem: stored(p) for p in paths}


def priorities(doc: StoredDocument) -> list[str]:
    return [p.quote for p in key_points(doc) if p.kind == "priority"]


# --------------------------------------------------------------------------- key points

def test_key_points_are_cited_few_and_never_the_whole_text(docs):
    for doc in docs.values():
        points = key_points(doc)
        n_sentences = len(sentence_spans(doc.text))
        assert points and [p.start for p in points] == sorted(p.start for p in points)
        assert all(p.quote == doc.text[p.start:p.end] and p.doc_id == doc.doc_id for p in points)
        assert sum(p.kind == "priority" for p in points) <= min(PRIORITIES, max(2, n_sentences // 4))
        assert sum(len(p.quote) for p in points) < 0.6 * len(doc.text), doc.doc_id


def test_priorities_are_the_tasks_a_budget_speech_sets(docs):
    speech = docs["budget-speech-2031"]
    found = priorities(speech)
    assert found[0].startswith("This Budget rests on the following four priorities:")
    assert found[0].endswith("4) A leaner, more accountable state")  # the announced list comes with it
    assert any("launch a national apprenticeship scheme" in p for p in found)
    text = " ".join(p.quote for p in key_points(speech))
    for not_a_task in ("I rise to present", "I beg to move", "Real growth reached", "economy has turned the corner"):
        assert not_a_task not in text
    headings = {p.heading for p in key_points(speech)}
    assert "Priority 1: Jobs and skills for young people › Apprenticeships" in headings


@pytest.mark.parametrize("doc_id, expected, absent", [
    ("zh-work-report-2030", ["着力扩大有效需求。", "加快建设现代化产业体系。", "深化国资国企改革。"],
     ["稳住经济大盘", "推进创新驱动发展", "我代表省人民政府"]),  # the review part's run-in headings are history
    ("zh-state-council-opinion", ["加快关键装备研发。", "健全标准和认证体系。"], ["指导思想", "主要目标"]),
    ("soe-reform-priorities-2024", ["Deepen reform around optimizing resource allocation."],
     ["What are the priorities?", "In 2023, on the basis of consolidating"]),
])
def test_priorities_in_chinese_and_english_policy_texts(docs, doc_id, expected, absent):
    found = priorities(docs[doc_id])
    for quote in expected:
        assert quote in found
    for text in absent:
        assert not any(text in p for p in found)


def test_targets_are_points_with_their_figures_and_due_dates(docs):
    report = docs["zh-work-report-2030"]
    targets = {p.quote: p for p in key_points(report) if p.kind == "target"}
    main = next(p for q, p in targets.items() if q.startswith("今年经济社会发展的主要预期目标"))
    assert main.figures == ["about 5%", "more than 60万人", "about 3%"] and main.deadline_norm == "2030"
    assert not any("5.6%" in q for q in targets)  # last year's growth is a reported figure, not a target
    speech = {p.quote: p for p in key_points(docs["budget-speech-2031"]) if p.kind != "priority"}
    assert speech["We will place 50,000 young people in paid apprenticeships by the end of 2032."].deadline_norm == \
        "2032-12-31"


def test_a_garbled_target_is_flagged_in_key_points_and_brief(docs):
    speech = docs["budget-speech-2031"]
    [meals] = [p for p in key_points(speech) if "school meals" in p.quote]
    assert meals.garbled and "140%" in meals.garbled_warning
    brief = brief_markdown([speech])
    line = next(i for i, text in enumerate(brief.splitlines()) if "school meals" in text)
    assert "Possibly garbled figure" in brief.splitlines()[line + 1]
    checks = brief[brief.index("Check before use"):]
    assert "“3More”" in checks and "“412%”" in checks and "“140%”" in checks


def test_brief_lists_priorities_then_targets_with_citations(docs):
    brief = brief_markdown(docs.values())
    for doc in docs.values():
        assert f"## {doc.metadata['title']}" in brief
        for point in key_points(doc):
            assert f"[{doc.doc_id}:{point.start}-{point.end}]" in brief
    section = brief[brief.index("## Deepening"):brief.index("## ", brief.index("## Deepening") + 3)]
    assert section.index("**Priorities**") < section.index("**Targets and deadlines**")
    assert "**more than 70%** · due 2024-12-31" in section
    assert "Date:* not stated" in brief and "“613%”" in section


def test_brief_escapes_markdown_from_documents(docs):
    doc = StoredDocument("md-test", "Ministries will publish *all* rules by 2031 <script>.", {"title": "A_b *c*"})
    brief = brief_markdown([doc])
    assert "## A\\_b \\*c\\*" in brief and "<script>" not in brief


@pytest.mark.parametrize("doc_id", ["zh-work-report-2030", "budget-speech-2031"])
def test_documents_as_dicts_give_the_same_brief_and_quiz(docs, doc_id):
    doc = docs[doc_id]
    as_dict = {"doc_id": doc.doc_id, "text": doc.text, "metadata": doc.metadata, "targets": doc.targets}
    assert brief_markdown([as_dict]) == brief_markdown([doc])  # warnings found again: the same flags
    assert build_quiz([as_dict], n=20) == build_quiz([doc], n=20)


# --------------------------------------------------------------------------- quiz

def test_quiz_answers_are_short_verbatim_and_never_garbled(docs):
    quiz = build_quiz(docs.values(), n=30, seed=1)
    assert len(quiz) == 30
    assert {item.kind for item in quiz} == {"fill-in-the-figure", "by-when", "which-body"}
    for item in quiz:
        doc = docs[item.doc_id]
        assert item.quote == doc.text[item.start:item.end] and item.quote.count(item.answer) == 1
        assert item.answer not in item.question and "____" in item.question
        assert len(item.answer.split()) <= ANSWER_WORDS and len(item.answer) <= 60
        at = item.start + item.quote.index(item.answer)
        assert not any(w["start"] < at + len(item.answer) and w["end"] > at for w in doc.warnings)
        assert not any(w["start"] < item.end and w["end"] > item.start for w in doc.warnings)
    answers = {item.answer for item in quiz}
    assert not answers & {"613%", "80,000 items", "2,000 reform measures", "140%", "412%", "900 arrears"}


def test_quiz_takes_every_kind_in_turn_and_is_deterministic(docs):
    quiz = build_quiz(docs.values(), n=9, seed=3)
    assert [item.kind for item in quiz[:3]] == ["fill-in-the-figure", "by-when", "which-body"]
    assert build_quiz(docs.values(), n=9, seed=3) == quiz
    assert [i.question for i in build_quiz(docs.values(), n=9, seed=4)] != [i.question for i in quiz]
    by_when = next(item for item in quiz if item.kind == "by-when")
    assert by_when.due is not None


def test_long_sources_and_long_answers_make_no_question():
    body = "The Ministry of Works, the Ministry of Transport, the Roads Authority and the National Planning Council"
    text = (f"{body} will finish 40% of the bypass by 2031. "
            "Firms will " + " ".join(["invest in plants and machinery"] * 15) + " worth 9 billion dollars by 2032.")
    doc = StoredDocument("t", text, {"date": "2030-01-05"},
                         [r.model_dump() for r in extract_targets("t", text, {"date": "2030-01-05"})])
    quiz = build_quiz([doc], n=20)
    assert quiz and not any("9 billion dollars" in item.quote for item in quiz)  # a 90-word statement
    assert not any(item.kind == "which-body" for item in quiz)  # a 17-word body is no short answer


def test_quiz_markdown_and_json(docs):
    quiz = build_quiz(docs.values(), n=5)
    markdown = quiz_markdown(quiz)
    assert markdown.count("*Answer:*") == 5
    assert re.search(r"\*Answer:\* .+ \(\d{4}[-Q\d]*\)", markdown)  # a by-when answer shows its date
    assert [item["answer"] for item in json.loads(quiz_json(quiz))] == [item.answer for item in quiz]
