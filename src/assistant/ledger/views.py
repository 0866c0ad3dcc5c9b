"""Ledger views: the deadline period, filters, ordering, table rows and CSV.

The one place the CLI, the web tab and the answerer read the ledger through, so
filter rules and columns cannot drift apart between them.
"""

from __future__ import annotations

import csv
import io
import re
from calendar import monthrange
from datetime import date
from typing import TYPE_CHECKING, Callable, Iterable

from assistant.ledger.row import Target, as_target, flag_garbled

if TYPE_CHECKING:  # a type only: importing the store would load numpy for every CLI command
    from assistant.store import StoredDocument

DUE_FORMAT = "write a date as YYYY-MM-DD (or YYYY, YYYY-Qn, YYYY-MM)"
# What staff read first: when, how much, what, where from; the rest after.
TABLE_COLUMNS = ["Due", "Value", "Statement", "Document", "Kind", "Metric", "Deadline as written", "Issuer", "Check"]
GARBLED_MARK = "⚠"


def period_end(norm: str | None) -> date | None:
    """Last day of a normalised deadline: a year, quarter or month is due by its last day."""
    if not norm:
        return None
    if m := re.fullmatch(r"(\d{4})", norm):
        return date(int(m[1]), 12, 31)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", norm):
        year, month = int(m[1]), int(m[2]) * 3
        return date(year, month, monthrange(year, month)[1])
    if m := re.fullmatch(r"(\d{4})-(\d{2})", norm):
        year, month = int(m[1]), int(m[2])
        return date(year, month, monthrange(year, month)[1])
    try:
        return date.fromisoformat(norm)
    except ValueError:
        return None


# --------------------------------------------------------------------------- reading

def document_rows(doc: StoredDocument) -> list[Target]:
    """A stored document's ledger as models, flagged against its own ingestion warnings
    (so an index built before the flag existed is flagged too)."""
    return flag_garbled([as_target(row) for row in doc.targets], doc.warnings, doc.text)


def ledger_rows(docs: Iterable[StoredDocument]) -> list[Target]:
    """Every document's rows, documents in the order given, rows in text order."""
    return [row for doc in docs for row in document_rows(doc)]


# --------------------------------------------------------------------------- filters

def _options(wanted: str | Iterable[str] | None) -> list[str]:
    if not wanted:
        return []
    return [wanted] if isinstance(wanted, str) else [w for w in wanted if w]


def matcher(doc: str | Iterable[str] | None = None, kind: str | Iterable[str] | None = None,
            due_before: str | None = None, issuer: str | Iterable[str] | None = None,
            text: str | None = None) -> Callable[[Target], bool]:
    """A test for rows matching every filter given; a list for doc, kind or issuer means any of them.
    Issuers compare without case, as retrieval filters do; `text` needs every word, in the statement,
    metric, value, deadline or title. `due_before` is an inclusive cut-off date, or a period meaning its
    last day; a row is due by the last day of its deadline period, and an unresolved deadline never passes.
    A cut-off that is not a date raises ValueError with a message for the user."""
    docs, kinds = set(_options(doc)), set(_options(kind))
    issuers = {i.strip().lower() for i in _options(issuer)}
    words = (text or "").lower().split()
    cutoff = None
    if due_before and due_before.strip():
        cutoff = period_end(due_before.strip())
        if cutoff is None:
            raise ValueError(f"Due before: {DUE_FORMAT}, not {due_before.strip()!r}.")

    def accepts(row: Target) -> bool:
        if (docs and row.doc_id not in docs) or (kinds and row.kind not in kinds):
            return False
        if issuers and row.issuer.strip().lower() not in issuers:
            return False
        if cutoff is not None and ((due := period_end(row.deadline_norm)) is None or due > cutoff):
            return False
        haystack = " ".join((row.statement, row.metric, row.value, row.deadline, row.title)).lower()
        return all(w in haystack for w in words)

    return accepts


def filter_targets(rows: Iterable[Target], **filters) -> list[Target]:
    """Rows matching `matcher(**filters)`, in the order given."""
    accepts = matcher(**filters)
    return [row for row in rows if accepts(row)]


def by_due(rows: Iterable[Target]) -> list[Target]:
    """Soonest due first, rows without a resolved deadline last; then by document and position."""
    return sorted(rows, key=lambda r: (period_end(r.deadline_norm) or date.max, r.title or r.doc_id, r.start))


# --------------------------------------------------------------------------- display

def value_text(row: Target) -> str:
    """"more than 70%"; a flagged figure carries the warning mark."""
    value = " ".join(part for part in (row.comparator, row.value) if part)
    return f"{GARBLED_MARK} {value}" if row.garbled and value else value


def check_text(row: Target) -> str:
    return f"{GARBLED_MARK} {row.garbled_warning}" if row.garbled else ""


def table_rows(rows: Iterable[Target]) -> list[list[str]]:
    """One list per row under TABLE_COLUMNS, as plain text (the caller escapes for its medium)."""
    out = []
    for r in rows:
        due = r.deadline_norm or ("not resolved" if r.deadline and r.kind != "reported" else "")
        out.append([due, value_text(r), r.statement, r.title or r.doc_id, r.kind, r.metric, r.deadline, r.issuer,
                    check_text(r)])
    return out


def targets_to_csv(rows: Iterable[Target]) -> str:
    """The ledger as CSV, one column per Target field (`garbled` included), header first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(Target.model_fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.model_dump())
    return out.getvalue()
