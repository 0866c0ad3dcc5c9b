"""Faults: a missing index, a read-only data folder, an unreachable Chroma server, and
an ingestion process killed with SIGKILL mid-run. Each gives one clear message
(CLI: exit code 1 and `Error: ...` on stderr; HTTP API: a 4xx/503 JSON error), never
a traceback, and a killed ingestion leaves an index that the next run completes to
exactly what a clean build holds."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.store import IndexError_, IndexStore
from assistant.serve import create_app
from ingest.pipeline import Ingestor
from serving import free_port, serve

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "web"
QUESTION = "What share of pilot firms should adopt a modern board of directors by the end of 2025?"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "ASSISTANT_USERS": "",
       "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
for _k in ("ASSISTANT_CHROMA_URL", "ASSISTANT_CHROMA_HOST", "ASSISTANT_DATA_DIR", "ASSISTANT_AUTH_FILE"):
    ENV.pop(_k, None)



def cli(*args: str, env: dict | None = None, timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                          env={**ENV, **(env or {})}, cwd=ROOT, timeout=timeout, input=input)


def assert_clean_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 1, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    err = " ".join(proc.stderr.split())
    assert "Error:" in err, err
    for n in needles:
        assert n in err, (n, err)


def api(assistant: Assistant):
    return serve(create_app(assistant, mount_ui=False), start_timeout=30, client_timeout=60)


@contextlib.contextmanager
def read_only(folder: Path):
    """Make `folder` really read-only: chmod for a normal user; root ignores modes, so
    root gets a read-only bind mount. Yields True when the OS enforces it."""
    mounted = False
    if os.geteuid() != 0:
        for p in [folder, *folder.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)
    else:
        ok = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode == 0
        if ok:
            mounted = True
            subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True)
    probe = folder / ".write-probe"
    try:
        probe.write_text("x")
        probe.unlink()
        enforced = False
    except OSError:
        enforced = True
    try:
        yield enforced
    finally:
        if mounted:  # lazy: Chroma clients in this process may still hold the files open
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        if os.geteuid() != 0:
            for p in [folder, *folder.rglob("*")]:
                p.chmod(p.stat().st_mode | 0o200)


# ---------------------------------------------------------------------------- missing index

def test_missing_index_cli_and_http(tmp_path):
    proc = cli("ask", QUESTION, "--data-dir", str(tmp_path / "nothing"))
    assert_clean_error(proc, "No index found", "assistant ingest")
    batch = cli("ask", "--jsonl", "--data-dir", str(tmp_path / "nothing"), input='{"id": 1, "question": "%s"}\n' % QUESTION)
    assert_clean_error(batch, "No index found", "assistant ingest")
    a = Assistant(data_dir=tmp_path / "nothing2", corpus_dir=tmp_path / "none", users="", auth_file=None)
    with api(a) as http:
        r = http.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 503 and "No documents indexed yet" in r.json()["error"]
        assert http.get("/healthz").json()["status"] == "empty"


# ---------------------------------------------------------------------------- read-only data folder

@pytest.fixture
def built_index(tmp_path) -> Path:
    data = tmp_path / "ro-data"
    Assistant(data_dir=data, users="", auth_file=None).ingest([str(FIXTURES)])
    return data


def test_read_only_data_folder_is_a_clear_error(built_index, tmp_path, monkeypatch):
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "new.txt").write_text("A new note. The city will plant 300 trees by 2027.\n")
    with read_only(built_index) as enforced:
        if not enforced:  # neither chmod nor a bind mount can make it read-only here: pretend the OS said so
            real_access = os.access
            monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if mode & os.W_OK and str(p).startswith(
                str(built_index)) else real_access(p, mode, **kw))
        a = Assistant(data_dir=built_index, users="", auth_file=None)
        with pytest.raises(IndexError_, match="read-only"):
            a.has_index()
        with pytest.raises(IndexError_, match="ASSISTANT_DATA_DIR"):
            a.ingest([str(extra)])
        with api(Assistant(data_dir=built_index, users="", auth_file=None)) as http:
            r = http.post("/api/ask", json={"question": QUESTION})
            assert r.status_code == 503, r.text
            assert "read-only" in r.json()["error"] and "Traceback" not in r.text
            h = http.get("/healthz")
            assert h.status_code == 503 and "read-only" in h.json()["error"]
        if enforced:  # the OS refuses writes: the CLI and the app (other processes) must say so too
            assert_clean_error(cli("ask", QUESTION, "--data-dir", str(built_index)), "read-only", "ASSISTANT_DATA_DIR")
            app = subprocess.run([sys.executable, str(ROOT / "app.py"), "--port", str(free_port())], capture_output=True,
                                 text=True, env={**ENV, "ASSISTANT_DATA_DIR": str(built_index)}, cwd=ROOT, timeout=120)
            assert app.returncode == 1 and "read-only" in app.stderr and "Traceback" not in app.stderr, app.stderr[-2000:]
    # writable again: everything works and nothing was lost
    a = Assistant(data_dir=built_index, users="", auth_file=None)
    assert a.has_index() and "60%" in a.ask(QUESTION).answer


def test_device_setting_resolution():
    """ASSISTANT_DEVICE on this machine: auto follows torch; cuda without a GPU is a clear error."""
    import torch

    from assistant.embeddings import load_embeddings, resolve_device

    assert resolve_device("auto", cuda_available=False) == "cpu"
    assert resolve_device("auto", cuda_available=True) == "cuda"
    assert resolve_device("CPU", cuda_available=True) == "cpu"
    assert resolve_device("cuda", cuda_available=True) == "cuda"
    with pytest.raises(IndexError_, match="no CUDA GPU"):
        resolve_device("cuda", cuda_available=False)
    with pytest.raises(IndexError_, match="use auto, cpu or cuda"):
        resolve_device("tpu", cuda_available=True)
    emb = load_embeddings("minilm", "auto", 64)
    gpu = torch.cuda.is_available()
    assert emb.device == ("cuda" if gpu else "cpu")
    dtype = next(emb.model.parameters()).dtype
    assert dtype == (torch.float16 if gpu else torch.float32)  # fp16 only on CUDA
    if not gpu:
        with pytest.raises(IndexError_, match="ASSISTANT_DEVICE=cuda"):
            load_embeddings("minilm", "cuda", 64)
    small = load_embeddings("minilm", "cpu", 3)
    assert small.batch_size == 3
    vecs = small.encode([f"sentence {i}" for i in range(7)])  # several batches of 3
    assert vecs.shape == (7, 384) and abs(float((vecs[0] ** 2).sum()) - 1) < 1e-4
    assert Settings(device="cuda", batch_size=512).batch_size == 512
    with pytest.raises(ValueError):
        Settings(batch_size=0)
    with pytest.raises(ValueError):
        Settings(device="gpu")


# ---------------------------------------------------------------------------- SIGKILL during ingestion

KILL_SCRIPT = """
import sys
from assistant.config import Settings
from ingest.pipeline import Ingestor
def tick(done, total, stage):
    print(f"PROGRESS {done} {total}", flush=True)
Ingestor(Settings(data_dir=sys.argv[1]), on_progress=tick, buffer_chunks=int(sys.argv[3])).run([sys.argv[2]])
print("FINISHED", flush=True)
"""


def make_corpus(folder: Path, docs: int, sentences: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["water", "energy", "transport", "housing", "health", "schools", "ports", "forests", "grids", "rail"]
    for i in range(docs):
        t = topics[i % len(topics)]
        body = " ".join(f"Measure {j} of the {t} plan {i} raises the {t} budget by {j + i}% before {2025 + j % 5}."
                        for j in range(sentences))
        (folder / f"plan-{i:03d}.txt").write_text(f"{t.title()} plan {i}\n\n{body}\n", encoding="utf-8")
    return folder


def snapshot(settings: Settings) -> tuple[list[str], dict[str, str], int]:
    store = IndexStore(settings, "minilm")
    ids = sorted(store.all_chunks()[0])
    docs = {d.doc_id: d.metadata.get("sha256") for d in store.documents()}
    return ids, docs, store.count()


DOCS = 8


def test_sigkill_during_ingestion_then_restart_matches_clean_build(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", docs=DOCS, sentences=16)
    data = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(data), str(corpus), "8"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=ENV, cwd=ROOT)
    killed_at = None
    deadline = time.time() + 240
    for line in proc.stdout:
        if line.startswith("PROGRESS"):
            done, total = map(int, line.split()[1:])
            if done >= total // 3:
                proc.send_signal(signal.SIGKILL)
                killed_at = (done, total)
                break
        assert time.time() < deadline
    proc.wait(30)
    assert killed_at is not None and killed_at[0] < killed_at[1], "the ingestion finished before it could be killed"
    assert proc.returncode == -signal.SIGKILL

    # the half-written index opens, serves only complete documents, and holds no duplicates
    settings = Settings(data_dir=data)
    partial_ids, partial_docs, partial_count = snapshot(settings)
    assert 0 < partial_count < killed_at[1] + 1 and len(partial_ids) == len(set(partial_ids))
    half = Assistant(settings)
    served = set(half.documents())
    assert served < {f"plan-{i:03d}" for i in range(DOCS)}  # some documents, not all
    assert all(half.store.document(d).metadata.get("complete") for d in served)

    # restart: the next ingestion finishes the job
    resumed = Ingestor(settings).run([corpus])
    assert resumed.added + resumed.updated == DOCS - resumed.unchanged
    clean = Settings(data_dir=tmp_path / "clean")
    Ingestor(clean).run([corpus])
    ids, docs, count = snapshot(settings)
    clean_ids, clean_docs, clean_count = snapshot(clean)
    assert ids == clean_ids and count == clean_count == len(set(ids))
    assert docs == clean_docs and len(docs) == DOCS
    assert resumed.chunks_written == clean_count - len(set(partial_ids) & set(clean_ids))
