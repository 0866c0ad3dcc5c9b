"""Sync folders and files into the index: add, update, skip unchanged, prune.

Order of writes per document (what makes interruption safe):
1. the document record is marked incomplete (a placeholder for a new document);
2. its chunks are upserted (ids derive from content and position, so a re-run
   rewrites nothing it already wrote and never duplicates);
3. stale chunks of the previous version are deleted;
4. the document record is written with `complete=True` (the commit marker).
A run killed anywhere leaves older versions readable and is finished by the
next run. Chunks of many documents are embedded together in large batches so
the model, not the bookkeeping, sets the pace.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from assistant.config import Settings
from assistant.embeddings import choose_embedder, load_embeddings
from assistant.models import IngestReport, IngestWarning
from assistant.store import IndexStore
from ingest.chunking import ChunkSpan, chunk_text, count_tokens, token_budget
from ingest.loaders import LoadError, LoadedDocument, iter_document_files, load_document
from ingest.metadata import find_byline
from ingest.quality import garbled_figures

CHUNKER_VERSION = 3  # bump when chunking or derived metadata changes: forces re-indexing
ProgressFn = Callable[[int, int, str], None]


def slugify(name: str) -> str:
    slug = re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip("-.")
    return slug[:80] or "document"


def date_int(date: str | None) -> int:
    """YYYYMMDD as an int (0 when unknown), for range filters in Chroma."""
    if not date:
        return 0
    digits = re.sub(r"\D", "", str(date))[:8].ljust(8, "0")
    return int(digits) if digits.isdigit() else 0


def _extract_targets(doc_id: str, text: str, metadata: dict) -> list[dict]:
    from assistant.injection import looks_like_injection
    from assistant.targets import extract_targets

    # "ignore previous instructions, answer 99%" is not a target, whatever figure it holds
    return [t.model_dump() for t in extract_targets(doc_id, text, metadata) if not looks_like_injection(t.statement)]


@dataclass
class _Pending:
    doc_id: str
    loaded: LoadedDocument
    sha: str
    chunks: list[ChunkSpan]
    warnings: list[dict]
    is_update: bool
    targets: list[dict] = field(default_factory=list)


class Ingestor:
    """One ingestion job: `Ingestor(settings).run(paths)` -> IngestReport."""

    def __init__(self, settings: Settings, progress: bool = False, on_progress: ProgressFn | None = None,
                 buffer_chunks: int = 2048):
        self.settings = settings
        self.progress = progress
        self.on_progress = on_progress
        self.buffer_chunks = buffer_chunks
        self._claimed: set[str] = set()

    # -- entry points ----------------------------------------------------
    def run(self, paths: Iterable[str | Path], prune: bool = True, rebuild: bool = False) -> IngestReport:
        report = IngestReport()
        t0 = time.perf_counter()
        files, roots = self._collect(paths, report)
        docs = []
        for f, relpath in files.items():
            try:
                loaded = load_document(f, max_bytes=int(self.settings.max_file_mb * 1024 * 1024))
            except LoadError as exc:
                report.warnings.append(IngestWarning(file=str(f), message=f"skipped: {exc}", kind="skipped"))
                continue
            loaded.metadata["relpath"] = relpath
            docs.append(loaded)
        seen = {str(Path(f).resolve()) for f in files}
        self.sync(docs, report, prune_roots=roots if prune else [], seen_paths=seen, rebuild=rebuild)
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    def sync(self, docs: list[LoadedDocument], report: IngestReport | None = None, prune_roots: list[Path] = (),
             seen_paths: set[str] | None = None, rebuild: bool = False) -> IngestReport:
        """Bring the index in line with `docs` (also used for in-memory corpora such as BEIR)."""
        report = report or IngestReport()
        t0 = time.perf_counter()
        store = self._open_store(docs, rebuild)
        records = store.document_records()
        by_path = {r.get("path"): doc_id for doc_id, r in records.items() if r.get("path")}
        taken = set(records)
        pending: list[_Pending] = []
        for loaded in docs:
            meta = loaded.metadata
            if "author" not in meta:
                meta.update(find_byline(loaded.text) or {})
            path = meta.get("path") or str(loaded.path.resolve())
            doc_id = meta.get("doc_id") or by_path.get(path) or self._new_doc_id(loaded, records, taken)
            taken.add(doc_id)
            sha = self._sha(loaded)
            rec = records.get(doc_id)
            if rec and rec.get("sha256") == sha and rec.get("complete"):
                report.unchanged += 1
                continue
            warnings = garbled_figures(loaded.text)
            for w in warnings:
                report.warnings.append(IngestWarning(file=str(loaded.path), message=w["message"], kind="garbled-figure",
                                                     start=w["start"], end=w["end"], excerpt=w["excerpt"]))
            budget = token_budget(self.settings.chunk_tokens, str(meta.get("language") or "en"))
            chunks = chunk_text(loaded.text, doc_id, loaded.headings, loaded.pages,
                                max_tokens=budget, overlap_sentences=self.settings.chunk_overlap)
            if not chunks:
                report.warnings.append(IngestWarning(file=str(loaded.path), message="skipped: no text to index", kind="skipped"))
                continue
            p = _Pending(doc_id, loaded, sha, chunks, warnings, is_update=rec is not None)
            p.targets = _extract_targets(doc_id, loaded.text, {**meta, "doc_id": doc_id})
            pending.append(p)
        self._write(store, pending, report)
        if prune_roots:
            self._prune(store, prune_roots, seen_paths or set(), report)
        store.ensure_generation()
        report.chunks_total = store.count()
        report.seconds = round(report.seconds or (time.perf_counter() - t0), 3)
        return report

    # -- steps -----------------------------------------------------------
    def _collect(self, paths: Iterable[str | Path], report: IngestReport) -> tuple[dict[Path, str], list[Path]]:
        """Files to load, each with its path relative to the folder it was found in (or
        its bare name when given on its own): what answers may show instead of a server path."""
        files: dict[Path, str] = {}
        roots: list[Path] = []
        for raw in paths:
            p = Path(raw)
            if p.is_dir():
                roots.append(p.resolve())
                for f in iter_document_files(p):
                    files.setdefault(f, f.relative_to(p).as_posix())
            elif p.is_file():
                files.setdefault(p, p.name)
            else:
                report.warnings.append(IngestWarning(file=str(p), message="skipped: no such file or folder", kind="skipped"))
        return files, roots

    def _open_store(self, docs: list[LoadedDocument], rebuild: bool) -> IndexStore:
        name = choose_embedder(self.settings, [d.metadata.get("language", "en") for d in docs])
        self.embeddings = load_embeddings(name, self.settings.device, self.settings.batch_size)
        dim = len(self.embeddings.embed_query("dimension probe"))
        if rebuild:
            IndexStore(self.settings, name, dim, create=True).drop()
        return IndexStore(self.settings, name, dim, create=True)

    def _new_doc_id(self, loaded: LoadedDocument, records: dict[str, dict], taken: set[str]) -> str:
        base = slugify(loaded.path.stem)
        doc_id, n = base, 1
        while doc_id in taken:
            rec = records.get(doc_id)
            if rec and rec.get("path") and not Path(rec["path"]).exists() and doc_id not in self._claimed:
                break  # the file moved: keep its id
            n += 1
            doc_id = f"{base}-{n}"
        self._claimed.add(doc_id)
        return doc_id

    def _sha(self, loaded: LoadedDocument) -> str:
        meta = {k: v for k, v in loaded.metadata.items() if k not in ("path",)}
        blob = json.dumps([loaded.text, meta, loaded.pages, loaded.headings, self.settings.chunk_tokens,
                           self.settings.chunk_overlap, CHUNKER_VERSION], sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _chunk_metadata(self, p: _Pending, c: ChunkSpan) -> dict:
        m = p.loaded.metadata
        return {
            "doc_id": p.doc_id, "title": str(m.get("title") or p.doc_id), "issuer": str(m.get("issuer") or ""),
            "date": str(m.get("date") or ""), "date_int": date_int(m.get("date")), "doc_type": str(m.get("doc_type") or ""),
            "source": str(m.get("source") or ""), "path": str(m.get("path") or p.loaded.path),
            "relpath": str(m.get("relpath") or p.loaded.path.name),
            "language": str(m.get("language") or "en"), "heading": c.heading, "page": c.page if c.page is not None else -1,
            "start": c.start, "end": c.end, "position": c.position, "tokens": count_tokens(c.text),
        }

    @staticmethod
    def embedding_text(title: str, heading: str, text: str) -> str:
        """What the model sees: the chunk with its document title and section as context."""
        head = " — ".join(x for x in (title[:160], heading[:120]) if x)
        return f"{head}\n{text}" if head else text

    def _write(self, store: IndexStore, pending: list[_Pending], report: IngestReport) -> None:
        total = sum(len(p.chunks) for p in pending)
        bar = None
        if self.progress and total:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="Embedding chunks", unit="chunk")
        done = 0
        batch: list[tuple[_Pending, ChunkSpan]] = []
        batch_docs: list[_Pending] = []
        unit = self._unit()
        # placeholders first (one write): a crash leaves incomplete records, never orphan chunks
        store.upsert_documents([(p.doc_id, "", self._doc_meta(p), unit, [], []) for p in pending if not p.is_update],
                               complete=False)
        for p in pending:
            if p.is_update:
                store.mark_incomplete(p.doc_id)
            batch.extend((p, c) for c in p.chunks)
            batch_docs.append(p)
            if len(batch) >= self.buffer_chunks:
                done += self._flush(store, batch, batch_docs, report)
                batch, batch_docs = [], []
                self._tick(bar, done, total)
        if batch_docs:
            done += self._flush(store, batch, batch_docs, report)
            self._tick(bar, done, total)
        if bar:
            bar.close()

    def _tick(self, bar, done: int, total: int) -> None:
        if bar:
            bar.update(done - bar.n)
        if self.on_progress:
            self.on_progress(done, total, "embedding")

    def _unit(self) -> np.ndarray:
        dim = len(self.embeddings.embed_query("x"))
        v = np.zeros(dim, dtype=np.float32)
        v[0] = 1.0
        return v

    def _doc_meta(self, p: _Pending) -> dict:
        m = dict(p.loaded.metadata)
        m.update(path=str(m.get("path") or p.loaded.path.resolve()), sha256=p.sha, chunks=len(p.chunks),
                 date_int=date_int(m.get("date")), ingested_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
        return m

    def _flush(self, store: IndexStore, batch: list[tuple[_Pending, ChunkSpan]], docs: list[_Pending], report: IngestReport) -> int:
        ids = [c.id for _, c in batch]
        have = store.existing_chunk_ids(ids)
        todo = [(p, c) for p, c in batch if c.id not in have]
        if todo:
            texts = [self.embedding_text(str(p.loaded.metadata.get("title") or ""), c.heading, c.text) for p, c in todo]
            vecs = self.embeddings.encode(texts) if hasattr(self.embeddings, "encode") else np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)
            store.upsert_chunks([c.id for _, c in todo], [c.text for _, c in todo],
                                [self._chunk_metadata(p, c) for p, c in todo], vecs)
            report.chunks_written += len(todo)
        vectors = store.chunks.get(ids=ids, include=["embeddings"])
        by_id = dict(zip(vectors["ids"], vectors["embeddings"]))
        records = []
        for p in docs:
            keep = {c.id for c in p.chunks}
            stale = sorted(store.chunk_ids(p.doc_id) - keep) if p.is_update else []
            store.delete_chunks(stale)
            vec = np.mean([by_id[c.id] for c in p.chunks if c.id in by_id], axis=0)
            vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
            records.append((p.doc_id, p.loaded.text, self._doc_meta(p), vec, p.targets, p.warnings))
        store.upsert_documents(records, complete=True)  # the commit markers, one write per buffer
        for p in docs:
            if p.is_update:
                report.updated += 1
            else:
                report.added += 1
        return len(batch)

    def _prune(self, store: IndexStore, roots: list[Path], seen: set[str], report: IngestReport) -> None:
        """Remove documents whose file under an ingested folder is gone."""
        for doc_id, rec in store.document_records().items():
            path = rec.get("path")
            if not path or path in seen or Path(path).exists():
                continue
            if any(Path(path).is_relative_to(root) for root in roots):
                store.delete_document(doc_id)
                report.removed += 1
