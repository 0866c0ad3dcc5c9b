"""Files that users hand to the app: safe names and the type / size rules."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ingest.loaders import SUPPORTED_SUFFIXES

ALLOWED_SUFFIXES = tuple(sorted(SUPPORTED_SUFFIXES))  # what ingestion reads, nothing else


def safe_filename(name: str, default: str = "upload") -> str:
    """Basename only, NFKC, safe characters (letters, digits, . _ -), no leading dots, at most 111 chars."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = unicodedata.normalize("NFKC", base)
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._- ")[:100] or default
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(path: str | Path, max_mb: float) -> str | None:
    """Why an uploaded file is refused (None if it is fine)."""
    p = Path(path)
    if p.suffix.lower() not in ALLOWED_SUFFIXES:
        return f"{p.name}: unsupported type (allowed: {', '.join(ALLOWED_SUFFIXES)})."
    size = p.stat().st_size
    if size > max_mb * 1024 * 1024:
        return f"{p.name}: {size / 1024 / 1024:.1f} MB is over the {max_mb:g} MB limit."
    if size == 0:
        return f"{p.name}: the file is empty."
    return None


def from_upload_folder(path: str | Path, upload_dir: str | Path) -> Path | None:
    """The file behind `path` if it lies inside `upload_dir` once every symlink and `..` is
    resolved (relative paths count from the working directory, as Gradio reads them); None for
    anything else: another folder, a link out of the folder, a URL."""
    text = str(path)
    if not text or "://" in text or text.startswith(("http:", "https:", "data:", "file:")):
        return None
    try:
        real = Path(text).resolve()
        return real if real.is_relative_to(Path(upload_dir).resolve()) else None
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return None
