"""How the loaders cope with real documents: one row per file of ../shared/real-docs plus corpus/.

    .venv/bin/python benchmarks/loaders.py [--docs DIR ...] [--questions real-dev.jsonl]

Per file: pages, characters of cleaned text, load seconds, chunks, sentences, the
`real-dev` evidence strings that lie inside one sentence of the cleaned text, the
sentences that are not verbatim in the text a quote is checked against (pypdf's
text layer, the DOCX paragraphs, the raw file) once cut at the recorded seams,
page furniture left, title, date, issuer and garbled-figure warnings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.chunking import chunk_text, token_budget  # noqa: E402
from ingest.loaders import LoadError, load_document  # noqa: E402
from ingest.quality import garbled_figures  # noqa: E402
from ingest.text import sentence_spans  # noqa: E402

SHARED = ROOT.parent / "shared"
HYPHEN_BREAK = re.compile(r"(?<=[A-Za-z])- (?=[a-z])")


def fold(text: str) -> str:
    """Whitespace-folded, lower-cased: how the scorer compares quotes."""
    return re.sub(r"\s+", " ", text or "").strip().lower()


def evidence_by_doc(questions: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    if questions.is_file():
        for line in questions.read_text(encoding="utf-8").splitlines():
            q = json.loads(line) if line.strip() else {}
            if q.get("evidence") and q.get("doc"):
                found[q["doc"]].append(q["evidence"])
    return found


def inside_one_sentence(sentences: list[str], evidence: str) -> bool:
    """The evidence lies inside one sentence (a word hyphenated across lines counts joined)."""
    e = fold(evidence)
    return any(e in s or e in HYPHEN_BREAK.sub("", s) for s in sentences)


def reference_text(path: Path) -> str:
    """The text the scorer checks quotes against (see ../shared/eval/score.py)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader

        return fold("\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages))
    if suffix == ".docx":
        import docx

        return fold("\n".join(p.text for p in docx.Document(str(path)).paragraphs))
    return fold(path.read_text(encoding="utf-8", errors="replace"))


def seam_pieces(text: str, seams: list[int], start: int, end: int) -> list[str]:
    cuts = [start, *[x for x in seams if start < x < end], end]
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]


def running_heads(pages: list[str]) -> set[str]:
    """Lines (digits and spaces ignored) that open or close at least a tenth of the pages
    of a pypdf text layer: running heads and footers, counted independently of the loader."""
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [line for line in page.split("\n") if line.strip()]
        counts.update({_key(line) for line in lines[:2] + lines[-2:] if len(_key(line)) >= 12})
    return {k for k, n in counts.items() if n >= max(3, len(pages) // 10)}


def _key(line: str) -> str:
    return re.sub(r"[\d\s]+", "", line).lower()


def heads_left(path: Path, text: str, spans: list[tuple[int, int]]) -> int | str:
    """Sentences of the cleaned text that still hold a running head or footer of the PDF."""
    if path.suffix.lower() != ".pdf":
        return ""
    from pypdf import PdfReader

    heads = running_heads([page.extract_text() or "" for page in PdfReader(str(path)).pages])
    return sum(1 for s, e in spans if any(h in _key(text[s:e]) for h in heads))


def measure(path: Path, evidence: list[str]) -> dict:
    t0 = time.perf_counter()
    doc = load_document(path)
    seconds = time.perf_counter() - t0
    meta = doc.metadata
    spans = sentence_spans(doc.text)
    sentences = [fold(doc.text[s:e]) for s, e in spans]
    reference = reference_text(path)
    pieces = [p for s, e in spans for p in seam_pieces(doc.text, meta.get("seams", []), s, e)]
    unfaithful = sum(1 for p in pieces if fold(p) not in reference)
    chunks = chunk_text(doc.text, "bench", doc.headings, doc.pages, max_tokens=token_budget(180, meta["language"]))
    return {
        "file": path.name, "pages": len(doc.pages) or "", "chars": len(doc.text), "seconds": seconds,
        "chunks": len(chunks), "sentences": len(spans),
        "evidence": f"{sum(inside_one_sentence(sentences, e) for e in evidence)}/{len(evidence)}" if evidence else "",
        "inside": sum(inside_one_sentence(sentences, e) for e in evidence), "total": len(evidence),
        "unfaithful": f"{unfaithful}/{len(pieces)}", "seams": len(meta.get("seams", [])),
        "heads_left": heads_left(path, doc.text, spans), "title": meta["title"], "date": meta["date"] or "undated",
        "issuer": meta.get("issuer", ""), "warnings": len(garbled_figures(doc.text)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", nargs="*", type=Path, default=[SHARED / "real-docs", ROOT / "corpus"])
    ap.add_argument("--questions", type=Path, default=SHARED / "eval" / "real-dev.jsonl")
    args = ap.parse_args()
    evidence = evidence_by_doc(args.questions)
    files = [f for d in args.docs if d.is_dir() for f in sorted(d.iterdir()) if f.is_file() and f.name != "SOURCES.md"]
    table = Table(title="Loaders on real documents")
    for col in ("file", "pages", "chars", "s", "chunks", "sentences", "evidence in 1 sentence", "not verbatim",
                "seams", "sentences with a running head", "title", "date", "issuer", "warnings"):
        table.add_column(col, overflow="fold")
    inside = total = 0
    for f in files:
        try:
            r = measure(f, evidence.get(f.name, []))
        except LoadError as exc:
            table.add_row(f.name, *[""] * 12, f"skipped: {exc}")
            continue
        inside, total = inside + r["inside"], total + r["total"]
        table.add_row(r["file"], str(r["pages"]), f"{r['chars']:,}", f"{r['seconds']:.1f}", str(r["chunks"]),
                      str(r["sentences"]), r["evidence"], r["unfaithful"], str(r["seams"]), str(r["heads_left"]),
                      r["title"][:60], r["date"], r["issuer"][:30], str(r["warnings"]))
    Console(width=250).print(table)
    if total:
        print(f"evidence strings inside one sentence: {inside}/{total} ({inside / total:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
