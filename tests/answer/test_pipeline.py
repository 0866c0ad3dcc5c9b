"""The staged answer path over the real fixture index: stage order, one stream for
every answerer, refusals under filters, and no per-request state on shared objects."""

from __future__ import annotations

import copy
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.core import Assistant

from assistant.models import Answer

LIST_Q = "In which three areas should SOE reform be deepened this year?"
LIST_ITEMS = ("resource allocation", "systems and mechanisms", "institutional safeguards")
OTHER_QS = ["How much money has the provincial government set aside for pipe renewal?",
            "By when should rail carry not less than 30% of port containers?",
            "What share of rural households should be connected to piped water by the end of 2026?"]


FILLER = " ".join(f"Paragraph detail {i} describes staffing, procurement, audits and reporting duties." for i in range(14))
LIST_DOC = f"""---
title: Lakeside County modernisation plan
issuer: Lakeside County Office
date: 2025-03-01
---
The plan names three pillars of county modernisation:

Digital records for every land parcel. {FILLER}

Solar roofs on all public schools. {FILLER}

Flood barriers along the northern shore. {FILLER}
"""
LIST_DOC_Q = "What are the three pillars of county modernisation?"
LIST_DOC_ITEMS = ("Digital records", "Solar roofs", "Flood barriers")


@pytest.fixture(scope="module")
def list_index(tmp_path_factory, policy_dir):
    """The fixture policies plus a document whose list items lie in chunks of their own,
    so collecting them needs the document's text, not only the retrieved passage."""
    docs = tmp_path_factory.mktemp("list-docs")
    for p in policy_dir.iterdir():
        (docs / p.name).write_bytes(p.read_bytes())
    (docs / "lakeside-plan.md").write_text(LIST_DOC, encoding="utf-8")
    a = Assistant(data_dir=tmp_path_factory.mktemp("list-index"))
    a.ingest([str(docs)])
    return a


@pytest.fixture()
def slow_assistant(list_index):
    """That index, with sentence embedding slowed down so that concurrent requests overlap
    inside the answer stage (where per-request data used to be kept on a shared object)."""
    assistant = list_index
    a = Assistant(data_dir=assistant.settings.data_dir)
    a.__dict__["embeddings"] = assistant.embeddings
    fast = assistant._sentence_vectors

    def slow(texts):
        time.sleep(0.05)
        return fast(texts)

    a.__dict__["_sentence_vectors"] = slow
    return a


def test_concurrent_requests_keep_their_own_documents(slow_assistant):
    """List questions (which read their document's text to collect the items) asked at the
    same time as questions about other documents: every list answer keeps its items."""
    alone = slow_assistant.ask(LIST_DOC_Q)
    assert all(item in alone.answer for item in LIST_DOC_ITEMS), alone.answer
    questions = [LIST_DOC_Q, *OTHER_QS] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(slow_assistant.ask, questions))
    for q, ans in zip(questions, answers):
        assert ans.question == q and not ans.refused
        if q == LIST_DOC_Q:
            assert ans.answer == alone.answer


def test_stages_keep_no_request_state(assistant):
    stages = assistant.pipeline.stages
    before = [copy.copy(vars(s)) for s in stages]
    assistant.ask(LIST_Q)
    assistant.ask("Which targets are due by 2027?")
    assert [vars(s) for s in stages] == before


def test_first_stage_that_answers_wins(assistant):
    assert assistant.ask("Which targets are due by 2027?").answerer == "ledger"
    byline = assistant.ask("Who reported this article?", filters={"doc": ["soe-reform-priorities-2024"]})
    assert byline.citations and byline.citations[0].quote == "Li Xinping"
    assert assistant.ask(OTHER_QS[0]).answerer == "extractive"


def test_stream_gives_growing_text_then_the_same_answer_as_ask(assistant):
    *pieces, final = list(assistant.stream(OTHER_QS[0]))
    assert isinstance(final, Answer) and pieces and all(isinstance(p, str) for p in pieces)
    assert all(b.startswith(a) for a, b in zip(pieces, pieces[1:]))
    assert pieces[-1] == final.answer == assistant.ask(OTHER_QS[0]).answer


def test_refusal_under_a_filter_says_the_filter_was_active(assistant):
    ans = assistant.ask("How much money has the provincial government set aside for pipe renewal?",
                        filters={"doc": ["harbour-notice"]})
    assert ans.refused and "filter" in ans.answer and "harbour-notice" in ans.answer
    assert all(c.doc_id == "harbour-notice" for c in ans.related)


def test_citations_name_no_absolute_server_path(assistant):
    ans = assistant.ask(OTHER_QS[0])
    assert ans.citations and all(not c.source.startswith("/") for c in ans.citations)
    assert ans.citations[0].source.endswith("river-basin-plan.md")
