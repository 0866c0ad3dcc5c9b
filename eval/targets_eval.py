"""Score the targets ledger against the gold rows for the policy notes.

Usage: python eval/targets_eval.py [NOTES_DIR]   (default ../shared/policy-notes)
Prints precision and recall, per kind, and every miss or extra; exits 1 when
recall < 1.0 or precision < 0.9, so it can gate a change to the rules (2: no notes).
`score_against_gold` is also what tests/test_targets.py scores the test fixtures with.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterable

from assistant.ledger import Target, extract_targets
from ingest.loaders import load_document
from ingest.quality import garbled_figures

GOLD = Path(__file__).with_name("targets_gold_policy_notes.json")


def _matches(row: Target, gold: dict) -> bool:
    return (row.doc_id == gold["doc_id"] and row.kind == gold["kind"] and row.value == gold.get("value", "")
            and ("deadline_norm" not in gold or row.deadline_norm == gold["deadline_norm"])
            and gold["snippet"] in row.statement)


def score_against_gold(rows: Iterable[Target], gold: list[dict]) -> dict:
    """Precision and recall of extracted rows against gold rows (one-to-one). A gold row
    matches on doc_id, kind, value, deadline_norm when it gives one, and its `snippet`
    lying inside the statement. Comparator disagreements on matched rows are listed apart."""
    rows = list(rows)
    free = list(range(len(rows)))
    misses, comparator_mismatches = [], []
    per_kind: dict[str, dict[str, int]] = {}
    for g in gold:
        per_kind.setdefault(g["kind"], {"gold": 0, "extracted": 0, "matched": 0})["gold"] += 1
        hit = next((i for i in free if _matches(rows[i], g)), None)
        if hit is None:
            misses.append(g)
            continue
        free.remove(hit)
        per_kind[g["kind"]]["matched"] += 1
        if "comparator" in g and rows[hit].comparator != g["comparator"]:
            comparator_mismatches.append({**g, "got": rows[hit].comparator})
    for row in rows:
        per_kind.setdefault(row.kind, {"gold": 0, "extracted": 0, "matched": 0})["extracted"] += 1
    matched = len(rows) - len(free)
    extras = [rows[i].model_dump(include={"doc_id", "kind", "value", "deadline_norm", "statement"}) for i in free]
    return {
        "precision": matched / len(rows) if rows else 1.0,
        "recall": matched / len(gold) if gold else 1.0,
        "per_kind": per_kind,
        "misses": misses,
        "extras": extras,
        "comparator_mismatches": comparator_mismatches,
    }


def main(argv: list[str]) -> int:
    notes = Path(argv[1]) if len(argv) > 1 else (Path(__file__).resolve().parents[1] / "../shared/policy-notes").resolve()
    if not notes.is_dir():
        print(f"no policy notes at {notes}", file=sys.stderr)
        return 2
    rows = []
    for path in sorted(notes.glob("*.txt")):
        doc = load_document(path)  # the same loader and warnings as ingestion, so spans and flags match the index
        rows += extract_targets(path.stem, doc.text, doc.metadata, garbled_figures(doc.text))
    result = score_against_gold(rows, json.loads(GOLD.read_text(encoding="utf-8"))["rows"])
    print(f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  ({len(rows)} rows from {notes})")
    for kind, counts in sorted(result["per_kind"].items()):
        print(f"  {kind:9} gold {counts['gold']:3}  extracted {counts['extracted']:3}  matched {counts['matched']:3}")
    for key, label in (("misses", "miss"), ("extras", "extra"), ("comparator_mismatches", "comparator")):
        for item in result[key]:
            print(f"  {label}: {json.dumps(item, ensure_ascii=False)}")
    return 0 if result["recall"] >= 1.0 and result["precision"] >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
