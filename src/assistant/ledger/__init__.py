"""The targets and deadlines ledger: quantified goals and dated commitments of policy texts.

- `patterns`: the word lists and regexes (how policy texts state dates, figures, tense, bodies);
- `extract`: the rules, `extract_targets(doc_id, text, metadata, warnings)` -> list[Target];
- `views`: the deadline period, filters, ordering, table rows and CSV;
- `row`: the `Target` row and the garbled-figure flag.
"""

from assistant.ledger.extract import extract_targets
from assistant.ledger.row import Kind, Target, as_target, flag_garbled
from assistant.ledger.views import (TABLE_COLUMNS, by_due, document_rows, filter_targets, ledger_rows, matcher,
                                    period_end, table_rows, targets_to_csv)

__all__ = ["TABLE_COLUMNS", "Kind", "Target", "as_target", "by_due", "document_rows", "extract_targets",
           "filter_targets", "flag_garbled", "ledger_rows", "matcher", "period_end", "table_rows", "targets_to_csv"]
