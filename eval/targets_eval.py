"""Score the targets ledger against the gold rows for the policy notes.

Usage: python eval/targets_eval.py [NOTES_DIR]   (default ../shared/policy-notes)
Prints precision and recall, per kind, and every miss or extra; exits 1 when
recall < 1.0 or precision < 0.9, so it can gate a change to the rules (2: no notes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.targets import extract_targets, score_against_gold
from ingest.loaders import load_document

GOLD = Path(__file__).with_name("targets_gold_policy_notes.json")


def main(argv: list[str]) -> int:
    notes = Path(argv[1]) if len(argv) > 1 else (Path(__file__).resolve().parents[1] / "../shared/policy-notes").resolve()
    if not notes.is_dir():
        print(f"no policy notes at {notes}", file=sys.stderr)
        return 2
    rows = []
    for path in sorted(notes.glob("*.txt")):
        doc = load_document(path)  # the same loader as ingestion, so spans match the index
        rows += extract_targets(path.stem, doc.text, doc.metadata)
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
