"""Soak test: a working day compressed into ten minutes on loopback, the Chroma server restarted twice.

    HF_HUB_OFFLINE=1 nice .venv/bin/python benchmarks/soak.py [--minutes 10] [--users 10] [--admin-every 30]

1. starts a real Chroma server (`chroma run`, from the virtualenv) and the real app
   (`python app.py`) on it, login on (alice admin, readers), which indexes a copy of
   corpus/ and the test fixtures on first start;
2. `--users` readers ask for `--minutes`, pausing 1-3 s between questions: half through
   `POST /api/ask` (HTTP Basic), half through the chat as the page does (Gradio's HTTP API,
   a new session per question);
3. every `--admin-every` seconds the admin uploads a new generated document and removes the
   oldest upload beyond `--keep`, through the Documents tab's upload / remove events; an
   operation that meets the store down is retried the next round (and at the end until done);
4. SIGKILLs the Chroma server `--restarts` times at evenly spaced moments and starts it again
   `--down` seconds later (same port and folder);
5. prints per client: requests, answered, errors by kind, p50/p95 of the answered ones, and
   answers that changed (API: the generated documents are about other topics), then compares
   the server's index with a clean build (embedded Chroma) of the same files: chunks lost,
   extra or duplicated, and whether the documents are identical.
Exit status 1 when a chunk is lost, extra or duplicated, or an error other than the documented
503 (store down) happened. Everything stays on 127.0.0.1; the work folder is removed.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from faults import ROOT, ChromaServer, compare, free_port, snapshot  # same folder: run as a script
from load import QUESTIONS, answer_key, generated_doc, pct, start_app, stop_app, wait_ready

import httpx  # noqa: E402

from assistant.config import Settings  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402

ADMIN, READER = ("alice", "pw1"), ("bob", "pw2")
STORE_DOWN = ("not answering", "index unavailable", "Chroma")  # words of the app's store-down message


class Stats:
    """Outcomes and latencies of one kind of client, shared by its threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kinds: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.samples: dict[str, str] = {}

    def add(self, kind: str, seconds: float | None = None, sample: str = "") -> None:
        with self.lock:
            self.kinds[kind] += 1
            if kind == "answered" and seconds is not None:
                self.latencies.append(seconds)
            if sample and kind not in self.samples:
                self.samples[kind] = sample[:160]

    def row(self) -> dict:
        ms = (lambda q: round(pct(self.latencies, q) * 1000)) if self.latencies else (lambda q: None)
        return {"requests": sum(v for k, v in self.kinds.items() if k != "changed"), "answered": self.kinds["answered"],
                "errors": {k: v for k, v in sorted(self.kinds.items()) if k not in ("answered", "changed")},
                "changed": self.kinds["changed"], "p50_ms": ms(50), "p95_ms": ms(95), "samples": self.samples}


def gradio_call(c: httpx.Client, fn: str, data: list, session: str) -> tuple[str, list | None]:
    """(last event, its data) of one Gradio event, as the page calls it."""
    r = c.post(f"/gradio_api/call/{fn}", json={"data": data, "session_hash": session})
    r.raise_for_status()
    stream = c.get(f"/gradio_api/call/{fn}/{r.json()['event_id']}").text
    events = [line[7:] for line in stream.splitlines() if line.startswith("event: ")]
    payloads = [line[6:] for line in stream.splitlines() if line.startswith("data: ")]
    return (events[-1] if events else "none"), (json.loads(payloads[-1]) if payloads and payloads[-1] != "null" else None)


def login(url: str, user: tuple[str, str]) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=180)
    c.post("/login", data={"username": user[0], "password": user[1]}).raise_for_status()
    return c


def api_reader(url: str, seed: int, stop: threading.Event, stats: Stats, baseline: dict) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=180, auth=READER) as c:
        while not stop.is_set():
            q = rng.choice(QUESTIONS)
            t0 = time.perf_counter()
            try:
                r = c.post("/api/ask", json={"question": q})
                if r.status_code == 200:
                    stats.add("answered", time.perf_counter() - t0)
                    if answer_key(r.json()) != baseline[q]:
                        stats.add("changed", sample=q)
                elif r.status_code == 503:
                    stats.add("503 store down", sample=r.text)
                else:
                    stats.add(f"HTTP {r.status_code}", sample=r.text)
            except httpx.HTTPError as exc:
                stats.add(f"transport {type(exc).__name__}", sample=str(exc))
            stop.wait(rng.uniform(1, 3))


def ui_reader(url: str, seed: int, stop: threading.Event, stats: Stats) -> None:
    rng = random.Random(seed)
    c = login(url, READER)
    try:
        n = 0
        while not stop.is_set():
            q, n = rng.choice(QUESTIONS), n + 1
            t0 = time.perf_counter()
            try:
                event, data = gradio_call(c, "respond", [q, [], [], "", ""], f"soak-ui-{seed}-{n}")
                chat = next((v for v in data or [] if isinstance(v, list) and v and isinstance(v[-1], dict)), [{}])
                reply = chat[-1].get("content", "")  # a string, or Gradio's [{"type": "text", "text": ...}]
                reply = reply if isinstance(reply, str) else " ".join(
                    part.get("text", "") for part in reply if isinstance(part, dict))
                if event != "complete":
                    stats.add(f"event {event}", sample=json.dumps(data))
                elif 'class="msg-warn"' in reply and any(w in reply for w in STORE_DOWN):
                    stats.add("store down (message)", sample=reply)
                elif 'class="msg-warn"' in reply:
                    stats.add("other warning", sample=reply)
                else:
                    stats.add("answered", time.perf_counter() - t0)
            except httpx.HTTPError as exc:
                stats.add(f"transport {type(exc).__name__}", sample=str(exc))
            stop.wait(rng.uniform(1, 3))
    finally:
        c.close()


class Admin:
    """Uploads one generated document per round and removes the oldest beyond `keep`."""

    def __init__(self, url: str, folder: Path, keep: int, stats: Stats):
        self.url, self.folder, self.keep, self.stats = url, folder, keep, stats
        self.c = login(url, ADMIN)
        self.pending_uploads: list[Path] = []
        self.live: list[str] = []  # file names of uploaded documents, oldest first
        self.to_remove: list[str] = []
        self.n = 0

    def doc_ids(self, session: str) -> dict[str, str]:
        event, data = gradio_call(self.c, "refresh", [], session)
        table = next((v for v in data or [] if isinstance(v, str) and 'class="data-table' in v), "")
        return {html.unescape(f): html.unescape(d) for d, f in re.findall(r'data-doc="([^"]*)" data-file="([^"]*)"', table)}

    def upload(self, path: Path) -> bool:
        r = self.c.post("/gradio_api/upload", files={"files": (path.name, path.read_bytes())})
        r.raise_for_status()
        f = {"path": r.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}
        t0 = time.perf_counter()
        event, data = gradio_call(self.c, "upload", [[f]], f"soak-admin-{self.n}")
        message = (data or [""])[0] or ""
        if event == "complete" and "✅" in message and ("added 1" in message or "updated 1" in message or "unchanged 1" in message):
            self.stats.add("answered", time.perf_counter() - t0)
            return True
        self.stats.add("upload: store down (kept, retried)" if any(w in message for w in STORE_DOWN)
                       else f"upload: {event}", sample=message or json.dumps(data))
        return False

    def remove(self, name: str) -> bool:
        session = f"soak-admin-{self.n}-rm"
        doc = self.doc_ids(session).get(name)
        if doc is None:  # the page could not list documents (store down): try again next round
            self.stats.add("remove: store down (retried)", sample=f"{name} not listed")
            return False
        t0 = time.perf_counter()
        event, data = gradio_call(self.c, "remove", [doc], session)
        message = (data or [""])[0] or ""
        if event == "complete" and "Removed" in message:
            self.stats.add("answered", time.perf_counter() - t0)
            return True
        self.stats.add("remove: store down (retried)" if any(w in message for w in STORE_DOWN)
                       else f"remove: {event}", sample=message or json.dumps(data))
        return False

    def round(self) -> None:
        self.n += 1
        p = self.folder / f"soak-programme-{self.n:03d}.txt"
        p.write_text(generated_doc(1000 + self.n), encoding="utf-8")
        self.pending_uploads.append(p)
        for q in list(self.pending_uploads):
            try:
                if self.upload(q):
                    self.pending_uploads.remove(q)
                    self.live.append(q.name)
            except httpx.HTTPError as exc:
                self.stats.add(f"upload: transport {type(exc).__name__}", sample=str(exc))
        while len(self.live) > self.keep:
            self.to_remove.append(self.live.pop(0))
        for name in list(self.to_remove):
            try:
                if self.remove(name):
                    self.to_remove.remove(name)
            except httpx.HTTPError as exc:
                self.stats.add(f"remove: transport {type(exc).__name__}", sample=str(exc))

    def finish(self, timeout: float = 300) -> bool:
        """Retry what is left until done (the store is up again by now)."""
        deadline = time.time() + timeout
        while (self.pending_uploads or self.to_remove) and time.time() < deadline:
            self.n += 1
            for q in list(self.pending_uploads):
                if self.upload(q):
                    self.pending_uploads.remove(q)
            for name in list(self.to_remove):
                if self.remove(name):
                    self.to_remove.remove(name)
            time.sleep(2)
        return not (self.pending_uploads or self.to_remove)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--users", type=int, default=10, help="readers (half API, half chat)")
    ap.add_argument("--admin-every", type=float, default=30.0, help="seconds between admin rounds")
    ap.add_argument("--keep", type=int, default=3, help="uploaded documents kept; older ones are removed")
    ap.add_argument("--restarts", type=int, default=2)
    ap.add_argument("--down", type=float, default=8.0, help="seconds the Chroma server stays down")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    seconds = args.minutes * 60

    work = Path(tempfile.mkdtemp(prefix="assistant-soak-"))
    corpus, generated = work / "corpus", work / "generated"
    corpus.mkdir()
    generated.mkdir()
    for src in (ROOT / "corpus", ROOT / "tests" / "fixtures" / "policies", ROOT / "tests" / "fixtures" / "web"):
        for p in src.iterdir():
            if p.is_file():
                shutil.copy(p, corpus / p.name)
    server = ChromaServer(work / "chroma-server")
    server.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_app(work / "data", corpus, port, work / "app.log", ASSISTANT_CHROMA_URL=server.url,
                     ASSISTANT_EMBEDDER="minilm", ASSISTANT_USERS=f"{ADMIN[0]}:{ADMIN[1]}:admin,{READER[0]}:{READER[1]}",
                     GRADIO_TEMP_DIR=str(work / "gradio"))
    api, ui, admin_stats = Stats(), Stats(), Stats()
    downtime: list[tuple[float, float]] = []
    index: dict = {}
    try:
        print(f"app ready in {wait_ready(url, proc):.1f} s at {url}; Chroma server at {server.url}", flush=True)
        with httpx.Client(base_url=url, timeout=180, auth=READER) as c:
            baseline = {q: answer_key(c.post("/api/ask", json={"question": q}).json()) for q in QUESTIONS}
        stop = threading.Event()
        threads = [threading.Thread(target=api_reader if i % 2 == 0 else ui_reader,
                                    args=(url, i, stop, api, baseline) if i % 2 == 0 else (url, i, stop, ui), daemon=True)
                   for i in range(args.users)]
        admin = Admin(url, generated, args.keep, admin_stats)
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        # each kill lands 2 s before an admin round, so the admin meets the store down too
        kills = [max(0.0, round(seconds * (k + 1) / (args.restarts + 1) / args.admin_every) * args.admin_every - 2)
                 for k in range(args.restarts)]

        def chaos():
            for at in kills:
                if stop.wait(max(0.0, at - (time.perf_counter() - t0))):
                    return
                down_at = time.perf_counter() - t0
                server.kill()
                time.sleep(args.down)
                server.start()
                downtime.append((down_at, time.perf_counter() - t0))
                print(f"  Chroma server down {down_at:.0f}-{downtime[-1][1]:.0f} s", flush=True)

        chaos_thread = threading.Thread(target=chaos, daemon=True)
        chaos_thread.start()
        print(f"{args.users} readers for {args.minutes:g} min; admin round every {args.admin_every:g} s; "
              f"Chroma killed at {', '.join(f'{k:.0f}' for k in kills)} s", flush=True)
        while (now := time.perf_counter() - t0) < seconds:
            admin.round()
            print(f"  {now:4.0f} s: admin round {admin.n}: {len(admin.live)} uploads live, "
                  f"{len(admin.pending_uploads)} to upload, {len(admin.to_remove)} to remove; "
                  f"readers {api.row()['requests'] + ui.row()['requests']} requests", flush=True)
            stop.wait(max(0.0, admin.n * args.admin_every - (time.perf_counter() - t0)))
        stop.set()
        for t in threads + [chaos_thread]:
            t.join(300)
        index["admin_done"] = admin.finish()
        admin.c.close()
        time.sleep(2)
        settings = Settings(data_dir=work / "data", chroma_url=server.url, embedder="minilm")
        clean = Settings(data_dir=work / "clean", embedder="minilm")
        Ingestor(clean).run([str(corpus), str(work / "data" / "uploads")])
        got, want = snapshot(settings), snapshot(clean)
        lost, extra, dups, same = compare(got, want)
        index.update(chunks=got[2], clean_chunks=want[2], lost=lost, extra=extra, duplicates=dups,
                     documents_identical=same, uploads_live=len(admin.live))
    finally:
        stop_app(proc)
        server.kill()
    rows = {"API readers": api.row(), "chat readers": ui.row(), "admin": admin_stats.row()}
    print()
    print(f"{'client':<13} {'requests':>8} {'answered':>8} {'p50 ms':>7} {'p95 ms':>7}  errors by kind")
    for name, r in rows.items():
        errors = ", ".join(f"{k} {v}" for k, v in r["errors"].items()) or "none"
        print(f"{name:<13} {r['requests']:>8} {r['answered']:>8} {r['p50_ms']:>7} {r['p95_ms']:>7}  {errors}"
              + (f"; changed answers {r['changed']}" if name == "API readers" else ""))
    print(f"\nChroma server down: {', '.join(f'{a:.0f}-{b:.0f} s' for a, b in downtime)}")
    print(f"index after the run: {index.get('chunks')} chunks; clean build of the same files: {index.get('clean_chunks')}; "
          f"lost {index.get('lost')}, extra {index.get('extra')}, duplicated {index.get('duplicates')}; "
          f"documents identical: {index.get('documents_identical')}; admin finished its operations: {index.get('admin_done')}")
    for name, r in rows.items():
        for kind, sample in r["samples"].items():
            print(f"  {name}, {kind}: {sample}")
    if args.json:
        print(json.dumps({"clients": rows, "downtime": downtime, "index": index}, indent=2))
    unexpected = [k for r in rows.values() for k in r["errors"] if "store down" not in k]
    bad = index.get("lost") or index.get("extra") or index.get("duplicates") or not index.get("documents_identical")
    if "Traceback" in (work / "app.log").read_text():
        print("\nthe app logged a traceback: see", work / "app.log")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 1 if unexpected or bad or rows["API readers"]["changed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
