"""How retrieval cost grows with the index: synthetic corpora of 10k, 100k and 300k chunks.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/scale.py [--sizes 10000,100000,300000] [--queries 60]

For each size, in a fresh process (so memory figures are not mixed up):
1. generates chunks of `--words` pseudo-words (Zipf-distributed over a 30k-word
   vocabulary, with figures and years), `--chunks-per-doc` chunks per document;
2. embeds them with a fixed random projection of their bag of words (384-d, unit
   length: what MiniLM would store, without spending hours on the CPU model) and
   writes chunks and document records straight into the embedded Chroma store
   through `IndexStore`, exactly as ingestion does;
3. opens the index with `Assistant` (the real retriever: Chroma HNSW + BM25 over the
   chunk table, built at the first question: "open"), runs 10 untimed questions per
   mode ("warm-up": Chroma loads its segments on the first queries), then times
   `Assistant.retrieve` (hybrid, dense-only and lexical-only) for `--queries`
   questions made of corpus words, the question embedded by the real MiniLM model;
4. reports build and open times, retrieve p50/p95, process RSS (current and peak)
   and the index size on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

DIM = 384
VOCAB = 30_000
SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "an", "en", "or", "ul", "is")]


def vocabulary(rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCAB:
        n = int(rng.integers(2, 5))
        words.add("".join(SYLLABLES[int(i)] for i in rng.integers(0, len(SYLLABLES), n)))
    return sorted(words)


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MiB."""
    cur = peak = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return round(cur), round(peak)


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


def one(size: int, words: int, per_doc: int, n_queries: int, seed: int = 0) -> dict:
    from assistant.config import Settings
    from assistant.core import Assistant
    from assistant.store import IndexStore

    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    proj = rng.standard_normal((VOCAB, DIM)).astype(np.float32)
    zipf = 1.0 / np.arange(1, VOCAB + 1) ** 1.07
    zipf /= zipf.sum()
    work = Path(tempfile.mkdtemp(prefix=f"assistant-scale-{size}-"))
    settings = Settings(data_dir=work / "data", embedder="minilm")
    store = IndexStore(settings, "minilm", DIM, create=True)
    t0 = time.perf_counter()
    batch = 5000
    n_docs = 0
    for b0 in range(0, size, batch):
        n = min(batch, size - b0)
        idx = rng.choice(VOCAB, size=(n, words), p=zipf)
        vecs = np.empty((n, DIM), dtype=np.float32)
        for i in range(n):  # bag-of-words random projection, normalised
            v = proj[idx[i]].sum(axis=0)
            vecs[i] = v / max(float(np.linalg.norm(v)), 1e-9)
        years = rng.integers(2020, 2031, n)
        figures = rng.integers(1, 100, n)
        texts = [" ".join(vocab[j] for j in idx[i][: words // 2]) + f" {figures[i]}% by {years[i]}. "
                 + " ".join(vocab[j] for j in idx[i][words // 2:]) + "." for i in range(n)]
        ids, metas = [], []
        docs: dict[str, list[int]] = {}
        for i in range(n):
            g = b0 + i
            doc = f"doc-{g // per_doc:06d}"
            docs.setdefault(doc, []).append(i)
            ids.append(f"{doc}#{g % per_doc}")
        doc_text, doc_meta, doc_vec = [], [], []
        for doc, rows in docs.items():
            pos, spans = 0, []
            for i in rows:
                spans.append((pos, pos + len(texts[i])))
                pos += len(texts[i]) + 2
            for (s, e), i in zip(spans, rows):
                metas.append({"doc_id": doc, "title": f"Synthetic {doc}", "issuer": "Bench", "date": "2024-01-01",
                             "date_int": 20240101, "doc_type": "plan", "source": "", "path": f"/synthetic/{doc}.txt",
                             "language": "en", "heading": "", "page": -1, "start": s, "end": e,
                             "position": (b0 + i) % per_doc, "tokens": words})
            doc_text.append("\n\n".join(texts[i] for i in rows))
            doc_meta.append({"doc_id": doc, "title": f"Synthetic {doc}", "issuer": "Bench", "date": "2024-01-01",
                             "path": f"/synthetic/{doc}.txt", "sha256": doc, "chunks": len(rows), "complete": True,
                             "targets_json": "[]", "warnings_json": "[]", "language": "en"})
            m = vecs[rows].mean(axis=0)
            doc_vec.append(m / max(float(np.linalg.norm(m)), 1e-9))
        order = [i for rows in docs.values() for i in rows]  # metas were appended doc by doc
        store.upsert_chunks([ids[i] for i in order], [texts[i] for i in order], metas, vecs[order])
        store.docs.upsert(ids=list(docs), documents=doc_text, metadatas=doc_meta, embeddings=np.asarray(doc_vec))
        n_docs += len(docs)
        print(f"  {size:,}: {b0 + n:,} chunks written ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    build_s = time.perf_counter() - t0
    assert store.count() == size, (store.count(), size)
    del store

    a = Assistant(Settings(data_dir=work / "data", embedder="minilm"))
    qrng = np.random.default_rng(seed + 1)
    questions = []
    for _ in range(n_queries):
        w = [vocab[j] for j in qrng.choice(VOCAB, size=int(qrng.integers(3, 7)), p=zipf)]
        questions.append(f"What share of {' '.join(w)} by {int(qrng.integers(2020, 2031))}?")
    a.embeddings.embed_query("warm up")
    t1 = time.perf_counter()
    a.retrieve(questions[0])  # builds the chunk table and BM25 index
    open_s = time.perf_counter() - t1
    out = {"chunks": size, "documents": n_docs, "build_s": round(build_s, 1), "open_s": round(open_s, 1)}
    t2 = time.perf_counter()
    for mode in ("dense", "lexical", "hybrid"):  # warm-up: Chroma loads its segments on the first queries
        for q in questions[:10]:
            a.retrieve(q, mode=mode)
    out["warmup_s"] = round(time.perf_counter() - t2, 1)
    for mode in ("hybrid", "dense", "lexical"):
        lat = []
        for q in questions:
            t = time.perf_counter()
            hits = a.retrieve(q, mode=mode)
            lat.append(time.perf_counter() - t)
            assert hits, (mode, q)
        out[f"{mode}_p50_ms"] = round(pct(lat, 50) * 1000, 1)
        out[f"{mode}_p95_ms"] = round(pct(lat, 95) * 1000, 1)
    out["rss_mb"], out["peak_rss_mb"] = rss_mb()
    out["disk_mb"] = round(sum(f.stat().st_size for f in (work / "data").rglob("*") if f.is_file()) / 2**20)
    shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,300000", help="comma-separated chunk counts")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--words", type=int, default=60, help="words per chunk")
    ap.add_argument("--chunks-per-doc", type=int, default=50)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.words, args.chunks_per_doc, args.queries)))
        return 0
    rows = []
    t0 = time.perf_counter()
    for size in [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s.strip()]:
        print(f"size {size:,} ...", file=sys.stderr, flush=True)
        ts = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--one", str(size), "--queries", str(args.queries), "--words",
                               str(args.words), "--chunks-per-doc", str(args.chunks_per_doc)],
                              stdout=subprocess.PIPE, text=True, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["wall_s"] = round(time.perf_counter() - ts)
        rows.append(row)
    cols = ["chunks", "documents", "build_s", "open_s", "warmup_s", "hybrid_p50_ms", "hybrid_p95_ms", "dense_p50_ms", "dense_p95_ms",
            "lexical_p50_ms", "lexical_p95_ms", "rss_mb", "peak_rss_mb", "disk_mb", "wall_s"]
    print()
    print(" ".join(f"{c:>14}" for c in cols))
    for r in rows:
        print(" ".join(f"{r[c]:>14}" for c in cols))
    print(f"\n{args.queries} questions per mode; chunks of {args.words} words; total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
