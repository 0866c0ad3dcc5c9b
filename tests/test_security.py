"""The security suite, over the real app (`python app.py` on 127.0.0.1) with login on:
alice is an administrator, bob a reader (ASSISTANT_USERS='alice:pw1:admin,bob:pw2').

Issue 15's three holes stay shut:
1. a file object naming a server file (or a link out of Gradio's upload folder) is refused
   before Gradio copies it, and nothing is indexed;
2. JSON nested 200,000 deep is a 4xx JSON error, never a 500 or a traceback;
3. no answer of the app names an absolute server path.
And what held keeps holding: login and roles through Gradio's HTTP API, path traversal in
file routes and upload names, stored XSS (escaped in every view; the browser run is in
test_browser.py), 50 MB bodies, odd JSON; exports are private and gone after shutdown.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from serving import app_process

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "web"
USERS = "alice:pw1:admin,bob:pw2"
ALICE, BOB = ("alice", "pw1"), ("bob", "pw2")
SECRET = "Secret salary table. The director earns 987,654 yuan a year.\n"
QUESTION = "What share of pilot firms should adopt a modern board of directors by the end of 2025?"
XSS_DOC = ("---\ntitle: Canal notice <script>window.__xss=3</script>\nissuer: Canal <b>Office</b>\n---\n"
           "The canal office shall dredge 40 kilometres of canals by 2027. <img src=x onerror=\"window.__xss=4\">\n")
MB = 1024 * 1024


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("security")
    corpus, outside, gradio_dir, tmpdir = (tmp / n for n in ("corpus", "outside", "gradio", "tmp"))
    for d in (corpus, outside, gradio_dir, tmpdir):
        d.mkdir()
    for f in FIXTURES.iterdir():
        shutil.copy(f, corpus / f.name)
    (outside / "salaries.txt").write_text(SECRET)
    env = {"ASSISTANT_DATA_DIR": str(tmp / "data"), "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_USERS": USERS,
           "ASSISTANT_AUTH_FILE": None, "GRADIO_TEMP_DIR": str(gradio_dir), "TMPDIR": str(tmpdir)}
    with app_process(env, tmp / "app.log") as (url, proc):
        yield SimpleNamespace(url=url, proc=proc, tmp=tmp, data=tmp / "data", secret=outside / "salaries.txt",
                              gradio_dir=gradio_dir, log=tmp / "app.log")


class Session:
    """One logged-in browser session, talking to Gradio's HTTP API the way the page does."""

    def __init__(self, url: str, user: tuple[str, str] | None, name: str):
        self.http = httpx.Client(base_url=url, timeout=120)
        self.session = f"security-{name}"
        if user:
            assert self.http.post("/login", data={"username": user[0], "password": user[1]}).json()["success"]

    def call(self, fn: str, data: list) -> tuple[str, object]:
        """(last event, its data) of a Gradio event through /gradio_api/call."""
        r = self.http.post(f"/gradio_api/call/{fn}", json={"data": data, "session_hash": self.session})
        assert r.status_code == 200, (fn, r.status_code, r.text[:300])
        stream = self.http.get(f"/gradio_api/call/{fn}/{r.json()['event_id']}").text
        events = [line[len("event: "):] for line in stream.splitlines() if line.startswith("event: ")]
        payloads = [line[len("data: "):] for line in stream.splitlines() if line.startswith("data: ")]
        return events[-1], json.loads(payloads[-1]) if payloads else None

    def upload_file(self, name: str, content: bytes) -> dict:
        r = self.http.post("/gradio_api/upload", files={"files": (name, content)})
        assert r.status_code == 200, r.text[:300]
        return {"path": r.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}


@pytest.fixture(scope="module")
def alice(app):
    s = Session(app.url, ALICE, "alice")
    s.call("refresh", [])  # fills this session's document lists, as the page load does
    yield s
    s.http.close()


@pytest.fixture(scope="module")
def bob(app):
    s = Session(app.url, BOB, "bob")
    s.call("refresh", [])
    yield s
    s.http.close()


def doc_ids(session: Session) -> dict[str, str]:
    """{source file name: doc id} from the Documents table of a fresh page refresh."""
    import html
    import re

    _, data = session.call("refresh", [])
    table = next(v for v in data if isinstance(v, str) and 'class="data-table' in v)
    return {html.unescape(f): html.unescape(d) for d, f in re.findall(r'data-doc="([^"]*)" data-file="([^"]*)"', table)}


def chat_and_cards(data: list) -> tuple[str, str]:
    """The last question and the last answer (its text and its own source cards) out of a `respond` result."""
    chat = next(v for v in data if isinstance(v, list) and v and isinstance(v[0], dict) and "role" in v[0])

    def text(content) -> str:
        return content if isinstance(content, str) else " ".join(c.get("text", "") for c in content if isinstance(c, dict))
    return text(chat[-2]["content"]), text(chat[-1]["content"])


def link_of(html: str) -> str:
    return html.split('href="')[1].split('"')[0]


def ask(app, question: str, auth=BOB, **extra) -> httpx.Response:
    return httpx.post(f"{app.url}/api/ask", json={"question": question, **extra}, auth=auth, timeout=120)


def document_count(app) -> int:
    return httpx.get(f"{app.url}/healthz", timeout=30).json()["documents"]


def server_roots(app) -> list[str]:
    """Strings that only an absolute server path would contain."""
    roots = {str(app.tmp), str(ROOT), tempfile.gettempdir().rstrip("/") + "/", str(app.gradio_dir)}
    home = str(Path.home())
    if home not in ("/", ""):
        roots.add(home + "/")
    return sorted(roots)


def leaks(value, roots: list[str]) -> list[str]:
    """Every string inside a decoded JSON value that names a server path."""
    if isinstance(value, str):
        return [value[:200]] if any(r in value for r in roots) else []
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in leaks(k, roots) + leaks(v, roots)]
    if isinstance(value, list):
        return [x for v in value for x in leaks(v, roots)]
    return []


# ---------------------------------------------------------------------------- 1. files only from the upload folder

def test_outside_paths_are_refused_before_any_copy(app, alice, bob):
    before = document_count(app)
    link = app.gradio_dir / "planted" / "notes.md"  # a link inside the upload folder pointing out of it
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(app.secret)
    tries = [str(app.secret), "/etc/hostname", str(app.gradio_dir / ".." / "outside" / "salaries.txt"), str(link),
             os.path.relpath(app.secret, ROOT), f"{app.url}/healthz", "file:///etc/hostname"]
    for path in tries:
        for obj in ({"path": path, "orig_name": "x.md", "meta": {"_type": "gradio.FileData"}},
                    {"path": path, "orig_name": "x.md"}):  # without meta Gradio hands the path on untouched
            r = alice.http.post("/gradio_api/call/upload", json={"data": [[obj]], "session_hash": alice.session})
            assert r.status_code == 403, (path, r.status_code, r.text[:300])
            assert "upload folder" in r.json()["error"] and str(app.tmp) not in r.json()["error"]
    copied = [p for p in app.gradio_dir.rglob("*") if p.is_file() and not p.is_symlink() and "987,654" in p.read_text(errors="replace")]
    assert copied == []  # nothing was copied into Gradio's cache
    assert not (app.data / "uploads").exists() or not any((app.data / "uploads").iterdir())
    assert document_count(app) == before
    answer = ask(app, "How much does the director earn?").json()
    assert "987,654" not in json.dumps(answer)
    event, data = bob.call("respond", ["How much does the director earn?", [], [], "", ""])
    assert event == "complete" and "987,654" not in json.dumps(data)


def test_the_upload_handler_checks_the_folder_itself(tmp_path):
    """The second line: called without the HTTP guard, the handler still refuses a file from elsewhere."""
    from assistant.core import Assistant
    from assistant.serve.state import WebState
    from assistant.serve.ui import build_ui

    secret = tmp_path / "salaries.txt"
    secret.write_text(SECRET)
    state = WebState(Assistant(data_dir=tmp_path / "data", corpus_dir=tmp_path / "none", users="", auth_file=None))
    state.upload_dir = tmp_path / "uploads-of-gradio"
    state.upload_dir.mkdir()
    (state.upload_dir / "link.md").symlink_to(secret)
    blocks = build_ui(state.assistant, state)
    upload = next(f.fn for f in blocks.fns.values() if f.name == "upload")
    for given in (str(secret), str(state.upload_dir / "link.md"), str(state.upload_dir / ".." / "salaries.txt")):
        message, _ = upload([given], SimpleNamespace(username=None), progress=lambda *a, **k: None)
        assert "not an uploaded file" in message, message
    assert not (tmp_path / "data" / "uploads").exists() or not any((tmp_path / "data" / "uploads").iterdir())
    assert not state.assistant.has_index()


# ---------------------------------------------------------------------------- 2. bounded bodies, odd JSON

NESTED = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize("path", ["/api/ask", "/gradio_api/call/respond", "/gradio_api/queue/join"])
@pytest.mark.parametrize("body", [NESTED, b'{"question": "a", "history": ' + NESTED + b"}",
                                  b'{"data": [' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"]}"])
def test_deeply_nested_json_is_a_4xx_json_error(app, bob, path, body):
    logged = len(app.log.read_text())
    r = bob.http.post(path, content=body, headers={"content-type": "application/json"}, auth=BOB)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert "deeper than" in r.json()["error"]
    new_log = app.log.read_text()[logged:]
    assert "RecursionError" not in new_log and "Traceback" not in new_log, new_log[-2000:]


@pytest.mark.parametrize("path", ["/api/ask", "/gradio_api/call/respond", "/gradio_api/queue/join"])
def test_fifty_megabyte_bodies_are_refused(app, bob, path):
    body = json.dumps({"question": "x" * (50 * MB)}).encode()
    r = bob.http.post(path, content=body, headers={"content-type": "application/json"}, auth=BOB)
    assert r.status_code == 413 and "over" in r.json()["error"]
    chunked = bob.http.post(path, content=iter([body[i:i + MB] for i in range(0, len(body), MB)]),
                            headers={"content-type": "application/json"}, auth=BOB)  # no Content-Length
    assert chunked.status_code == 413 and "over" in chunked.json()["error"]


def test_fifty_megabyte_upload_is_refused(app, alice):
    r = alice.http.post("/gradio_api/upload", files={"files": ("big.txt", b"a" * (50 * MB))})
    assert r.status_code == 413
    assert not any(p.stat().st_size > 20 * MB for p in app.gradio_dir.rglob("*") if p.is_file())


ODD_BODIES = [
    b'{"question": NaN}', b'{"question": 1e999999}', b'{"question": "a", "id": ' + b"9" * 5000 + b"}",
    b'{"question": "ok?", "question": 5}', b'\xef\xbb\xbf{"question": "ok?"}', b'{"question": "\\ud800\\udfff\\u0000"}',
    b'{"question": "ok?", "filters": {"doc": [null]}}', b'{"question": "ok?", "filters": {"since": 20240101}}',
    b'{"question": "ok?", "history": [[1, 2]]}', b'{"question": "ok?", "history": [' + b'"q",' * 300 + b'"q"]}',
    b'{"question": true}', b'{"question": "ok?"} trailing', b'{"question": "\xff\xfe"}', b"null", b"[]",
    b'{"question": "\xe2\x80\xae\xf0\x9f\x9a\x80 share of pilot firms?"}',
]


@pytest.mark.parametrize("body", ODD_BODIES, ids=[f"odd-{i}" for i in range(len(ODD_BODIES))])
def test_odd_json_is_answered_or_a_4xx_json_error(app, body):
    r = httpx.post(f"{app.url}/api/ask", content=body, headers={"content-type": "application/json"}, auth=BOB,
                   timeout=120)
    assert r.status_code == 200 or 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert isinstance(r.json()["answer" if r.status_code == 200 else "error"], str)


# ---------------------------------------------------------------------------- 3. no server paths in answers

def test_no_absolute_server_path_in_what_the_web_layer_returns(app, alice, bob):
    """Document listings, upload / remove / re-index messages, errors, exports, every component value."""
    roots = server_roots(app)
    seen = {"healthz": httpx.get(f"{app.url}/healthz").json(),
            "401": httpx.post(f"{app.url}/api/ask", json={"question": "q"}).json(),
            "413": ask(app, "x" * 2 * MB).json(),
            "422": ask(app, "", filters={"since": "soon"}).json(),
            "404": alice.http.get("/exports/nothing/here.csv").json()}
    f = alice.upload_file("canal notice.md", XSS_DOC.encode())
    steps = [("refresh", bob, "refresh", []), ("targets", bob, "targets_view", [[], "", [], ""]),
             ("targets-bad", bob, "targets_view", [[], "soon", [], ""]), ("training", bob, "training", [None, 3, 0]),
             ("upload", alice, "upload", [[f]]), ("upload-bad", alice, "upload", [[alice.upload_file("x.exe", b"MZ")]]),
             ("refresh-admin", alice, "refresh", []), ("reindex", alice, "reindex", []),
             ("remove-bad", alice, "remove", [None]), ("export", alice, "export_feedback", [])]
    for name, session, fn, data in steps:
        event, seen[name] = session.call(fn, data)
        assert event == "complete" or name == "upload-bad" and "Invalid file type" in str(seen[name]), (name, seen[name])
    canal = doc_ids(alice)["canal_notice.md"]
    event, seen["remove"] = alice.call("remove", [canal])
    assert "<strong>canal_notice.md</strong>: indexed" in seen["upload"][0] and "Removed" in seen["remove"][0]
    assert leaks(seen, roots) == [], leaks(seen, roots)
    for name in ("targets", "training"):
        href = link_of(next(v for v in seen[name] if isinstance(v, str) and "/exports/" in v))
        assert leaks(bob.http.get(href).text, roots) == []


def test_no_absolute_server_path_in_answers_and_citations(app, alice, bob):
    """Depends on citations naming documents by their relative path (Citation.source): the
    answer composer's part of issue 15. Covers the API's answers, the chat, and the feedback
    export (which stores the cited sources)."""
    roots = server_roots(app)
    bodies = [ask(app, q).json() for q in (QUESTION, "What is the population of the planet Mars?",
                                           "What markup must web forms reject?")]
    assert bodies[0]["citations"] and bodies[1]["refused"]
    event, chat = bob.call("respond", [QUESTION, [], [], "", ""])
    assert event == "complete" and bob.call("send_feedback", ["👍 Helpful", "cited well"])[0] == "complete"
    _, export = alice.call("export_feedback", [])
    feedback_csv = alice.http.get(link_of(export[0]["value"])).text
    assert "cited well" in feedback_csv
    seen = {"api": bodies, "ui": chat, "feedback export": feedback_csv}
    assert leaks(seen, roots) == [], leaks(seen, roots)
    for c in bodies[0]["citations"] + bodies[1]["related"]:
        assert c["source"] and not c["source"].startswith("/") and not Path(c["source"]).is_absolute(), c["source"]


# ---------------------------------------------------------------------------- what held: roles, traversal, XSS

def test_anonymous_gets_nothing(app):
    with httpx.Client(base_url=app.url, timeout=30) as anon:
        assert anon.post("/api/ask", json={"question": QUESTION}).status_code == 401
        assert anon.post("/api/ask", json={"question": QUESTION}, auth=("bob", "wrong")).status_code == 401
        assert anon.post("/gradio_api/upload", files={"files": ("x.txt", b"x")}).status_code == 401
        assert anon.post("/gradio_api/call/refresh", json={"data": []}).status_code == 401
        assert anon.post("/login", data={"username": "bob", "password": "nope"}).status_code >= 400


def test_reader_cannot_change_documents_or_export_through_the_api(app, bob, alice):
    before = document_count(app)
    f = bob.upload_file("reader.txt", b"The reader plants 31 trees by 2030.\n")
    assert "Only administrators can upload" in bob.call("upload", [[f]])[1][0]
    assert "Only administrators can remove" in bob.call("remove", ["harbour-notice"])[1][0]
    assert "Only administrators can re-index" in bob.call("reindex", [])[1][0]
    event, _ = bob.call("export_feedback", [])
    assert event == "error"
    assert document_count(app) == before and not (app.data / "uploads" / "reader.txt").exists()

    event, data = alice.call("export_feedback", [])
    href = link_of(data[0]["value"])
    assert alice.http.get(href).text.startswith("ts,question,answer")
    assert httpx.get(app.url + href, auth=ALICE).status_code == 200  # the API's own login works too
    assert bob.http.get(href).status_code == 404                   # someone else's export
    assert httpx.get(app.url + href, auth=BOB).status_code == 404
    assert httpx.get(app.url + href).status_code == 401


@pytest.mark.parametrize("route", [
    "/gradio_api/file=/etc/passwd", "/gradio_api/file=../../../../etc/passwd",
    "/gradio_api/file=%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/gradio_api/file={secret}",
    "/gradio_api/file={gradio}/../outside/salaries.txt", "/gradio_api/file={data}/feedback.sqlite3",
    "/exports/../../etc/passwd", "/exports/x/..%2F..%2F..%2Fetc%2Fpasswd", "/exports/..%2F..%2Fetc/passwd",
    "/static/../../../etc/passwd", "/gradio_api/static/..%2f..%2f..%2fetc/passwd", "/assets/..%2f..%2fapp.py"])
def test_path_traversal_in_file_routes(app, bob, route):
    url = route.format(secret=app.secret, gradio=app.gradio_dir, data=app.data)
    r = bob.http.get(url)
    assert r.status_code in (400, 403, 404), (url, r.status_code)
    assert "root:x:0:0" not in r.text and "987,654" not in r.text and "SQLite format" not in r.text


def test_upload_names_cannot_escape_the_uploads_folder(app, alice):
    uploads = app.data / "uploads"
    evil = b"Escape plan. The city will plant 777 trees by 2031.\n"
    for name in ("../../escape.txt", "..\\..\\win-escape.txt", "/etc/cron.d/abs.txt", ".hidden.txt"):
        event, data = alice.call("upload", [[alice.upload_file(name, evil + name.encode())]])
        assert event == "complete" and ("added 1" in data[0] or "unchanged 1" in data[0]), data
    assert {"abs.txt", "escape.txt", "hidden.txt", "win-escape.txt"} <= {p.name for p in uploads.iterdir()}
    assert all(p.resolve().parent == uploads.resolve() for p in uploads.iterdir())
    for p in (app.tmp / "escape.txt", app.data / "escape.txt", app.tmp.parent / "escape.txt", Path("/etc/cron.d/abs.txt")):
        assert not p.exists(), p
    assert "777 trees" in ask(app, "How many trees will the city plant by 2031?").json()["answer"]
    event, data = alice.call("upload", [[alice.upload_file("run.sh", b"rm -rf /")]])
    assert ("unsupported" in json.dumps(data) or "Invalid file type" in json.dumps(data)) and not (uploads / "run.sh").exists()
    ids = doc_ids(alice)
    for name in ("escape.txt", "win-escape.txt", "abs.txt", "hidden.txt"):
        assert "Removed" in alice.call("remove", [ids[name]])[1][0]
        assert not (uploads / name).exists()  # the uploaded copy goes too


def test_stored_xss_is_escaped_in_every_view(app, alice, bob):
    event, data = alice.call("upload", [[alice.upload_file("canal.md", XSS_DOC.encode())]])
    assert "added 1" in data[0] or "unchanged 1" in data[0], data
    question, cards = chat_and_cards(bob.call("respond", ["How many kilometres of canals shall the canal office dredge?",
                                                          [], [], "", ""])[1])
    assert "40 kilometres" in cards and "Canal notice" in cards and 'class="src-card"' in cards
    assert "&lt;script&gt;window.__xss=3&lt;/script&gt;" in cards and "&lt;img src=x" in cards
    training = json.dumps(bob.call("training", [doc_ids(bob)["canal.md"], 3, 0])[1])
    for name, text in (("question", question), ("answer", cards), ("training", training)):
        assert "<script" not in text and "<img" not in text and "<b>" not in text, (name, text[:500])
    # table and plot values are data that Gradio renders as text: checked in the browser run
    assert "Removed" in alice.call("remove", [doc_ids(alice)["canal.md"]])[1][0]


# ---------------------------------------------------------------------------- exports at shutdown

def test_exports_and_uploads_are_removed_at_shutdown(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_CORPUS_DIR": str(tmp_path / "none"),
           "ASSISTANT_USERS": USERS, "ASSISTANT_AUTH_FILE": None, "TMPDIR": str(tmpdir),
           "GRADIO_TEMP_DIR": str(tmp_path / "gradio")}
    with app_process(env, tmp_path / "app.log", args=("--no-index",)) as (url, proc):
        admin = Session(url, ALICE, "shutdown")
        event, data = admin.call("export_feedback", [])
        href = link_of(data[0]["value"])
        assert admin.http.get(href).status_code == 200
        uploaded = Path(admin.upload_file("notes.txt", b"Notes for the record.\n")["path"])
        assert uploaded.is_file() and uploaded.is_relative_to(tmp_path / "gradio")
        folders = list(tmpdir.glob("assistant-exports-*"))
        assert len(folders) == 1 and any(p.is_file() for p in folders[0].rglob("*"))
        admin.http.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) in (0, -signal.SIGTERM)  # uvicorn shuts down, then re-raises the signal
    assert "Traceback" not in (tmp_path / "app.log").read_text()
    assert list(tmpdir.glob("assistant-*")) == [], (tmp_path / "app.log").read_text()[-2000:]
    assert [p for p in (tmp_path / "gradio").rglob("*") if p.is_file()] == []  # Gradio's copies of uploads too
