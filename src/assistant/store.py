"""The index: two Chroma collections, one place for everything that is stored.

- `<name>_chunks`: one record per chunk (verbatim text, span, heading, page,
  document metadata) with its embedding; cosine space.
- `<name>_docs`: one record per document: its cleaned text (so quotes can be
  checked), metadata, content hash, ingestion warnings and targets ledger, with
  the mean of its chunk vectors as embedding. A document record is written
  *after* its chunks, so it doubles as the commit marker of an ingestion:
  an interrupted run leaves `complete=False` and the next run finishes it.

Because everything lives in Chroma, the same code works with an embedded
`PersistentClient` and with a Chroma server (`ASSISTANT_CHROMA_URL`), and every
app replica derives its lexical index and ledger from the same store.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlparse

import numpy as np

from assistant.config import Settings

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
# HNSW search breadth, for indexes too large for the retriever's exact search in memory
# (retrieval.EXACT_SEARCH_MAX_CHUNKS). Retrieval asks for 100-300 neighbours; with Chroma's
# default ef_search (100) that search missed many of them (real-dev: another top 300 for 15
# of 60 questions between processes); at 400 recall against exact search is about 0.99.
SEARCH_EF = 400
HNSW = {"space": "cosine", "ef_search": SEARCH_EF}


class IndexError_(RuntimeError):
    """A problem with the index that the user can fix (message says how)."""


class StoreUnavailable(IndexError_):
    """The Chroma server (or folder) cannot be reached right now."""


class NoIndex(IndexError_):
    """There is no index yet (build one with `assistant ingest`)."""


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the Chroma server is not answering" (down, restarting, timing out)."""
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    try:
        import httpx

        errors.append(httpx.TransportError)
    except ImportError:  # pragma: no cover - httpx ships with chromadb
        pass
    return tuple(errors)


def _disk_nearly_full(location: str, margin: int = 16 * 1024 * 1024) -> bool:
    """A local index folder on a disk with (almost) no free space left (chromadb's own
    message for that case can be as vague as "Error in compaction")."""
    import shutil

    if "://" in location or not os.path.isdir(location):
        return False
    try:
        return shutil.disk_usage(location).free < margin
    except OSError:
        return False


class _Guarded:
    """A Chroma collection whose calls raise `StoreUnavailable` (a clear message, no
    traceback for the user) when the server cannot be reached. The HTTP client
    reconnects by itself, so the next call after the server is back just works."""

    def __init__(self, collection, location: str):
        self._collection = collection
        self._location = location

    def __getattr__(self, name: str):
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except _unavailable_errors() as exc:
                raise StoreUnavailable(
                    f"The index at {self._location} is not answering ({type(exc).__name__}: {exc}). "
                    "If it is a Chroma server, check that it is running; the app reconnects by itself.") from exc
            except Exception as exc:  # chromadb wraps disk errors in its own exception types
                text = str(exc).lower()
                if "disk is full" in text or "no space left" in text or _disk_nearly_full(self._location):
                    raise IndexError_(
                        f"The disk holding the index at {self._location} is full. Free some space (or set "
                        "ASSISTANT_DATA_DIR to a folder on another disk) and run the ingestion again: documents "
                        "already written are kept, and the next run finishes the rest.") from exc
                if "readonly database" in text or "read-only file system" in text:
                    raise IndexError_(read_only_message(self._location)) from exc
                raise

        return call


@dataclass
class StoredDocument:
    doc_id: str
    text: str
    metadata: dict[str, Any]
    targets: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.metadata.get("title") or self.doc_id


def make_client(settings: Settings):
    """A Chroma client for the configured mode, with telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.remote_chroma:
            if settings.chroma_url:
                u = urlparse(settings.chroma_url)
                host, port, ssl = u.hostname or "127.0.0.1", u.port or (443 if u.scheme == "https" else 8000), u.scheme == "https"
            else:
                host, port, ssl = settings.chroma_host, settings.chroma_port or 8000, False
            return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(settings.chroma_dir, os.W_OK) or not os.access(next(
                (p for p in settings.chroma_dir.rglob("*.sqlite3")), settings.chroma_dir), os.W_OK):
            raise IndexError_(read_only_message(settings.chroma_dir))
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except IndexError_:
        raise
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise IndexError_(read_only_message(settings.chroma_dir, exc.strerror)) from exc
        if exc.errno == errno.ENOSPC:
            raise IndexError_(f"No space left for the index folder {settings.chroma_dir}. Free some disk space "
                              "or set ASSISTANT_DATA_DIR to a folder on another disk.") from exc
        raise StoreUnavailable(f"Cannot open the Chroma index at {settings.chroma_dir}: {exc}") from exc
    except Exception as exc:  # chromadb raises plain exceptions for connection errors
        where = settings.chroma_url or f"{settings.chroma_host}:{settings.chroma_port}" if settings.remote_chroma else settings.chroma_dir
        raise StoreUnavailable(f"Cannot open the Chroma index at {where}: {exc}") from exc


def read_only_message(folder, reason: str | None = None) -> str:
    return (f"The index folder {folder} is read-only{f' ({reason})' if reason else ''}: Chroma needs write access "
            "even to read an index. Set ASSISTANT_DATA_DIR to a writable folder (copy the index there), "
            "or serve the index from a Chroma server (ASSISTANT_CHROMA_URL).")


class IndexStore:
    """Read and write chunks and documents; knows nothing about files or models."""

    def __init__(self, settings: Settings, embedding_model: str, dim: int | None = None, create: bool = False):
        self.settings = settings
        self.embedding_model = embedding_model
        self.client = _Guarded(make_client(settings), self.location)
        self.chunks_name = f"{settings.collection}_chunks"
        self.docs_name = f"{settings.collection}_docs"
        self.state_name = f"{settings.collection}_state"
        self._open(create=create, dim=dim)
        self.chunks = _Guarded(self.chunks, self.location)
        self.docs = _Guarded(self.docs, self.location)
        self.state = _Guarded(self.client.get_or_create_collection(self.state_name, embedding_function=None),
                              self.location)

    # -- opening --------------------------------------------------------
    def _open(self, create: bool, dim: int | None) -> None:
        try:
            existing = {c.name if hasattr(c, "name") else str(c) for c in self.client.list_collections()}
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise StoreUnavailable(f"Chroma is not answering: {exc}") from exc
        if self.chunks_name in existing:
            self.chunks = self.client.get_collection(self.chunks_name, embedding_function=None)
            self._search_breadth()
            self.docs = self.client.get_or_create_collection(
                self.docs_name, embedding_function=None, configuration={"hnsw": dict(HNSW)},
                metadata=dict(self.chunks.metadata or {}))
            built_with = (self.chunks.metadata or {}).get("embedding_model")
            if built_with and built_with != self.embedding_model:
                raise IndexError_(
                    f"The index in {self.location} was built with the embedding model '{built_with}', "
                    f"but '{self.embedding_model}' is configured. Either set ASSISTANT_EMBEDDER={built_with}, "
                    f"or rebuild the index with: assistant ingest --rebuild")
            return
        if not create:
            raise NoIndex(f"No index found in {self.location}. Build it with: assistant ingest [PATH ...]")
        meta = {"embedding_model": self.embedding_model, "dim": int(dim or 0), "schema": SCHEMA_VERSION}
        self.chunks = self.client.get_or_create_collection(
            self.chunks_name, embedding_function=None, configuration={"hnsw": dict(HNSW)}, metadata=meta)
        self.docs = self.client.get_or_create_collection(
            self.docs_name, embedding_function=None, configuration={"hnsw": dict(HNSW)}, metadata=meta)

    def _search_breadth(self) -> None:
        """Widen an index built before SEARCH_EF (or with Chroma's default) on open.

        A read-only store or an older server may refuse: searching still works, only
        less exactly, so that is logged rather than raised."""
        try:
            hnsw = (self.chunks.configuration or {}).get("hnsw") or {}
            if int(hnsw.get("ef_search") or 0) >= SEARCH_EF:
                return
            self.chunks.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
        except Exception as exc:  # noqa: BLE001 - best effort, see docstring
            log.info("could not widen the dense search of %s to ef_search=%d: %s", self.location, SEARCH_EF, exc)

    @property
    def location(self) -> str:
        return self.settings.chroma_url or (f"{self.settings.chroma_host}:{self.settings.chroma_port}"
                                            if self.settings.remote_chroma else str(self.settings.chroma_dir))

    def drop(self) -> None:
        """Delete both collections (for --rebuild)."""
        for name in (self.chunks_name, self.docs_name, self.state_name):
            try:
                self.client.delete_collection(name)
            except Exception:  # not there: nothing to drop
                pass

    # -- writing --------------------------------------------------------
    def _batches(self, n: int) -> Iterable[slice]:
        size = max(1, min(5000, self.client.get_max_batch_size()))
        for i in range(0, n, size):
            yield slice(i, i + size)

    def _touch(self) -> None:
        """A fresh token on every write: the cheap freshness check readers (and replicas) poll."""
        self.state.upsert(ids=["generation"], documents=[""], embeddings=[[1.0]],
                          metadatas=[{"token": uuid.uuid4().hex, "at": time.time()}])

    def ensure_generation(self) -> None:
        """Give an index written before freshness tokens existed its first one (writers only)."""
        if not self.state.get(ids=["generation"], include=[])["ids"]:
            self._touch()

    def upsert_chunks(self, ids: list[str], texts: list[str], metadatas: list[dict], embeddings: np.ndarray) -> None:
        for sl in self._batches(len(ids)):
            self.chunks.upsert(ids=ids[sl], documents=texts[sl], metadatas=metadatas[sl], embeddings=embeddings[sl])
        # no token here: a chunk counts only once its document record (written after it) says so

    def delete_chunks(self, ids: list[str]) -> None:
        for sl in self._batches(len(ids)):
            self.chunks.delete(ids=ids[sl])
        if ids:
            self._touch()

    def chunk_ids(self, doc_id: str) -> set[str]:
        return set(self.chunks.get(where={"doc_id": doc_id}, include=[])["ids"])

    def existing_chunk_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for sl in self._batches(len(ids)):
            found.update(self.chunks.get(ids=ids[sl], include=[])["ids"])
        return found

    def upsert_document(self, doc_id: str, text: str, metadata: dict, embedding: np.ndarray,
                        targets: list[dict], warnings: list[dict], complete: bool = True) -> None:
        self.upsert_documents([(doc_id, text, metadata, embedding, targets, warnings)], complete=complete)

    def upsert_documents(self, records: list[tuple], complete: bool = True) -> None:
        """Write document records (doc_id, text, metadata, embedding, targets, warnings) in one call."""
        if not records:
            return
        ids, texts, metas, vecs = [], [], [], []
        for doc_id, text, metadata, embedding, targets, warnings in records:
            meta = {k: v for k, v in metadata.items() if isinstance(v, (str, int, float, bool)) and v is not None}
            meta.update(doc_id=doc_id, complete=complete, targets_json=json.dumps(targets, ensure_ascii=False),
                        warnings_json=json.dumps(warnings, ensure_ascii=False),
                        seams_json=json.dumps([int(x) for x in metadata.get("seams") or []]))
            ids.append(doc_id)
            texts.append(text)
            metas.append(meta)
            vecs.append(np.asarray(embedding, dtype=np.float32))
        for sl in self._batches(len(ids)):
            self.docs.upsert(ids=ids[sl], documents=texts[sl], metadatas=metas[sl], embeddings=vecs[sl])
        self._touch()

    def mark_incomplete(self, doc_id: str) -> None:
        if self.docs.get(ids=[doc_id], include=[])["ids"]:
            self.docs.update(ids=[doc_id], metadatas=[{"complete": False}])
            self._touch()

    def delete_document(self, doc_id: str) -> int:
        ids = sorted(self.chunk_ids(doc_id))
        self.delete_chunks(ids)
        self.docs.delete(ids=[doc_id])
        self._touch()
        return len(ids)

    # -- reading --------------------------------------------------------
    def document_records(self) -> dict[str, dict]:
        """doc_id -> metadata of every document record (no text), complete or not."""
        got = self.docs.get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"])}

    def documents(self, doc_ids: list[str] | None = None, complete_only: bool = True) -> list[StoredDocument]:
        got = self.docs.get(ids=doc_ids, include=["metadatas", "documents"]) if doc_ids else self.docs.get(include=["metadatas", "documents"])
        out = []
        for doc_id, meta, text in zip(got["ids"], got["metadatas"], got["documents"]):
            meta = dict(meta or {})
            if complete_only and not meta.get("complete", False):
                continue
            targets = json.loads(meta.pop("targets_json", "[]") or "[]")
            warnings = json.loads(meta.pop("warnings_json", "[]") or "[]")
            meta["seams"] = json.loads(meta.pop("seams_json", "[]") or "[]")  # offsets where the loader cut furniture
            out.append(StoredDocument(doc_id=doc_id, text=text or "", metadata=meta, targets=targets, warnings=warnings))
        return sorted(out, key=lambda d: d.doc_id)

    def document(self, doc_id: str) -> StoredDocument | None:
        docs = self.documents([doc_id], complete_only=False)
        return docs[0] if docs else None

    def all_chunks(self) -> tuple[list[str], list[str], list[dict]]:
        """Every chunk's id, text and metadata (for the lexical index), paged."""
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict] = []
        total = self.chunks.count()
        page = 5000
        for offset in range(0, total, page):
            got = self.chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
            ids += got["ids"]
            texts += got["documents"]
            metas += [dict(m or {}) for m in got["metadatas"]]
        return ids, texts, metas

    def chunk_vectors(self) -> tuple[list[str], np.ndarray]:
        """Every chunk's id and unit-length embedding, paged (for exact search in memory)."""
        ids: list[str] = []
        parts: list[np.ndarray] = []
        total = self.chunks.count()
        page = 5000
        for offset in range(0, total, page):
            got = self.chunks.get(include=["embeddings"], limit=page, offset=offset)
            ids += got["ids"]
            if len(got["ids"]):
                parts.append(np.asarray(got["embeddings"], dtype=np.float32))
        vecs = np.vstack(parts) if parts else np.zeros((0, 1), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True) if len(vecs) else np.ones((0, 1), dtype=np.float32)
        return ids, vecs / np.maximum(norms, 1e-12)

    def query(self, vector: list[float] | np.ndarray, n: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the n nearest chunks."""
        n = min(n, self.chunks.count())
        if n <= 0:
            return []
        res = self.chunks.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n, where=where or None, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]

    def count(self) -> int:
        return self.chunks.count()

    def fingerprint(self) -> str:
        """Changes whenever documents are added, updated or removed (cache key for derived indexes).

        Every write stores a fresh token, so the check is one small read however
        large the index; an index written before tokens existed is hashed whole."""
        got = self.state.get(ids=["generation"], include=["metadatas"])
        if got["ids"]:
            return f"{got['metadatas'][0].get('token', '')}-{self.chunks.count()}"
        recs = self.document_records()
        parts = sorted(f"{k}:{v.get('sha256', '')}:{v.get('complete')}" for k, v in recs.items())
        import hashlib

        return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16] + f"-{self.chunks.count()}"
