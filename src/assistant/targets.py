"""The old import path of the ledger, kept for callers not yet moved to `assistant.ledger`
(ingest/pipeline.py, core.py, web.py). New code imports `assistant.ledger`.

Unlike `assistant.ledger.filter_targets`, the `filter_targets` here also takes the
index's stored dicts and returns rows as given, which is what those callers rely on.
"""

from __future__ import annotations

from typing import Iterable

from assistant.ledger import Target, as_target, extract_targets, matcher, period_end
from assistant.ledger import targets_to_csv as _csv

__all__ = ["Target", "as_target", "extract_targets", "filter_targets", "period_end", "targets_to_csv"]


def filter_targets(rows: Iterable[Target | dict], **filters) -> list[Target | dict]:
    accepts = matcher(**filters)
    return [row for row in rows if accepts(as_target(row))]


def targets_to_csv(rows: Iterable[Target | dict]) -> str:
    return _csv(map(as_target, rows))
