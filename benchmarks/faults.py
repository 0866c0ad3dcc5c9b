"""Fault injection: what breaks, what the user is told, and whether anything is lost.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/faults.py [--kills 5] [--only kill,server,readonly,diskfull,llm]

Scenarios (each compared with a clean build of the same documents where it writes):
- kill:     an ingestion process is SIGKILLed at a random point (`--kills` times); the
            half-written index must open and serve only complete documents; the next run
            must end with exactly the chunk ids, counts and document hashes of a clean build.
- server:   a Chroma server is SIGKILLed while an app instance answers questions, and again
            while an ingestion writes to it; the app must report `StoreUnavailable` (no
            other error), recover by itself when the server is back, and lose nothing.
- readonly: the data folder is read-only (a read-only bind mount for root, else chmod):
            `assistant ask` / `assistant ingest` must exit 1 with a clear message.
- diskfull: the data folder is on a 2 MB tmpfs (root only): the ingestion must stop with a
            clear message; after the disk grows, the next run must match a clean build.
- llm:      ASSISTANT_LLM=openai pointed at a dead port and at a server that never
            answers: the answer must be the extractive one, within the timeout, with a warning.
Prints one table: faults tried, clear error, recovered, data lost, details.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import httpx  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.core import Assistant  # noqa: E402
from assistant.store import IndexError_, IndexStore, StoreUnavailable  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "ASSISTANT_USERS": "",
       "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
for _k in ("ASSISTANT_CHROMA_URL", "ASSISTANT_CHROMA_HOST", "ASSISTANT_DATA_DIR", "ASSISTANT_LLM"):
    ENV.pop(_k, None)
QUESTION = "What share of pilot firms should adopt a modern board of directors by the end of 2025?"
KILL_SCRIPT = """
import sys
from assistant.config import Settings
from ingest.pipeline import Ingestor
def tick(done, total, stage):
    print(f"PROGRESS {done} {total}", flush=True)
Ingestor(Settings(data_dir=sys.argv[1]), on_progress=tick, buffer_chunks=int(sys.argv[3])).run([sys.argv[2]])
print("FINISHED", flush=True)
"""
ROWS: list[dict] = []


def row(scenario: str, tried: int, clear: str, recovered: str, lost: int | str, details: str) -> None:
    ROWS.append(dict(scenario=scenario, tried=tried, clear=clear, recovered=recovered, lost=lost, details=details))
    print(f"  {scenario}: tried {tried}, clear error {clear}, recovered {recovered}, data lost {lost}; {details}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_corpus(folder: Path, docs: int, sentences: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["water", "energy", "transport", "housing", "health", "schools", "ports", "forests", "grids", "rail"]
    for i in range(docs):
        t = topics[i % len(topics)]
        body = " ".join(f"Measure {j} of the {t} plan {i} raises the {t} budget by {rng.randint(1, 90)}% before "
                        f"{rng.choice([2025, 2026, 2027, 2028])}." for j in range(sentences))
        (folder / f"plan-{i:03d}.txt").write_text(f"{t.title()} plan {i}\n\n{body}\n", encoding="utf-8")
    return folder


def snapshot(settings: Settings) -> tuple[set[str], dict[str, str], int]:
    store = IndexStore(settings, "minilm")
    ids = store.all_chunks()[0]
    return set(ids), {d.doc_id: d.metadata.get("sha256") for d in store.documents()}, store.count()


def compare(got: tuple, clean: tuple) -> tuple[int, int, int, bool]:
    """(chunks lost, extra chunks, duplicates, documents identical)."""
    ids, docs, count = got
    cids, cdocs, _ = clean
    return len(cids - ids), len(ids - cids), count - len(ids), docs == cdocs


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                          env={**ENV, **(env or {})}, cwd=ROOT, timeout=600)


def clean_exit(proc: subprocess.CompletedProcess, needle: str) -> bool:
    text = proc.stderr + proc.stdout
    return proc.returncode == 1 and "Traceback" not in text and needle in " ".join(text.split())


# ---------------------------------------------------------------------------- kill during ingestion

DOCS = 24


def scenario_kill(work: Path, trials: int) -> None:
    print(f"kill: {trials} SIGKILLs during ingestion", flush=True)
    corpus = make_corpus(work / "kill-corpus", docs=DOCS, sentences=40)
    clean = Settings(data_dir=work / "kill-clean")
    Ingestor(clean).run([corpus])
    clean_snap = snapshot(clean)
    rng = random.Random(42)
    lost = extra = dups = unreadable = mismatched = killed = 0
    points = []
    for t in range(trials):
        data = work / f"killed-{t}"
        proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(data), str(corpus), "16"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=ENV, cwd=ROOT)
        fraction = rng.uniform(0.05, 0.8)
        for line in proc.stdout:
            if line.startswith("PROGRESS"):
                done, total = map(int, line.split()[1:])
                if done >= fraction * total:
                    time.sleep(rng.uniform(0, 0.3))  # land inside the next batch, not on a boundary
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(60)
        settings = Settings(data_dir=data)
        try:
            half = Assistant(settings)
            served = set(half.documents()) if half.has_index() else set()
            pending = sum(not r.get("complete") for r in half.store.document_records().values())
            killed += int(proc.returncode == -signal.SIGKILL and len(served) < DOCS)
            points.append(f"{len(served)}/{DOCS} (+{pending} incomplete)")
        except Exception as exc:  # noqa: BLE001 - any failure here is a finding
            unreadable += 1
            points.append(f"unreadable ({type(exc).__name__})")
        Ingestor(settings).run([corpus])
        l_, e_, d_, same = compare(snapshot(settings), clean_snap)
        lost, extra, dups, mismatched = lost + l_, extra + e_, dups + d_, mismatched + (not same)
    row("SIGKILL during ingest", trials, "n/a (process killed)",
        f"{trials - unreadable - mismatched}/{trials}", lost,
        f"{killed} killed before the last document was committed; documents served right after each kill: {', '.join(points)}; "
        f"after the next run vs clean build ({len(clean_snap[0])} chunks): {extra} extra, {dups} duplicate chunks, "
        f"{mismatched} document-hash mismatches, {unreadable} unreadable indexes")


# ---------------------------------------------------------------------------- Chroma server killed

class ChromaServer:
    def __init__(self, path: Path):
        self.path, self.port, self.proc = path, free_port(), None
        exe = Path(sys.executable).parent / "chroma"
        self.exe = str(exe) if exe.exists() else shutil.which("chroma")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            self.proc = subprocess.Popen([self.exe, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port",
                                          str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
            while time.perf_counter() - t0 < timeout and self.proc.poll() is None:
                try:
                    if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                        return time.perf_counter() - t0
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            time.sleep(0.3)
        raise RuntimeError("chroma server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def scenario_server(work: Path) -> None:
    print("server: Chroma server SIGKILLed while answering, and while ingesting", flush=True)
    if not ChromaServer(work).exe:
        row("Chroma server killed", 0, "-", "-", "-", "skipped: the chroma CLI is not installed")
        return
    server = ChromaServer(work / "chroma-server")
    server.start()
    corpus = work / "server-corpus"
    corpus.mkdir()
    for src in (ROOT / "corpus", ROOT / "tests" / "fixtures" / "web", ROOT / "tests" / "fixtures" / "policies"):
        for p in src.iterdir():
            if p.is_file():
                shutil.copy(p, corpus / p.name)
    a = Assistant(data_dir=work / "server-app", chroma_url=server.url)
    a.ingest([str(corpus)])
    a.retriever.refresh_seconds = 0
    before_snap = snapshot(a.settings)
    before_answer = a.ask(QUESTION).answer
    stats = {"ok": 0, "unavailable": 0, "other": 0, "other_samples": []}
    stop = threading.Event()

    def asker():
        while not stop.is_set():
            try:
                a.ask(QUESTION)
                stats["ok"] += 1
            except StoreUnavailable:
                stats["unavailable"] += 1
            except Exception as exc:  # noqa: BLE001 - counted as an unclear error
                stats["other"] += 1
                stats["other_samples"].append(f"{type(exc).__name__}: {exc}"[:160])
            time.sleep(0.05)

    th = threading.Thread(target=asker, daemon=True)
    th.start()
    time.sleep(3)
    server.kill()
    time.sleep(3)
    t_restart = time.perf_counter()
    server.start()
    recovered_in = None
    while time.perf_counter() - t_restart < 60:
        try:
            if a.ask(QUESTION).answer == before_answer:
                recovered_in = time.perf_counter() - t_restart
                break
        except IndexError_:
            time.sleep(0.2)
    stop.set()
    th.join(30)
    lost, extra, dups, same = compare(snapshot(a.settings), before_snap)
    row("Chroma server killed while answering", 1, "yes" if stats["other"] == 0 and stats["unavailable"] else "NO",
        "yes" if recovered_in is not None else "NO", lost,
        f"{stats['ok']} answers, {stats['unavailable']} StoreUnavailable, {stats['other']} other errors "
        f"{stats['other_samples'][:2]}; answering again {recovered_in:.1f} s after the restart began (server start included); "
        f"{extra} extra, {dups} duplicate chunks" if recovered_in is not None else f"{stats}")

    # killed while an ingestion writes to it
    more = make_corpus(work / "server-more", docs=12, sentences=30, seed=7)
    clean = Settings(data_dir=work / "server-clean-local")
    Ingestor(clean).run([corpus, more])
    err = None

    def ingest():
        nonlocal err
        try:
            Ingestor(a.settings, buffer_chunks=16).run([more], prune=False)
        except Exception as exc:  # noqa: BLE001
            err = exc

    th = threading.Thread(target=ingest, daemon=True)
    th.start()
    time.sleep(random.Random(3).uniform(2, 5))
    server.kill()
    th.join(120)
    server.start()
    Ingestor(a.settings).run([more], prune=False)
    lost, extra, dups, same = compare(snapshot(a.settings), snapshot(clean))
    row("Chroma server killed during ingest", 1, "yes" if err is None or isinstance(err, StoreUnavailable) else "NO",
        "yes" if same and not extra and not dups else "NO", lost,
        f"ingestion stopped with {type(err).__name__ if err else 'no error (finished first)'}; after a re-run vs a clean "
        f"embedded build: {extra} extra, {dups} duplicate chunks, documents identical: {same}")
    server.kill()


# ---------------------------------------------------------------------------- read-only, disk full

def _make_read_only(folder: Path) -> str | None:
    if os.geteuid() != 0:
        for p in [folder, *folder.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)
        return "chmod"
    if subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode == 0 and \
            subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True).returncode == 0:
        return "bind"
    return None


def scenario_readonly(work: Path) -> None:
    print("readonly: read-only data folder", flush=True)
    data = work / "ro-data"
    Assistant(data_dir=data).ingest([str(ROOT / "tests" / "fixtures" / "web")])
    before = snapshot(Settings(data_dir=data))
    how = _make_read_only(data)
    if how is None:
        row("read-only data folder", 0, "-", "-", "-", "skipped: cannot make a folder read-only here (root without mount)")
        return
    try:
        ask = cli("ask", QUESTION, "--data-dir", str(data))
        ing = cli("ingest", str(ROOT / "corpus"), "--data-dir", str(data), "--json")
    finally:
        if how == "bind":
            subprocess.run(["umount", "-l", str(data)], capture_output=True)
        else:
            for p in [data, *data.rglob("*")]:
                p.chmod(p.stat().st_mode | 0o200)
    lost = compare(snapshot(Settings(data_dir=data)), before)[0]
    ok = clean_exit(ask, "read-only") and clean_exit(ing, "read-only")
    msg = " ".join(ask.stderr.split())[:150]
    row("read-only data folder", 2, "yes" if ok else "NO", "yes (writable again: works)", lost,
        f"ask exit {ask.returncode}, ingest exit {ing.returncode}: \"{msg}\"")


def scenario_diskfull(work: Path) -> None:
    print("diskfull: 2 MB tmpfs for the data folder", flush=True)
    mnt = work / "full"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        row("disk full", 0, "-", "-", "-", "skipped: needs root to mount a small tmpfs")
        return
    try:
        corpus = make_corpus(work / "full-corpus", docs=12, sentences=60, seed=5)
        data = mnt / "data"
        first = cli("ingest", str(corpus), "--data-dir", str(data), "--json")
        subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], check=True)
        again = cli("ingest", str(corpus), "--data-dir", str(data), "--json")
        clean = Settings(data_dir=work / "full-clean")
        Ingestor(clean).run([corpus])
        lost, extra, dups, same = compare(snapshot(Settings(data_dir=data)), snapshot(clean))
        row("disk full during ingest", 1, "yes" if clean_exit(first, "is full") else "NO",
            "yes" if again.returncode == 0 and same and not extra and not dups else "NO", lost,
            f"first run exit {first.returncode}: \"{' '.join(first.stderr.split())[:110]}\"; after the disk grew, "
            f"re-run exit {again.returncode}; vs clean build: {extra} extra, {dups} duplicates, documents identical: {same}")
    finally:  # lazy: this process may still hold the index files open
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


# ---------------------------------------------------------------------------- LLM endpoint down or slow

def scenario_llm(work: Path) -> None:
    print("llm: dead and silent OpenAI-compatible endpoints", flush=True)
    data = work / "llm-data"
    Assistant(data_dir=data).ingest([str(ROOT / "tests" / "fixtures" / "web")])
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections, never answers
    results = []
    for label, url in (("dead port", f"http://127.0.0.1:{free_port()}/v1"),
                       ("never answers", f"http://127.0.0.1:{silent.getsockname()[1]}/v1")):
        a = Assistant(data_dir=data, llm="openai", llm_base_url=url, llm_model="test-model", llm_timeout=3.0)
        t0 = time.perf_counter()
        try:
            ans = a.ask(QUESTION)
            dt = time.perf_counter() - t0
            ok = "60%" in ans.answer and ans.answerer != "llm" and dt < 3.0 * 3
            results.append((label, ok, dt, (ans.warnings or [""])[0][:90]))
        except Exception as exc:  # noqa: BLE001 - a failure of the fallback
            results.append((label, False, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"[:90]))
    silent.close()
    row("LLM endpoint down / silent", len(results), "yes" if all(r[1] for r in results) else "NO",
        "yes (extractive answer)" if all(r[1] for r in results) else "NO", 0,
        "; ".join(f"{lab}: {'extractive fallback' if ok else 'FAILED'} in {dt:.1f} s (\"{w}\")" for lab, ok, dt, w in results))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=5, help="SIGKILL trials during ingestion")
    ap.add_argument("--only", default="kill,server,readonly,diskfull,llm")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="assistant-faults-"))
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    t0 = time.perf_counter()
    try:
        for name in chosen:
            {"kill": lambda: scenario_kill(work, args.kills), "server": lambda: scenario_server(work),
             "readonly": lambda: scenario_readonly(work), "diskfull": lambda: scenario_diskfull(work),
             "llm": lambda: scenario_llm(work)}[name]()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"{'scenario':<38} {'tried':>5}  {'clear error':<20} {'recovered':<24} {'data lost':>9}")
    for r in ROWS:
        print(f"{r['scenario']:<38} {r['tried']:>5}  {r['clear']:<20} {r['recovered']:<24} {str(r['lost']):>9}")
    tried = sum(r["tried"] for r in ROWS)
    lost = sum(r["lost"] for r in ROWS if isinstance(r["lost"], int))
    bad = [r for r in ROWS if "NO" in (r["clear"], r["recovered"]) or (isinstance(r["lost"], int) and r["lost"])]
    print(f"\nfaults tried: {tried}; data lost: {lost} chunks; scenarios failing: {len(bad)}; "
          f"{time.perf_counter() - t0:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
