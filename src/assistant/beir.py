"""Retrieval benchmark on a BEIR-format data set (corpus/queries jsonl, qrels tsv).

    assistant bench beir --corpus scifact/corpus.jsonl.gz --queries scifact/queries.jsonl \
        --qrels scifact/qrels/test.tsv --modes hybrid,dense,lexical

The corpus is synced into the assistant's index through the normal ingestion
path (idempotent: a second run finds every abstract unchanged). Chunk hits are
turned into document scores (max over a document's chunks, documents ranked by
their first appearance), written as a TREC run file and scored with nDCG@10,
Recall@10, Recall@100 and MRR@10 (standard definitions, graded gains,
ideal DCG from the qrels).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

TOP_CHUNKS = 100


# --------------------------------------------------------------------------- reading


def _open_text(path: str | Path):
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def iter_jsonl(path: str | Path) -> Iterator[dict]:
    with _open_text(path) as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


def read_corpus(path: str | Path, limit: int = 0) -> list[dict]:
    """[{_id, title, text}] in file order (first `limit` when limit > 0)."""
    out = []
    for row in iter_jsonl(path):
        out.append({"_id": str(row["_id"]), "title": str(row.get("title") or ""), "text": str(row.get("text") or "")})
        if limit and len(out) >= limit:
            break
    return out


def read_queries(path: str | Path) -> dict[str, str]:
    return {str(r["_id"]): str(r.get("text") or "") for r in iter_jsonl(path)}


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """{query-id: {corpus-id: grade}} from a BEIR qrels TSV (header: query-id corpus-id score)."""
    qrels: dict[str, dict[str, int]] = {}
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter="\t")
        for i, row in enumerate(reader):
            if not row or (i == 0 and row[0].strip().lower() in ("query-id", "query_id", "qid")):
                continue
            qid, did, score = row[0].strip(), row[1].strip(), int(float(row[2]))
            qrels.setdefault(qid, {})[did] = score
    return qrels


def to_loaded_documents(corpus: list[dict]) -> list:
    from ingest.loaders import LoadedDocument

    docs, seen = [], set()
    for d in corpus:
        text = d["text"].strip() or d["title"].strip()
        if not text or d["_id"] in seen:  # an id twice: keep the first
            continue
        seen.add(d["_id"])
        docs.append(LoadedDocument(path=Path(f"beir/{d['_id']}"), text=text,
                                   metadata={"doc_id": d["_id"], "title": d["title"], "path": f"beir://{d['_id']}", "language": "en"}))
    return docs


def ingest_corpus(assistant, corpus: list[dict], progress: bool = False):
    """Sync the corpus into the assistant's index; returns (IngestReport, seconds)."""
    from ingest.pipeline import Ingestor

    t0 = time.perf_counter()
    report = Ingestor(assistant.settings, progress=progress).sync(to_loaded_documents(corpus))
    seconds = time.perf_counter() - t0
    assistant.reset()
    return report, seconds


# --------------------------------------------------------------------------- ranking


def doc_ranking(hits) -> list[tuple[str, float]]:
    """Chunk hits (best first) -> [(doc_id, score)]: max score per doc, docs in order of first appearance."""
    best: dict[str, float] = {}
    for h in hits:
        d = h.chunk.doc_id
        s = float(h.score)
        if d not in best:
            best[d] = s
        elif s > best[d]:
            best[d] = s
    return list(best.items())


def write_trec(path: str | Path, run: dict[str, list[tuple[str, float]]], tag: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for qid, ranked in run.items():
            n = len(ranked)
            rank_scores = _needs_rank_score(ranked)
            for r, (did, score) in enumerate(ranked, 1):
                s = float(n - r + 1) if rank_scores else score
                fh.write(f"{qid} Q0 {did} {r} {s:.6f} {tag}\n")


def _needs_rank_score(ranked: list[tuple[str, float]]) -> bool:
    """True when the scores are not non-increasing in rank order (then we write rank-derived scores)."""
    return any(ranked[i][1] < ranked[i + 1][1] for i in range(len(ranked) - 1))


# --------------------------------------------------------------------------- metrics


def ndcg_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rel.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if rel.get(d, 0) > 0)
    ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    relevant = {d for d, g in rel.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if rel.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean metrics over the queries that have at least one relevant document in qrels and a run entry."""
    qids = [q for q in run if any(g > 0 for g in qrels.get(q, {}).values())]
    if not qids:
        return {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0, "queries": 0}
    m = {
        "ndcg@10": float(np.mean([ndcg_at(run[q], qrels[q], 10) for q in qids])),
        "recall@10": float(np.mean([recall_at(run[q], qrels[q], 10) for q in qids])),
        "recall@100": float(np.mean([recall_at(run[q], qrels[q], 100) for q in qids])),
        "mrr@10": float(np.mean([mrr_at(run[q], qrels[q], 10) for q in qids])),
        "queries": len(qids),
    }
    return m


def percentile_ms(seconds: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, p)) if seconds else 0.0


# --------------------------------------------------------------------------- driver


def run_beir(assistant, corpus_path, queries_path, qrels_path=None, run_out=None, modes: list[str] | None = None,
             limit: int = 0, console=None) -> dict[str, Any]:
    """Ingest (sync) the corpus, retrieve for every query in every mode, write run files, score."""
    from rich.table import Table

    modes = modes or ["hybrid"]
    bad = [m for m in modes if m not in ("hybrid", "dense", "lexical")]
    if bad:
        raise ValueError(f"unknown mode(s): {', '.join(bad)} (use hybrid, dense, lexical)")
    say = console.print if console is not None else (lambda *a, **k: None)

    corpus = read_corpus(corpus_path)
    say(f"Corpus: {len(corpus):,} documents from {corpus_path}")
    report, ingest_s = ingest_corpus(assistant, corpus, progress=console is not None)
    say(f"Index sync: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.chunks_written:,} chunks written ({report.chunks_total:,} in index) in {ingest_s:.1f}s")

    queries = read_queries(queries_path)
    qrels = read_qrels(qrels_path) if qrels_path else None
    qids = list(queries)
    if qrels is not None:
        qids = [q for q in qids if q in qrels]
    if limit and limit > 0:
        qids = qids[:limit]

    results: dict[str, Any] = {
        "corpus_docs": len(corpus), "queries": len(qids),
        "ingest": {"seconds": round(ingest_s, 3), "added": report.added, "updated": report.updated,
                   "unchanged": report.unchanged, "chunks_written": report.chunks_written, "chunks_total": report.chunks_total,
                   "chunks_per_s": round(report.chunks_written / ingest_s, 2) if ingest_s > 0 and report.chunks_written else None},
        "modes": {},
    }
    if qids:  # warm up (model, lexical index, chroma) outside the timed loop
        assistant.retrieve(queries[qids[0]], k=TOP_CHUNKS, mode="hybrid")

    for mode in modes:
        run: dict[str, list[tuple[str, float]]] = {}
        lat: list[float] = []
        for qid in qids:
            text = queries[qid]
            t0 = time.perf_counter()
            try:
                hits = assistant.retrieve(text, k=TOP_CHUNKS, mode=mode)
            except ValueError:  # an unusable question (empty after cleaning)
                hits = []
            lat.append(time.perf_counter() - t0)
            run[qid] = doc_ranking(hits)
        if run_out:
            out = Path(run_out)
            if len(modes) > 1:
                out = out.with_name(f"{out.stem}.{mode}{out.suffix}" if out.suffix else f"{out.name}.{mode}")
            write_trec(out, run, f"assistant-{mode}")
            say(f"Run file ({mode}): {out}")
        entry: dict[str, Any] = {"latency_p50_ms": round(percentile_ms(lat, 50), 2),
                                 "latency_p95_ms": round(percentile_ms(lat, 95), 2), "queries": len(qids)}
        if qrels is not None:
            entry.update({k: (round(v, 4) if isinstance(v, float) else v)
                          for k, v in evaluate({q: [d for d, _ in r] for q, r in run.items()}, qrels).items()})
        results["modes"][mode] = entry

    if console is not None:
        table = Table(title=f"BEIR {Path(corpus_path).parent.name or Path(corpus_path).name}: {len(qids)} queries, {len(corpus):,} docs")
        table.add_column("mode")
        if qrels is not None:
            for col in ("nDCG@10", "R@10", "R@100", "MRR@10"):
                table.add_column(col, justify="right")
        table.add_column("p50 ms", justify="right")
        table.add_column("p95 ms", justify="right")
        for mode, e in results["modes"].items():
            row = [mode]
            if qrels is not None:
                row += [f"{e['ndcg@10']:.4f}", f"{e['recall@10']:.4f}", f"{e['recall@100']:.4f}", f"{e['mrr@10']:.4f}"]
            row += [f"{e['latency_p50_ms']:.1f}", f"{e['latency_p95_ms']:.1f}"]
            table.add_row(*row)
        console.print(table)
    return results
