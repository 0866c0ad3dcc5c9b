"""The command line on a real index: ledger output (JSON contract, CSV, table, timeline), the
training brief and quiz, clear one-line errors, and commands that need no embedding model."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import cli

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = {"statement", "metric", "comparator", "value", "deadline", "deadline_norm", "kind", "doc_id", "start", "end"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("cli-corpus")
    shutil.copy(ROOT / "corpus" / "soe-reform-priorities-2024.txt", corpus)
    shutil.copy(ROOT / "tests" / "data" / "training_fixtures" / "budget-speech-2031.txt", corpus)
    data = tmp_path_factory.mktemp("cli-index")
    result = CliRunner().invoke(cli.app, ["ingest", str(corpus), "--data-dir", str(data), "--json"])
    assert result.exit_code == 0, result.output
    return data


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli.app, [*args, "--data-dir", str(data_dir)])


def test_targets_json_keeps_the_contract_and_flags_garbled_rows(data_dir):
    result = run(data_dir, "targets", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and all(CONTRACT <= set(r) for r in rows)
    flagged = {r["value"] for r in rows if r["garbled"]}
    assert {"613%", "140%", "412%"} <= flagged and "more than 70%" not in flagged
    assert all(r["garbled_warning"] for r in rows if r["garbled"])
    assert not any(r["garbled_warning"] for r in rows if not r["garbled"])


def test_targets_filters_csv_and_table(data_dir):
    table = list(csv.DictReader(io.StringIO(run(data_dir, "targets", "--csv", "--doc", "soe-reform-priorities-2024").output)))
    assert {r["doc_id"] for r in table} == {"soe-reform-priorities-2024"}
    assert next(r for r in table if r["value"] == "613%")["garbled"] == "True"
    due = json.loads(run(data_dir, "targets", "--json", "--kind", "target", "--due-before", "2032").output)
    assert due and all(r["kind"] == "target" and r["deadline_norm"] <= "2032-12-31" for r in due)
    issuer = json.loads(run(data_dir, "targets", "--json", "--issuer", "sasac reform office").output)
    assert issuer and {r["doc_id"] for r in issuer} == {"soe-reform-priorities-2024"}
    text = run(data_dir, "targets", "--doc", "soe-reform-priorities-2024").output
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
    brief = run(data_dir, "brief", "--doc", "budget-speech-2031").output
    assert "**Priorities**" in brief and "**Targets and deadlines**" in brief
    assert "Check before use: possibly garbled figures" in brief and "## Deepening" not in brief
    quiz = json.loads(run(data_dir, "quiz", "--json", "--n", "4").output)
    assert len(quiz) == 4 and all(item["answer"] in item["quote"] for item in quiz)
    assert not {item["answer"] for item in quiz} & {"613%", "140%", "412%"}
    assert run(data_dir, "quiz", "--n", "0").exit_code != 0


def test_docs_lists_the_index(data_dir):
    docs = json.loads(run(data_dir, "docs", "--json").output)
    assert sorted(d["doc_id"] for d in docs) == ["budget-speech-2031", "soe-reform-priorities-2024"]


@pytest.mark.parametrize("command", ["docs", "targets", "brief", "quiz"])
def test_commands_without_a_model_never_load_one(data_dir, command):
    """What `assistant docs/targets/brief/quiz` import: never torch or sentence-transformers."""
    code = ("import sys; from typer.testing import CliRunner; from assistant import cli; "
            f"r = CliRunner().invoke(cli.app, [{command!r}, '--data-dir', {str(data_dir)!r}]); "
            "print(r.exit_code, [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules])")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split("\n")[-2] == "0 []", out.stdout + out.stderr
