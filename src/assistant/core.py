"""`Assistant`: the one Python API that the CLI, the HTTP API and the UI call.

    from assistant import Assistant
    a = Assistant()                      # settings from ASSISTANT_* / .env
    a.ingest(["corpus"])                 # -> IngestReport
    a.ask("What share of the main tasks ...?", history=[...], filters={"doc": [...]})  # -> Answer
    for piece in a.stream("..."): ...    # str (the text so far) ..., then the Answer
    a.retrieve("...", k=5)               # -> list[ScoredChunk]

Components load lazily (`assistant docs` must not load a model); the answer path
itself lives in `assistant.answer`.
"""

from __future__ import annotations

import math
import queue
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Iterable, Iterator

from assistant.answer.turn import QuestionError, clean_question
from assistant.config import Settings, get_settings
from assistant.models import Answer, IngestReport, ScoredChunk

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from assistant.answer.pipeline import AnswerPipeline
    from assistant.answer.stage import AnswerContext, Lexicon
    from assistant.models import Filters
    from assistant.retrieval import HybridRetriever
    from assistant.store import IndexStore, StoredDocument

__all__ = ["Assistant", "QuestionError", "clean_question"]


class _VectorCache:
    """Vectors of texts already embedded (sentences, terms), shared by requests; bounded."""

    def __init__(self, encode, limit: int):
        self.encode, self.limit = encode, limit
        self._vecs: dict[str, "np.ndarray"] = {}
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> "np.ndarray":
        import numpy as np

        with self._lock:
            found = {t: self._vecs[t] for t in texts if t in self._vecs}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            new = dict(zip(missing, self.encode(missing)))
            found.update(new)
            with self._lock:
                if len(self._vecs) + len(new) > self.limit:
                    self._vecs.clear()
                self._vecs.update(new)
        return np.vstack([found[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


class Assistant:
    """Index, retrieve and answer over one configured index."""

    def __init__(self, settings: Settings | None = None, **overrides):
        self.settings = settings or get_settings(**overrides)
        self._docs_cache: tuple[str, dict[str, StoredDocument]] | None = None
        self._lexicon: Lexicon | None = None
        self._lock = threading.Lock()

    # -- components (lazy) ---------------------------------------------------
    @cached_property
    def embeddings(self):
        from assistant.embeddings import choose_embedder, load_embeddings

        name = choose_embedder(self.settings)
        return load_embeddings(name, self.settings.device, self.settings.batch_size)

    @cached_property
    def store(self) -> IndexStore:
        from assistant.embeddings import choose_embedder
        from assistant.store import IndexStore

        # the model's name, without loading the model: a missing or unreachable index is reported at once
        name = self.embeddings.name if "embeddings" in self.__dict__ else choose_embedder(self.settings)
        return IndexStore(self.settings, name)

    @cached_property
    def retriever(self) -> HybridRetriever:
        from assistant.retrieval import HybridRetriever

        return HybridRetriever(store=self.store, embeddings=self.embeddings, k=self.settings.top_k,
                               fusion=self.settings.fusion, dense_weight=self.settings.dense_weight,
                               term_vectors=self._term_vectors)

    @cached_property
    def pipeline(self) -> AnswerPipeline:
        """The stages, in order, from the settings: byline, ledger, generated (when an LLM is configured), extractive."""
        from assistant.answer.extractive import ExtractiveStage
        from assistant.answer.model import AnswerModel
        from assistant.answer.pipeline import AnswerPipeline
        from assistant.answer.special import BylineStage, LedgerStage

        stages: list = [BylineStage(), LedgerStage()]
        if self.settings.llm != "none":
            from assistant.answer.generated import GeneratedStage

            stages.append(GeneratedStage(self.settings))
        stages.append(ExtractiveStage(AnswerModel.load(self.settings.answer_model), passages=self.settings.top_k + 2,
                                      max_sentences=self.settings.max_answer_sentences))
        return AnswerPipeline(stages, retrieve=lambda q, f: self.retriever.search(q, k=self.settings.top_k, filters=f),
                              max_question_chars=self.settings.max_question_chars)

    @cached_property
    def _sentence_vectors(self) -> _VectorCache:
        from assistant.embeddings import SentenceTransformerEmbeddings

        emb = self.embeddings
        if isinstance(emb, SentenceTransformerEmbeddings):
            # a sentence's opening words carry its topic; a short window halves the cost of long ones
            return _VectorCache(lambda t: emb.encode(t, max_tokens=self.settings.answer_sentence_tokens), 20_000)
        return _VectorCache(emb.encode, 20_000)

    @cached_property
    def _term_vectors(self) -> _VectorCache:
        """Multilingual word vectors (use-m3, whatever model built the index) for matching
        question terms against passages in the other language."""
        from assistant.embeddings import USE_M3, load_embeddings

        return _VectorCache(lambda words: load_embeddings(USE_M3, self.settings.device, self.settings.batch_size).encode(words),
                            50_000)

    def reset(self) -> None:
        """Forget cached components (after a rebuild or a change of settings)."""
        for name in ("store", "retriever"):
            self.__dict__.pop(name, None)
        self._docs_cache = None
        self._lexicon = None

    # -- ingestion ----------------------------------------------------------
    def ingest(self, paths: Iterable[str], prune: bool = True, rebuild: bool = False, progress: bool = False,
               on_progress=None) -> IngestReport:
        from ingest.pipeline import Ingestor

        with self._lock:
            report = Ingestor(self.settings, progress=progress, on_progress=on_progress).run(list(paths), prune=prune, rebuild=rebuild)
            self.reset()
            for name in ("embeddings", "_sentence_vectors"):
                self.__dict__.pop(name, None)
        return report

    def remove_document(self, doc_id: str) -> int:
        with self._lock:
            n = self.store.delete_document(doc_id)
            self.reset()
        return n

    # -- reading -------------------------------------------------------------
    def has_index(self) -> bool:
        """True when documents are indexed; False when there is no index yet. An index that
        exists but cannot be opened (server down, read-only folder, other model) raises
        `IndexError_` with a message for the user, rather than looking empty."""
        from assistant.store import NoIndex

        try:
            return self.store.count() > 0
        except NoIndex:
            return False

    def documents(self, fingerprint: str | None = None) -> dict[str, StoredDocument]:
        """Every indexed document by id; re-read only when the index changed (no model is loaded)."""
        fp = fingerprint or (self.retriever.table.fingerprint if "retriever" in self.__dict__ else self.store.fingerprint())
        cached = self._docs_cache
        if not cached or cached[0] != fp:
            cached = (fp, {d.doc_id: d for d in self.store.documents()})
            self._docs_cache = cached
        return cached[1]

    def targets(self, **filters) -> list[dict]:
        from assistant.targets import filter_targets

        rows = [t for d in self.documents().values() for t in d.targets]
        return filter_targets(rows, **filters) if filters else rows

    def retrieve(self, question: str, k: int | None = None, filters: Filters | dict | None = None,
                 mode: str = "hybrid") -> list[ScoredChunk]:
        q = clean_question(question, self.settings.max_question_chars)
        return self.retriever.search(q, k=k, filters=filters, mode=mode)

    # -- answering -------------------------------------------------------------
    def lexicon(self) -> Lexicon:
        """IDF and vocabulary of the current index (for coverage and "never mentioned")."""
        from assistant.answer.stage import Lexicon

        table = self.retriever.table
        lex = self._lexicon
        if lex is None or lex.fingerprint != table.fingerprint:
            n = max(table.lexical.size, 1)
            idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in table.lexical.doc_freq.items()}
            lex = Lexicon(idf=idf, vocabulary=set(idf), fingerprint=table.fingerprint)
            self._lexicon = lex
        return lex

    def context(self, on_token=None, on_reset=None) -> AnswerContext:
        """The per-request inputs of the answer stages."""
        from assistant.answer.stage import AnswerContext

        lexicon = self.lexicon()
        return AnswerContext(documents=self.documents(lexicon.fingerprint), lexicon=lexicon,
                             embed_sentences=self._sentence_vectors, embed_terms=self._term_vectors,
                             on_token=on_token, on_reset=on_reset)

    def ask(self, question: str, history: list | None = None, filters: Filters | dict | None = None,
            id: str | None = None, on_token=None, on_reset=None) -> Answer:
        """The cited answer (or refusal). `on_token(text)` receives the answer as it is made
        (generated tokens, or the extractive sentences); `on_reset()` says the text so far is void."""
        clean_question(question, self.settings.max_question_chars)  # a bad question fails before any model loads
        return self.pipeline(question, self.context(on_token, on_reset), history=history, filters=filters, id=id)

    def stream(self, question: str, history: list | None = None, filters: Filters | dict | None = None,
               id: str | None = None) -> Iterator[str | Answer]:
        """`ask` in a worker thread, for UIs: yields the answer text so far (str, growing; it
        starts again when a stage gives up, e.g. a generated answer that failed its check),
        then the final `Answer`. Errors of `ask` (QuestionError...) are raised here."""
        clean_question(question, self.settings.max_question_chars)
        q: queue.Queue = queue.Queue()
        box: dict = {}
        RESET = object()

        def work():
            try:
                box["answer"] = self.ask(question, history=history, filters=filters, id=id,
                                         on_token=q.put, on_reset=lambda: q.put(RESET))
            except BaseException as exc:  # handed to the caller
                box["error"] = exc
            finally:
                q.put(None)

        threading.Thread(target=work, daemon=True, name="assistant-ask").start()
        text, done = "", False
        while not done:
            item, dirty = q.get(), False
            while True:
                if item is None:
                    done = True
                    break
                text, dirty = ("" if item is RESET else text + item), True
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
            if dirty:
                yield text
        if "error" in box:
            raise box["error"]
        yield box["answer"]
