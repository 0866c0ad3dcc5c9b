"""The command line on a real index: ledger output (JSON contract, CSV, table, timeline), the
training brief and quiz, clear one-line errors, and commands that need no embedding model."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import cli

CONTRACT = {"statement", "metric", "comparator", "value", "deadline", "deadline_norm", "kind", "doc_id", "start", "end"}
SEED = "soe-reform-priorities-2024"


@pytest.fixture(scope="module")
def data_dir(assistant) -> Path:
    """The shared test index (conftest): the seed document and two fixture documents."""
    return assistant.settings.data_dir


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli.app, [*args, "--data-dir", str(data_dir)])


def test_targets_json_keeps_the_contract_and_flags_garbled_rows(data_dir):
    result = run(data_dir, "targets", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and all(CONTRACT <= set(r) for r in rows)
    flagged = {r["value"] for r in rows if r["garbled"]}
    assert flagged == {"613%", "80,000 items", "2,000 reform measures"}  # the seed's 613% and 1More
    assert all(r["garbled_warning"] for r in rows if r["garbled"])
    assert not any(r["garbled_warning"] for r in rows if not r["garbled"])


def test_targets_filters_csv_and_table(data_dir):
    table = list(csv.DictReader(io.StringIO(run(data_dir, "targets", "--csv", "--doc", SEED).output)))
    assert {r["doc_id"] for r in table} == {SEED}
    assert next(r for r in table if r["value"] == "613%")["garbled"] == "True"
    due = json.loads(run(data_dir, "targets", "--json", "--kind", "target", "--due-before", "2025-06").output)
    assert due and all(r["kind"] == "target" and r["deadline_norm"] <= "2025-06-30" for r in due)
    everything = json.loads(run(data_dir, "targets", "--json", "--kind", "target").output)
    assert any(r["deadline_norm"] and r["deadline_norm"] > "2025-06-30" for r in everything)  # the cut-off cut
    issuer = json.loads(run(data_dir, "targets", "--json", "--issuer", "sasac reform office").output)
    assert issuer and {r["doc_id"] for r in issuer} == {SEED}
    text = run(data_dir, "targets", "--doc", SEED).output
    assert "7 ledger rows, 3 with a possibly garbled figure" in text and "⚠ 613%" in text


@pytest.mark.parametrize("args, message", [
    (["targets", "--due-before", "soon"], "Due before: write a date as YYYY-MM-DD"),
    (["targets", "--doc", "no-such-doc"], "No indexed document with id 'no-such-doc'"),
    (["brief", "--doc", "[bold]x"], "No indexed document with id '[bold]x'"),
    (["targets", "--plot", "chart.svg"], "--plot writes .png or .html files, not .svg"),
])
def test_bad_options_get_one_clear_line(data_dir, args, message):
    result = run(data_dir, *args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_targets_plot_writes_a_timeline(data_dir, tmp_path):
    result = run(data_dir, "targets", "--plot", str(tmp_path / "t.html"), "--kind", "target")
    assert result.exit_code == 0, result.output
    assert "dated" in (tmp_path / "t.html").read_text(encoding="utf-8")


def test_brief_and_quiz(data_dir):
    brief = run(data_dir, "brief", "--doc", SEED).output
    assert "**Priorities**" in brief and "**Targets and deadlines**" in brief
    assert "Check before use: possibly garbled figures" in brief and "“613%”" in brief
    assert brief.count("\n## ") == 1  # only the document asked for
    quiz = json.loads(run(data_dir, "quiz", "--json", "--n", "12").output)
    assert len(quiz) == 12 and all(item["answer"] in item["quote"] for item in quiz)
    assert not {item["answer"] for item in quiz} & {"613%", "80,000 items", "2,000 reform measures"}
    assert run(data_dir, "quiz", "--n", "0").exit_code != 0


def test_docs_lists_the_index(data_dir):
    docs = json.loads(run(data_dir, "docs", "--json").output)
    assert sorted(d["doc_id"] for d in docs) == ["harbour-notice", "river-basin-plan", SEED]


def test_commands_without_a_model_never_load_one(data_dir):
    """What `assistant docs/targets/brief/quiz` import, one after another in a fresh process:
    never torch or sentence-transformers."""
    code = ("import sys; from typer.testing import CliRunner; from assistant import cli\n"
            "for command in ('docs', 'targets', 'brief', 'quiz'):\n"
            f"    r = CliRunner().invoke(cli.app, [command, '--data-dir', {str(data_dir)!r}])\n"
            "    print(command, r.exit_code, [m for m in ('torch', 'sentence_transformers') if m in sys.modules])")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.splitlines() == ["docs 0 []", "targets 0 []", "brief 0 []", "quiz 0 []"], out.stdout + out.stderr
