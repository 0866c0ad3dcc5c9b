"""Load test of the running app over loopback: N concurrent users asking through
`POST /api/ask`, first alone, then while documents are being ingested.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/load.py [--users 20] [--seconds 60] [--ingest-docs 30]

What it does:
1. copies corpus/ and the test fixtures into a temporary folder, starts the real
   app (`python app.py --port FREE`, loopback only) with a temporary data folder,
   which indexes that corpus on first start; waits for /healthz;
2. phase "ask": `--users` threads, each with its own HTTP client, post questions
   (answerable and unanswerable, from a fixed list) back to back for `--seconds`;
3. phase "ask + ingest": the same load while an admin uploads generated documents
   through the app's upload handler (Gradio HTTP API), `--batch` files at a time,
   so the app embeds and writes to its index while it answers;
4. prints requests, errors (non-200 or transport errors), requests/s, latency
   p50/p95/max, and answers that differ from the answer the same question got
   before the load (changed answers: must be 0, the generated documents are about
   other topics; a refusal counts as unchanged when it still refuses, since its list
   of closest passages may pick up the new documents).
Bounded in time and count; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "What share of the main tasks should be completed by the end of 2024?",
    "When will the 2023 local SOE reform assessment be carried out?",
    "What share of pilot firms should adopt a modern board of directors by the end of 2025?",
    "How much is the reform fund?",
    "How many independent directors will the province train?",
    "When must port operators connect to the shared logistics platform?",
    "Which targets have a deadline in 2025?",
    "Who is responsible for monitoring progress?",
    "What is the population of the planet Mars?",
    "How much dividend will central SOEs pay to shareholders?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q / 100 * (len(v) - 1)))))]


def start_app(data: Path, corpus: Path, port: int, log_path: Path, **extra_env: str) -> subprocess.Popen:
    """`python app.py` on 127.0.0.1:`port`, no login and the embedded store unless `extra_env` says otherwise."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "ASSISTANT_DATA_DIR": str(data),
           "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_USERS": "", "ASSISTANT_LLM": "none"}
    env.pop("ASSISTANT_AUTH_FILE", None)
    env.pop("ASSISTANT_CHROMA_URL", None)
    env.update(extra_env)
    with log_path.open("w") as log:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--host", "127.0.0.1"],
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)


def stop_app(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 600) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited with code {proc.returncode}")
        try:
            r = httpx.get(f"{url}/healthz", timeout=5)
            if r.status_code == 200 and r.json().get("status") == "ok":
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the app did not become ready")


def answer_key(body: dict) -> tuple:
    """What must not change under load: the answer and its citations, or the refusal itself
    (a refusal's list of closest passages may change as documents are added)."""
    if body["refused"]:
        return True, body["answer"].split("\n\n")[0]
    return False, body["answer"], tuple((c["doc_id"], c["start"], c["end"]) for c in body["citations"])


class Load:
    """`users` threads posting questions until `stop` is set."""

    def __init__(self, url: str, users: int, baseline: dict[str, str]):
        self.url, self.users, self.baseline = url, users, baseline
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.changed = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def user(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.url, timeout=120) as c:
            while not self.stop.is_set():
                q = rng.choice(QUESTIONS)
                t0 = time.perf_counter()
                try:
                    r = c.post("/api/ask", json={"question": q})
                    ok = r.status_code == 200
                    err = None if ok else f"HTTP {r.status_code}: {r.text[:120]}"
                    changed = ok and answer_key(r.json()) != self.baseline[q]
                except httpx.HTTPError as exc:
                    err, changed = f"{type(exc).__name__}: {exc}", False
                dt = time.perf_counter() - t0
                with self.lock:
                    if err:
                        self.errors.append(err)
                    else:
                        self.latencies.append(dt)
                        self.changed += int(changed)

    def run(self, seconds: float, during=None) -> dict:
        threads = [threading.Thread(target=self.user, args=(i,), daemon=True) for i in range(self.users)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        extra = during(t0 + seconds) if during else None
        remaining = seconds - (time.perf_counter() - t0)
        if remaining > 0:
            time.sleep(remaining)
        self.stop.set()
        for t in threads:
            t.join(180)
        wall = time.perf_counter() - t0
        lat = self.latencies
        return {"requests": len(lat) + len(self.errors), "errors": len(self.errors), "seconds": round(wall, 1),
                "rps": round((len(lat) + len(self.errors)) / wall, 2), "p50_ms": round(pct(lat, 50) * 1000),
                "p95_ms": round(pct(lat, 95) * 1000), "max_ms": round(max(lat, default=0) * 1000),
                "mean_ms": round(statistics.fmean(lat) * 1000) if lat else None, "changed_answers": self.changed,
                "error_samples": sorted(set(self.errors))[:3], "ingest": extra}


def generated_doc(i: int) -> str:
    rng = random.Random(i)
    topics = ["forestry", "fisheries", "tourism", "broadband", "libraries", "cycling", "museums", "heritage"]
    t = topics[i % len(topics)]
    body = " ".join(f"Item {j}: the {t} office of county {i} will open {rng.randint(2, 90)} new {t} sites by "
                    f"{rng.choice([2026, 2027, 2028])}." for j in range(rng.randint(15, 40)))
    return f"---\ntitle: County {i} {t} programme\nissuer: County {i}\ndate: 2024-0{1 + i % 9}-15\n---\n{t.title()} programme.\n\n{body}\n"


def uploader(url: str, folder: Path, n_docs: int, batch: int):
    """Returns a function that uploads generated documents until the deadline or n_docs."""

    def run(deadline: float) -> dict:
        out = {"docs": 0, "batches": 0, "seconds": 0.0, "failures": 0}

        def work():
            t0 = time.perf_counter()
            with httpx.Client(base_url=url, timeout=600) as c:
                i = 0
                while i < n_docs and time.perf_counter() < deadline:
                    files = []
                    for k in range(i, min(i + batch, n_docs)):
                        p = folder / f"county-programme-{k:03d}.txt"
                        p.write_text(generated_doc(k), encoding="utf-8")
                        r = c.post("/gradio_api/upload", files={"files": (p.name, p.read_bytes())})
                        files.append({"path": r.json()[0], "orig_name": p.name, "meta": {"_type": "gradio.FileData"}})
                    r = c.post("/gradio_api/call/upload", json={"data": [files], "session_hash": "load-bench"})
                    stream = c.get(f"/gradio_api/call/upload/{r.json()['event_id']}").text
                    if "event: complete" in stream and "added" in stream:
                        out["docs"] += len(files)
                    else:
                        out["failures"] += 1
                    out["batches"] += 1
                    i += batch
            out["seconds"] = round(time.perf_counter() - t0, 1)

        th = threading.Thread(target=work, daemon=True)
        th.start()
        out["thread"] = th
        return out

    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--ingest-docs", type=int, default=30, help="generated documents uploaded during phase 2")
    ap.add_argument("--batch", type=int, default=5, help="documents per upload")
    ap.add_argument("--skip-ingest-phase", action="store_true")
    ap.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="assistant-load-"))
    corpus = work / "corpus"
    corpus.mkdir()
    for src in [ROOT / "corpus", ROOT / "tests" / "fixtures" / "policies", ROOT / "tests" / "fixtures" / "web"]:
        for p in src.iterdir():
            if p.is_file():
                shutil.copy(p, corpus / p.name)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_app(work / "data", corpus, port, work / "app.log")
    results = {}
    try:
        ready = wait_ready(url, proc)
        print(f"app ready in {ready:.1f} s (indexed {len(list(corpus.iterdir()))} files) at {url}", flush=True)
        with httpx.Client(base_url=url, timeout=120) as c:
            baseline = {q: answer_key(c.post("/api/ask", json={"question": q}).json()) for q in QUESTIONS}
        print(f"phase 1: {args.users} users for {args.seconds:.0f} s ...", flush=True)
        results["ask"] = Load(url, args.users, baseline).run(args.seconds)
        if not args.skip_ingest_phase:
            up = work / "uploads-src"
            up.mkdir()
            print(f"phase 2: {args.users} users for {args.seconds:.0f} s while uploading up to {args.ingest_docs} documents ...",
                  flush=True)
            load = Load(url, args.users, baseline)
            res = load.run(args.seconds, during=uploader(url, up, args.ingest_docs, args.batch))
            th = res["ingest"].pop("thread")
            th.join(600)
            with httpx.Client(base_url=url, timeout=60) as c:
                res["ingest"]["chunks_after"] = c.get("/healthz").json().get("chunks")
            results["ask + ingest"] = res
    finally:
        stop_app(proc)
    print()
    print(f"{'phase':<14} {'users':>5} {'seconds':>7} {'requests':>8} {'errors':>6} {'req/s':>6} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'max ms':>7} {'changed':>7}")
    for name, r in results.items():
        print(f"{name:<14} {args.users:>5} {r['seconds']:>7} {r['requests']:>8} {r['errors']:>6} {r['rps']:>6} "
              f"{r['p50_ms']:>7} {r['p95_ms']:>7} {r['max_ms']:>7} {r['changed_answers']:>7}")
        for e in r["error_samples"]:
            print(f"    error: {e}")
    ing = results.get("ask + ingest", {}).get("ingest")
    if ing:
        print(f"\nduring phase 2: {ing['docs']} documents uploaded and indexed in {ing['batches']} uploads "
              f"({ing['failures']} failed) over {ing['seconds']} s; {ing['chunks_after']} chunks in the index after")
    if args.json:
        print(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
