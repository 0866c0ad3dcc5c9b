"""Which PDF text extractor to build on: pypdf against layout-aware extractors.

    .venv/bin/pip install pdfminer.six pypdfium2     # only for this comparison
    .venv/bin/python benchmarks/pdf_extract.py [PDF ...]   # default: ../shared/real-docs/*.pdf

Each extractor's page texts go through the same text flow (`ingest.layout.rebuild`:
furniture, paragraphs) and sentence splitter. Per file and extractor: extraction
seconds; `real-dev` evidence strings inside one sentence; sentences that still
hold a running head (the lines the pypdf text layer repeats at page tops and
bottoms); and the share of sentence pieces (cut at seams) found verbatim in the
pypdf text layer, which is what quotes are checked against. Licences: pypdf
BSD-3-Clause, pdfminer.six MIT, pypdfium2 Apache-2.0 / BSD-3-Clause (PyMuPDF is
AGPL, so it is left out as a default for a freely reusable project).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src"):  # the script folder (for `loaders`) is on the path already
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.layout import rebuild  # noqa: E402
from ingest.loaders import clean_text  # noqa: E402
from ingest.text import sentence_spans  # noqa: E402
from loaders import SHARED, _key, evidence_by_doc, fold, inside_one_sentence, running_heads, seam_pieces  # noqa: E402


def pypdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def pdfminer_pages(path: Path) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    return ["".join(el.get_text() for el in page if isinstance(el, LTTextContainer)) for page in extract_pages(str(path))]


def pdfium_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


EXTRACTORS = {"pypdf": pypdf_pages, "pdfminer.six": pdfminer_pages, "pypdfium2": pdfium_pages}


def main() -> int:
    files = [Path(a) for a in sys.argv[1:]] or sorted((SHARED / "real-docs").glob("*.pdf"))
    evidence = evidence_by_doc(SHARED / "eval" / "real-dev.jsonl")
    table = Table(title="PDF extractors through the same text flow")
    for col in ("file", "extractor", "seconds", "evidence in 1 sentence", "sentences with a running head",
                "verbatim in pypdf layer"):
        table.add_column(col)
    for path in files:
        reference_pages = pypdf_pages(path)
        reference = fold("\n".join(reference_pages))
        heads = running_heads(reference_pages)
        for name, extract in EXTRACTORS.items():
            try:
                t0 = time.perf_counter()
                pages = extract(path)
                seconds = time.perf_counter() - t0
            except ImportError:
                table.add_row(path.name, name, "not installed", "", "", "")
                continue
            texts = [clean_text(p) for p in pages]
            flow = rebuild([t for t in texts if t.strip()])
            spans = sentence_spans(flow.text)
            sentences = [fold(flow.text[s:e]) for s, e in spans]
            ev = evidence.get(path.name, [])
            inside = sum(inside_one_sentence(sentences, e) for e in ev)
            with_head = sum(1 for s, e in spans if any(h in _key(flow.text[s:e]) for h in heads))
            pieces = [p for s, e in spans for p in seam_pieces(flow.text, flow.seams, s, e)]
            verbatim = sum(1 for p in pieces if fold(p) in reference)
            table.add_row(path.name, name, f"{seconds:.1f}", f"{inside}/{len(ev)}", str(with_head),
                          f"{verbatim / max(len(pieces), 1):.1%} of {len(pieces)}")
    Console(width=200).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
