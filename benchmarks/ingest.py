"""Ingestion throughput on SciFact abstracts, against the raw embedder.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/ingest.py [--limit N] [--corpus PATH] [--keep DIR]

1. Ingest the corpus from scratch into a temp index through the same path as
   `assistant bench beir` (Ingestor.sync of in-memory LoadedDocuments):
   documents, chunks, seconds, chunks/s.
2. Raw `model.encode` on exactly the texts that ingestion embedded
   (Ingestor.embedding_text(title, heading, text) of every stored chunk, read
   back from the store): texts/s, and the ratio ingest/raw (target >= 0.85).
3. A no-change re-run (target < 5% of the first run's time).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from assistant.beir import ingest_corpus, read_corpus  # noqa: E402
from assistant.config import get_settings  # noqa: E402
from assistant.core import Assistant  # noqa: E402
from assistant.embeddings import load_embeddings  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "bench" / "scifact" / "corpus.jsonl.gz"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=0, help="only the first N abstracts (0 = all)")
    ap.add_argument("--keep", type=Path, default=None, help="index folder to use and keep (default: a temp dir, removed)")
    args = ap.parse_args(argv)
    console = Console()

    corpus = read_corpus(args.corpus, limit=args.limit)
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    if args.keep and data_dir.exists():
        shutil.rmtree(data_dir)  # "from scratch"
    try:
        a = Assistant(get_settings(data_dir=data_dir))
        # Load the model once before timing (a process loads it once; both sides share it).
        emb = load_embeddings("minilm", a.settings.device, a.settings.batch_size)
        emb.encode(["warm up"])

        console.print(f"Ingesting {len(corpus):,} abstracts into {data_dir} ...")
        report, first_s = ingest_corpus(a, corpus)
        chunks = report.chunks_written

        # The texts ingestion embedded, read back from the store.
        ids, texts, metas = a.store.all_chunks()
        emb_texts = [Ingestor.embedding_text(str(m.get("title") or ""), str(m.get("heading") or ""), t)
                     for t, m in zip(texts, metas)]
        t0 = time.perf_counter()
        emb.encode(emb_texts)
        raw_s = time.perf_counter() - t0

        report2, rerun_s = ingest_corpus(a, corpus)

        ingest_rate = chunks / first_s if first_s > 0 else 0.0
        raw_rate = len(emb_texts) / raw_s if raw_s > 0 else 0.0
        ratio = ingest_rate / raw_rate if raw_rate else 0.0
        rerun_frac = rerun_s / first_s if first_s > 0 else 0.0
        res = {
            "documents": report.added + report.updated, "chunks": chunks, "chunks_in_store": len(ids),
            "ingest_s": round(first_s, 2), "ingest_chunks_per_s": round(ingest_rate, 2),
            "raw_encode_s": round(raw_s, 2), "raw_chunks_per_s": round(raw_rate, 2), "ratio": round(ratio, 3),
            "rerun_s": round(rerun_s, 2), "rerun_fraction": round(rerun_frac, 4),
            "rerun_unchanged": report2.unchanged, "rerun_chunks_written": report2.chunks_written,
        }

        t = Table(title=f"Ingestion: {args.corpus.name} ({len(corpus):,} abstracts, device={getattr(emb, 'device', '?')})")
        t.add_column("measure")
        t.add_column("value", justify="right")
        t.add_column("target", justify="right")
        t.add_row("documents", f"{res['documents']:,}", "")
        t.add_row("chunks", f"{chunks:,}", "")
        t.add_row("ingest seconds", f"{first_s:.1f}", "")
        t.add_row("ingest chunks/s", f"{ingest_rate:.1f}", "")
        t.add_row("raw encode seconds", f"{raw_s:.1f}", "")
        t.add_row("raw encode chunks/s", f"{raw_rate:.1f}", "")
        t.add_row("ingest / raw", f"{ratio:.2f}", ">= 0.85" + (" ✓" if ratio >= 0.85 else " ✗"))
        t.add_row("no-change re-run s", f"{rerun_s:.2f} ({rerun_frac:.1%})", "< 5%" + (" ✓" if rerun_frac < 0.05 else " ✗"))
        t.add_row("re-run unchanged / written", f"{report2.unchanged:,} / {report2.chunks_written:,}", "")
        console.print(t)
        return res
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
