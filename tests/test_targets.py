"""Targets ledger (rules, garbled-figure flag, views) and its timeline, checked against
hand-made gold rows.

Self-contained: reads the seed document under corpus/ and the invented fixtures under
tests/data/targets_fixtures/, never ../shared.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from assistant import targets as old_path
from assistant.ledger import (TABLE_COLUMNS, Target, by_due, document_rows, extract_targets, filter_targets,
                              period_end, table_rows, targets_to_csv)
from assistant.store import StoredDocument
from assistant.timeline import place, save_timeline, timeline_figure
from ingest.loaders import load_document
from ingest.quality import garbled_figures
from targets_eval import score_against_gold

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "soe-reform-priorities-2024.txt"
FIXTURES = ROOT / "tests" / "data" / "targets_fixtures"
GOLD = ROOT / "tests" / "data" / "targets_gold_corpus.json"


def read_doc(path: Path) -> tuple[dict, str]:
    """(metadata, cleaned text) through the ingestion loader, as the index sees it."""
    doc = load_document(path)
    return doc.metadata, doc.text


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    out = []
    for path in [SEED, *sorted(FIXTURES.glob("*.txt"))]:
        meta, text = read_doc(path)
        warnings = garbled_figures(text)  # as ingestion records them
        out.append({"doc_id": path.stem, "text": text, "metadata": meta, "warnings": warnings,
                    "targets": extract_targets(path.stem, text, meta, warnings)})
    return out


@pytest.fixture(scope="module")
def rows(docs) -> list[Target]:
    return [row for doc in docs for row in doc["targets"]]


@pytest.fixture(scope="module")
def seed_rows(rows) -> list[Target]:
    return [row for row in rows if row.doc_id == SEED.stem]


def only(text: str, metadata: dict | None = None) -> Target:
    found = extract_targets("t", text, metadata or {})
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- gold

def test_gold_precision_and_recall(rows):
    result = score_against_gold(rows, json.loads(GOLD.read_text(encoding="utf-8"))["rows"])
    for kind in ("target", "deadline"):
        counts = result["per_kind"][kind]
        assert counts["matched"] == counts["gold"], result["misses"]
    assert result["recall"] == 1.0, result["misses"]
    assert result["precision"] >= 0.9, result["extras"]
    assert result["comparator_mismatches"] == []


def test_score_counts_misses_and_extras():
    row = Target(statement="x rose 5%", value="5%", kind="reported", doc_id="d", start=0, end=9)
    gold = [{"doc_id": "d", "kind": "target", "value": "5%", "snippet": "5%"}]
    result = score_against_gold([row], gold)
    assert (result["precision"], result["recall"]) == (0.0, 0.0)
    assert len(result["misses"]) == 1 and len(result["extras"]) == 1


# --------------------------------------------------------------------------- the seed document

def test_seed_main_tasks_target(seed_rows):
    [row] = [r for r in seed_rows if "main tasks" in r.statement and r.kind == "target"]
    assert (row.comparator, row.value, row.deadline) == ("more than", "70%", "by the end of the year")
    assert (row.deadline_norm, row.deadline_resolved) == ("2024-12-31", True)
    assert row.responsible == "All enterprises and regions"
    assert "main tasks" in row.metric


def test_seed_exit_system_coverage_target(seed_rows):
    [row] = [r for r in seed_rows if "coverage of not less than 70%" in r.statement]
    assert (row.kind, row.comparator, row.value) == ("target", "not less than", "70%")
    assert (row.deadline, row.deadline_norm) == ("at the end of 2024", "2024-12-31")
    assert "second subsidiary" in row.statement and "coverage" in row.metric


def test_seed_assessment_deadline(seed_rows):
    [row] = [r for r in seed_rows if "local SOE reform assessment" in r.statement]
    assert (row.kind, row.value, row.deadline) == ("deadline", "", "the first quarter of this year")
    assert (row.deadline_norm, row.deadline_resolved) == ("2024-Q1", True)


def test_seed_past_figures_are_reported(seed_rows):
    reported = {r.value: r for r in seed_rows if r.kind == "reported"}
    assert set(reported) == {"80,000 items", "2,000 reform measures", "613%"}
    assert reported["2,000 reform measures"].comparator == "nearly"
    assert not {r.value for r in filter_targets(seed_rows, kind="target")} & set(reported)


def test_every_statement_is_verbatim(docs):
    for doc in docs:
        for row in doc["targets"]:
            assert row.statement == doc["text"][row.start:row.end]
            assert row.statement.strip() == row.statement and row.value in row.statement


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize("text, metadata, deadline, norm", [
    ("By the end of the year, SOEs should sell 30% of idle assets.", {"date": "2025-03-10"},
     "By the end of the year", "2025-12-31"),
    ("2026 is a pivotal year for reform. Firms will finish 40% of the review in the first quarter of this year.", {},
     "the first quarter of this year", "2026-Q1"),
    ("Firms will finish 40% of the review by the end of the year.", {}, "by the end of the year", None),
    ("Coverage will reach 90% at the end of 2024.", {}, "at the end of 2024", "2024-12-31"),
    ("Coverage will reach 90% by 2025.", {}, "by 2025", "2025"),
    ("Coverage will reach 90% in Q3 2025.", {}, "Q3 2025", "2025-Q3"),
    ("Coverage will reach 90% by the end of the second quarter of 2026.", {},
     "by the end of the second quarter of 2026", "2026-Q2"),
    ("Coverage will reach 90% by June 2025.", {}, "by June 2025", "2025-06"),
    ("Coverage will reach 90% by 30 June 2025.", {}, "by 30 June 2025", "2025-06-30"),
    ("Coverage will reach 90% within two years.", {"date": "2025-03-10"}, "within two years", "2027-03-10"),
    ("Coverage will reach 90% over the next five years.", {}, "over the next five years", None),
    ("力争年底前完成80%以上主体任务。", {"date": "2024-05-01"}, "年底前", "2024-12-31"),
    ("力争一季度完成80%以上考核任务。", {"date": "2025-01-10"}, "一季度", "2025-Q1"),
    ("到2025年，战略性新兴产业收入占比达到40%。", {}, "到2025年", "2025"),
    ("力争明年年底前完成全部改制任务的60%。", {"date": "2024-05-01"}, "明年年底前", "2025-12-31"),
])
def test_deadline_normalisation(text, metadata, deadline, norm):
    row = only(text, metadata)
    assert row.kind == "target"
    assert (row.deadline, row.deadline_norm, row.deadline_resolved) == (deadline, norm, norm is not None)


def test_date_from_front_matter_object_is_kept_as_iso():
    from datetime import date
    row = only("Firms will finish 40% of the review by the end of the year.", {"date": date(2024, 2, 1)})
    assert (row.date, row.deadline_norm) == ("2024-02-01", "2024-12-31")


def test_commitment_whose_date_has_passed_is_not_a_deadline():
    assert extract_targets("t", "In 2023, the commission will launch the pilot.", {"date": "2024-02-01"}) == []


def test_question_is_not_a_commitment():
    assert extract_targets("t", "What must be finished by the end of the year?", {"date": "2024-02-01"}) == []


# --------------------------------------------------------------------------- target or history

@pytest.mark.parametrize("text, metadata, kind", [
    ("Investment grew 24% in the first seven months.", {}, "reported"),
    ("Central SOEs invested 2.18 trillion yuan in 2023.", {"date": "2024-01-24"}, "reported"),
    ("Local SOEs had completed more than 90% of their main tasks by May 2022.", {"date": "2022-05-09"}, "reported"),
    ("Strive to complete more than 70% of the main tasks by the end of the year.", {}, "target"),
    ("Income from new industries is to make up 35% of total income by 2025.", {}, "target"),
    ("Mixed-ownership firms now account for over 70% of central SOEs.", {}, "reported"),
    ("The debt ratio of each subsidiary shall be not more than 65%.", {}, "target"),
    ("已有1800余家企业完成公司制改制。", {}, "reported"),
    ("全市国有企业营业收入同比增长8.5%。", {}, "reported"),
    ("确保覆盖率不低于70%。", {}, "target"),
])
def test_reported_figures_are_kept_apart_from_targets(text, metadata, kind):
    assert only(text, metadata).kind == kind


def test_clauses_are_judged_separately():
    rows = extract_targets("t", "Listed firms are to lead the reform; they hold 63.7% of the capital.", {})
    assert [(r.kind, r.value, r.statement) for r in rows] == [("reported", "63.7%", "they hold 63.7% of the capital.")]


def test_conversions_and_restatements_are_not_new_figures():
    text = ("Firms invested 90 billion yuan (roughly $14.29 billion) last year. "
            "The 90 billion yuan is a cumulative figure.")
    assert [r.value for r in extract_targets("t", text, {})] == ["90 billion yuan"]


def test_chinese_comparators():
    found = {r.value: r.comparator for r in extract_targets(
        "t", "力争营收增长10%左右。确保占比不低于30%。研发投入不超过5亿元。力争完成200余项改革任务。", {})}
    assert found == {"10%": "about", "30%": "not less than", "5亿元": "up to", "200余项": "more than"}


# --------------------------------------------------------------------------- ledger views

def test_filter_targets(rows):
    due_2024 = filter_targets(rows, due_before="2024-12-31")
    assert {r.deadline_norm for r in due_2024} == {"2024-12-31", "2024-Q1", "2024", "2024-06"}
    assert filter_targets(rows, due_before="2024-Q1") == filter_targets(rows, due_before="2024-03-31")
    assert all(r.deadline_resolved for r in filter_targets(rows, due_before="2030"))
    assert {r.doc_id for r in filter_targets(rows, doc="undated-dividend-guidance")} == {"undated-dividend-guidance"}
    assert {r.kind for r in filter_targets(rows, kind=["target", "deadline"])} == {"target", "deadline"}
    assert {r.issuer for r in filter_targets(rows, issuer="provincial sasac")} == {"Provincial SASAC"}
    assert [r.value for r in filter_targets(rows, text="Raise dividend PAYOUTS")] == ["30%"]  # every word, any case
    assert {r.value for r in filter_targets(rows, text="dividend payouts")} == {"30%", "22%"}  # the title counts too
    assert filter_targets(rows, issuer="SASAC") == []  # an issuer is named whole, as in retrieval filters
    assert filter_targets(rows, due_before="  ") == rows  # an empty box filters nothing
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        filter_targets(rows, due_before="next spring")


def test_old_import_path_keeps_stored_dicts(rows):
    stored = [row.model_dump() for row in rows]  # the index keeps rows as dicts; core.py still filters those
    picked = old_path.filter_targets(stored, doc=["zh-city-soe-priorities", "undated-dividend-guidance"], kind="deadline")
    assert picked and all(isinstance(r, dict) for r in picked)
    assert {r["doc_id"] for r in picked} == {"zh-city-soe-priorities", "undated-dividend-guidance"}
    assert old_path.targets_to_csv(stored) == targets_to_csv(rows)


def test_csv_has_one_column_per_field(rows):
    table = list(csv.reader(io.StringIO(targets_to_csv(rows))))
    assert table[0] == list(Target.model_fields)
    assert len(table) == len(rows) + 1
    assert targets_to_csv([]).strip() == ",".join(Target.model_fields)


# --------------------------------------------------------------------------- timeline

def test_timeline_files(rows, tmp_path):
    html = save_timeline(rows, tmp_path / "timeline.html")
    png = save_timeline(rows, tmp_path / "timeline.png")
    page = html.read_text(encoding="utf-8")
    assert len(page) > 100_000 and not re.search(r"<script[^>]*\bsrc=", page)  # plotly.js inline: opens offline
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    with pytest.raises(ValueError):
        save_timeline(rows, tmp_path / "timeline.svg")


def test_timeline_figure_marks_and_empty_ledger(rows, tmp_path):
    fig = timeline_figure(rows)
    plotted = sum(len(trace.x) for trace in fig.data)
    assert plotted == len([r for r in rows if r.kind != "reported" and r.deadline_resolved])
    assert "unresolved" in fig.layout.title.text
    assert "main tasks" in " ".join(text for trace in fig.data for text in trace.text)
    assert timeline_figure([]).layout.title.text == "No targets or deadlines to plot"
    assert save_timeline([], tmp_path / "empty.png").stat().st_size > 0


def test_ledger_rows_from_the_index_are_models_flagged_on_reading(docs):
    seed = docs[0]
    stored = [row.model_dump(exclude={"garbled", "garbled_warning"}) for row in seed["targets"]]  # an older index
    doc = StoredDocument(seed["doc_id"], seed["text"], seed["metadata"], stored, seed["warnings"])
    rows = document_rows(doc)
    assert all(isinstance(r, Target) for r in rows) and rows == seed["targets"]
    assert document_rows(StoredDocument(doc.doc_id, doc.text, doc.metadata, [r.model_dump() for r in rows], [])) == [
        r.model_copy(update={"garbled": False, "garbled_warning": ""}) for r in rows]  # warnings gone: flags gone


def test_by_due_puts_soonest_first_and_unresolved_last(rows):
    ordered = by_due(rows)
    dues = [r.deadline_norm for r in ordered]
    resolved = [d for d in dues if d]
    assert len(resolved) > 5 and dues[:len(resolved)] == resolved and not any(dues[len(resolved):])
    ends = [period_end(d) for d in resolved]
    assert ends == sorted(ends) and ends[0] < ends[-1]


# --------------------------------------------------------------------------- garbled figures

def test_rows_overlapping_a_garbled_figure_are_flagged(seed_rows):
    flagged = {r.value: r for r in seed_rows if r.garbled}
    assert set(flagged) == {"80,000 items", "2,000 reform measures", "613%"}  # "1More" sits in the first two
    assert "613%" in flagged["613%"].garbled_warning and "over 100%" in flagged["613%"].garbled_warning
    assert "1More" in flagged["80,000 items"].garbled_warning
    assert not any(r.garbled or r.garbled_warning for r in seed_rows if r.value not in flagged)


def test_table_rows_lead_with_due_value_statement_document(seed_rows):
    assert TABLE_COLUMNS[:4] == ["Due", "Value", "Statement", "Document"]
    table = {cells[2]: dict(zip(TABLE_COLUMNS, cells)) for cells in table_rows(seed_rows)}
    [garbled] = [row for text, row in table.items() if "613%" in text]
    assert garbled["Value"] == "⚠ 613%" and garbled["Check"].startswith("⚠ share of 613% is over 100%")
    [main] = [row for text, row in table.items() if "main tasks" in text]
    assert (main["Due"], main["Value"], main["Check"]) == ("2024-12-31", "more than 70%", "")
    assert main["Document"] == "Deepening and upgrading SOE reform: the 2024 priorities"


def test_csv_carries_the_garbled_flag(seed_rows):
    table = list(csv.DictReader(io.StringIO(targets_to_csv(seed_rows))))
    assert {r["value"]: r["garbled"] for r in table} == {
        r.value: str(r.garbled) for r in seed_rows}
    assert [r["value"] for r in table if r["garbled"] == "True"] == ["80,000 items", "2,000 reform measures", "613%"]
    assert "over 100%" in next(r["garbled_warning"] for r in table if r["value"] == "613%")


# --------------------------------------------------------------------------- timeline marks

def _row(doc_id: str, norm: str, start: int, kind: str = "target", **extra) -> Target:
    return Target(statement=f"Statement {start}.", kind=kind, doc_id=doc_id, title=f"Plan {doc_id}", start=start,
                  end=start + 10, deadline="by then", deadline_norm=norm, deadline_resolved=True, value="5%", **extra)


def test_marks_due_the_same_day_are_stacked_not_hidden():
    same_day = [_row("a", "2025-12-31", i * 20) for i in range(4)] + [_row("b", "2025-12-31", 500)]
    fig = timeline_figure(same_day)
    points = [(x, y) for trace in fig.data for x, y in zip(trace.x, trace.y)]
    assert len(points) == 5 == len(set(points))  # "5 dated" shows five marks
    lane_a = sorted(y for x, y in points if y < 0.5)
    assert len(lane_a) == 4 and min(b - a for a, b in zip(lane_a, lane_a[1:])) >= 0.15
    assert all(abs(y - 1) < 1e-9 for x, y in points if y >= 0.5)  # a lone mark stays on its lane's line
    assert "5 dated" in fig.layout.title.text
    assert list(fig.layout.yaxis.ticktext) == ["Plan a", "Plan b"]


def test_marks_a_few_days_apart_stack_but_distant_ones_do_not():
    rows = [_row("a", "2025-06-30", 0), _row("a", "2025-07-02", 20), _row("a", "2030-12-31", 40)]
    marks, biggest = place([(period_end(r.deadline_norm), r) for r in rows], lambda r: 0)
    by_start = {m.row.start: m for m in marks}
    assert biggest == 2 and by_start[0].y != by_start[20].y and by_start[40].y == 0


def test_garbled_mark_is_outlined_and_says_so(seed_rows):
    garbled = _row("a", "2025-12-31", 0, garbled=True, garbled_warning="share of 140% is over 100%")
    fig = timeline_figure([garbled, _row("a", "2026-12-31", 20)])
    [trace] = fig.data
    assert list(trace.marker.line.width) == [2.5, 0.5]
    assert "⚠ share of 140% is over 100%" in trace.text[0] and "⚠" not in trace.text[1]


def test_timeline_reads_stored_dicts_as_rows(seed_rows):
    stored = timeline_figure([r.model_dump() for r in seed_rows])
    assert [list(t.x) for t in stored.data] == [list(t.x) for t in timeline_figure(seed_rows).data]
