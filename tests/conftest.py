"""Shared fixtures: a real embedding model and a real Chroma index in a temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory) -> Path:
    """The repository's seed document plus two fixture documents, in a scratch folder."""
    d = tmp_path_factory.mktemp("policies")
    for p in (FIXTURES / "policies").iterdir():
        shutil.copy(p, d / p.name)
    shutil.copy(ROOT / "corpus" / "soe-reform-priorities-2024.txt", d / "soe-reform-priorities-2024.txt")
    return d


@pytest.fixture(scope="session")
def assistant(policy_dir, tmp_path_factory):
    from assistant.core import Assistant

    a = Assistant(data_dir=tmp_path_factory.mktemp("index"))
    report = a.ingest([str(policy_dir)])
    assert report.added == 3
    return a
