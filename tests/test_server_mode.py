"""Client/server mode: a real `chroma run` server, two Assistant instances (two app
replicas) against it, ingestion seen by the other replica, and a server restart
mid-session (clear StoreUnavailable / HTTP 503, then recovery without a restart
of the app).

The lexical (BM25) index and the targets ledger are not stored separately: every
replica derives them from the server's `policy_chunks` / `policy_docs` collections
at start-up and again whenever the store's fingerprint changes (checked every
`HybridRetriever.refresh_seconds`), so replicas never need a shared disk."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.core import Assistant
from assistant.store import StoreUnavailable
from assistant.serve import create_app
from serving import free_port

FIXTURES = Path(__file__).parent / "fixtures" / "web"
QUESTION = "What share of pilot firms should adopt a modern board of directors by the end of 2025?"
QUESTIONS = [
    QUESTION,
    "How much is the reform fund?",
    "When must port operators connect to the shared logistics platform?",
    "What is the population of the planet Mars?",
]



def chroma_cli() -> str:
    exe = Path(sys.executable).parent / "chroma"
    found = str(exe) if exe.exists() else shutil.which("chroma")
    assert found, "the chroma CLI (installed with chromadb) is missing from the virtualenv"
    return found


class ChromaServer:
    """`chroma run --path PATH --host 127.0.0.1 --port PORT` as a child process."""

    def __init__(self, path: Path, port: int | None = None):
        self.path, self.port = path, port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 40) -> "ChromaServer":
        deadline = time.time() + timeout
        while True:  # the port may still be held for a moment after a restart
            self.proc = subprocess.Popen(
                [chroma_cli(), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            if time.time() >= deadline:
                self.stop()
                raise RuntimeError(f"chroma server on port {self.port} did not answer its heartbeat")
            time.sleep(0.5)  # exited early (port busy): try again

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class ApiServer:
    """The app's FastAPI app (JSON API only) under uvicorn in a thread."""

    def __init__(self, assistant: Assistant):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(create_app(assistant, mount_ui=False), host="127.0.0.1",
                                                    port=self.port, log_level="critical"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            assert time.time() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("server-corpus")
    for p in FIXTURES.iterdir():
        shutil.copy(p, d / p.name)
    return d


@pytest.fixture(scope="module")
def replica_a(chroma, corpus, tmp_path_factory) -> Assistant:
    data = tmp_path_factory.mktemp("replica-a")
    a = Assistant(data_dir=data, chroma_url=chroma.url, users="", auth_file=None)
    report = a.ingest([str(corpus)])
    assert (report.added, report.chunks_written) == (2, report.chunks_total) and report.chunks_total >= 2
    return a


@pytest.fixture(scope="module")
def replica_b(chroma, replica_a, tmp_path_factory) -> Assistant:
    return Assistant(data_dir=tmp_path_factory.mktemp("replica-b"), chroma_url=chroma.url, users="", auth_file=None)


def _key(ans) -> tuple:
    return (ans.answer, ans.refused, [(c.doc_id, c.start, c.end, c.quote) for c in ans.citations])


def test_ingest_and_ask_against_the_server(replica_a, chroma):
    a = replica_a
    assert a.store.location == chroma.url
    assert not (Path(a.settings.data_dir) / "chroma").exists()  # nothing embedded on the app's disk
    ans = a.ask(QUESTION)
    assert not ans.refused and "60%" in ans.answer
    c = ans.citations[0]
    assert a.documents()[c.doc_id].text[c.start:c.end] == c.quote
    # the lexical index is derived from the server's chunks
    lexical = a.retrieve("independent directors", mode="lexical")
    assert lexical and "independent directors" in lexical[0].chunk.text
    # the targets ledger comes from the server's document records
    rows = a.targets()
    assert any("60%" in r["statement"] for r in rows)
    assert {r["doc_id"] for r in rows} == {"provincial-reform-plan", "harbour-notice"}


def test_server_index_matches_an_embedded_build(replica_a, corpus, tmp_path):
    local = Assistant(data_dir=tmp_path / "local", users="", auth_file=None)
    local.ingest([str(corpus)])
    assert sorted(local.store.all_chunks()[0]) == sorted(replica_a.store.all_chunks()[0])
    assert local.targets() == replica_a.targets()
    for q in QUESTIONS:
        assert _key(local.ask(q)) == _key(replica_a.ask(q)), q


def test_two_replicas_give_identical_answers_and_see_new_documents(replica_a, replica_b, corpus, tmp_path):
    a, b = replica_a, replica_b
    for q in QUESTIONS:
        assert _key(a.ask(q)) == _key(b.ask(q)), q
    assert a.targets() == b.targets()

    new_q = "How many kilometres of tramway will the city build by 2028?"
    b.retriever.refresh_seconds = 0.5  # replica b checks the store's fingerprint at most every 0.5 s
    assert b.ask(new_q).refused
    extra = tmp_path / "tramway-plan.txt"
    extra.write_text("Tramway plan. The city will build 42 kilometres of tramway by 2028, "
                     "financed by a municipal transport bond.\n", encoding="utf-8")
    report = a.ingest([str(extra)], prune=False)
    assert report.added == 1
    time.sleep(0.6)
    seen = b.ask(new_q)
    assert not seen.refused and "42 kilometres" in seen.answer
    assert seen.citations[0].doc_id == "tramway-plan"
    assert "tramway-plan" in b.documents()
    assert any(r["doc_id"] == "tramway-plan" for r in b.targets())
    assert b.retrieve("tramway bond", mode="lexical")[0].chunk.doc_id == "tramway-plan"
    assert _key(a.ask(new_q)) == _key(seen)
    assert a.remove_document("tramway-plan") >= 1
    time.sleep(0.6)
    assert b.ask(new_q).refused and "tramway-plan" not in b.documents()


def test_server_restart_mid_session_reports_and_recovers(chroma, replica_a):
    a = replica_a
    a.retriever.refresh_seconds = 0  # look at the store on every question
    before = _key(a.ask(QUESTION))
    with ApiServer(a) as http:
        assert http.post("/api/ask", json={"question": QUESTION}).status_code == 200
        chroma.stop()
        t0 = time.perf_counter()
        with pytest.raises(StoreUnavailable, match="not answering"):
            a.ask(QUESTION)
        assert time.perf_counter() - t0 < 10
        r = http.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 503, r.text
        assert "not answering" in r.json()["error"] and "Traceback" not in r.text
        health = http.get("/healthz")
        assert health.status_code == 503 and "index unavailable" in health.json()["error"]

        chroma.start()  # same data folder, same port: the app reconnects by itself
        assert _key(a.ask(QUESTION)) == before
        r = http.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 200 and "60%" in r.json()["answer"]
        assert http.get("/healthz").json()["status"] == "ok"


def test_unreachable_server_at_start_is_a_clear_error(tmp_path):
    a = Assistant(data_dir=tmp_path / "d", chroma_url=f"http://127.0.0.1:{free_port()}", users="", auth_file=None)
    with pytest.raises(StoreUnavailable, match="127.0.0.1"):
        a.has_index()
