"""The web app's JSON API against a real uvicorn server (background thread), plus the
escaping / upload / auth / feedback helpers. Fixture corpus: tests/fixtures/web/."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.config import get_settings
from assistant.core import Assistant
from assistant.feedback import FeedbackStore
from assistant.models import Answer, Citation
from assistant.serve import create_app
from assistant.serve.auth import auth_users, check_password
from assistant.serve.render import (answer_markdown, answer_plain, esc, highlight, md_escape, source_card, sources_html,
                                    stream_pieces)
from assistant.serve.state import WebState
from assistant.serve.ui.targets import ledger_view
from assistant.serve.uploads import check_upload, safe_filename

FIXTURES = Path(__file__).parent / "fixtures" / "web"
QUESTION = "What share of pilot firms should adopt a modern board of directors by the end of 2025?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn in a background thread."""

    def __init__(self, app):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    data = tmp_path_factory.mktemp("web-data")
    a = Assistant(get_settings(data_dir=data, corpus_dir=FIXTURES, users="", auth_file=None))
    report = a.ingest([str(FIXTURES)])
    assert report.added == 2
    return a


@pytest.fixture(scope="module")
def server(assistant):
    with Server(create_app(assistant)) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


# ---------------------------------------------------------------------------- /healthz and /api/ask

def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "documents": 2, "chunks": r.json()["chunks"]}
    assert r.json()["chunks"] >= 2


def test_ui_is_mounted(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "gradio" in r.text.lower()


def test_ask_returns_cited_answer(client, assistant):
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(Answer.model_fields) <= set(body)
    assert not body["refused"]
    assert "60%" in body["answer"] and "[1]" in body["answer"]
    c = body["citations"][0]
    assert c["doc_id"] == "provincial-reform-plan"
    assert assistant.documents()[c["doc_id"]].text[c["start"]:c["end"]] == c["quote"]


def test_ask_same_as_python_api(client, assistant):
    body = client.post("/api/ask", json={"question": QUESTION}).json()
    direct = assistant.ask(QUESTION).model_dump()
    for key in ("answer", "refused", "citations", "warnings"):
        assert body[key] == direct[key]


def test_ask_refuses_unanswerable(client):
    body = client.post("/api/ask", json={"question": "What is the population of the planet Mars?"}).json()
    assert body["refused"] is True
    assert body["citations"] == []


def test_ask_with_filters_and_history(client):
    r = client.post("/api/ask", json={"question": QUESTION, "history": [{"role": "user", "content": "Hello"}],
                                      "filters": {"doc": ["harbour-notice"]}})
    assert r.status_code == 200
    body = r.json()
    assert all(c["doc_id"] == "harbour-notice" for c in body["citations"] + body["related"])
    r = client.post("/api/ask", json={"question": QUESTION, "filters": {"since": "2024-01-01"}})
    assert r.status_code == 200
    assert all(c["doc_id"] == "provincial-reform-plan" for c in r.json()["citations"] + r.json()["related"])


@pytest.mark.parametrize("body, content_type", [
    (b"", "application/json"),
    (b"not json", "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"just a string"', "application/json"),
    (b"{}", "application/json"),
    (b'{"q": "wrong field"}', "application/json"),
    (b'{"question": ""}', "application/json"),
    (b'{"question": "   \\n\\t "}', "application/json"),
    (b'{"question": "?!?"}', "application/json"),
    (b'{"question": null}', "application/json"),
    (b'{"question": 42}', "application/json"),
    (b'{"question": ["a"]}', "application/json"),
    (b'{"question": {"text": "a"}}', "application/json"),
    (b'{"question": "ok?", "history": "nope"}', "application/json"),
    (b'{"question": "ok?", "history": [1, 2]}', "application/json"),
    (b'{"question": "ok?", "filters": []}', "application/json"),
    (b'{"question": "ok?", "filters": {"doc": 3}}', "application/json"),
    (b'{"question": "ok?", "filters": {"since": "last year"}}', "application/json"),
    (b'{"question": "ok?", "filters": {"until": "2024-02-30"}}', "application/json"),
    (b'{"question": "ok?", "filters": {"colour": ["red"]}}', "application/json"),
    (b"question=hello", "application/x-www-form-urlencoded"),
])
def test_ask_bad_input_is_4xx_json(client, body, content_type):
    r = client.post("/api/ask", content=body, headers={"content-type": content_type})
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert isinstance(r.json()["error"], str) and r.json()["error"]


def test_ask_too_long_question(client):
    r = client.post("/api/ask", json={"question": "reform " * 15_000})
    assert r.status_code == 422
    assert "too long" in r.json()["error"]


def test_ask_huge_body(client):
    r = client.post("/api/ask", content=json.dumps({"question": "x" * 2_000_000}),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "error" in r.json()


def test_ask_get_is_rejected(client):
    assert client.get("/api/ask").status_code in (404, 405)  # the UI mounted at / answers other GETs


def test_twenty_concurrent_users(client, server):
    def one(i):
        with httpx.Client(base_url=server.url, timeout=60) as c:
            return c.post("/api/ask", json={"question": QUESTION if i % 2 else "How much is the reform fund?"})

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))
    assert [r.status_code for r in results] == [200] * 20
    assert time.perf_counter() - t0 < 60
    assert all("60%" in r.json()["answer"] for r in results[1::2])


def test_api_requires_basic_auth_when_users_configured(assistant):
    state = WebState(assistant)
    state.users = {"alice": ("pw1", "admin"), "bob": ("pw2", "user")}
    with Server(create_app(assistant, state=state, mount_ui=False)) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        assert c.post("/api/ask", json={"question": QUESTION}).status_code == 401
        bad = base64.b64encode(b"bob:wrong").decode()
        assert c.post("/api/ask", json={"question": QUESTION}, headers={"authorization": f"Basic {bad}"}).status_code == 401
        assert c.post("/api/ask", json={"question": QUESTION}, headers={"authorization": "Basic !!!"}).status_code == 401
        r = c.post("/api/ask", json={"question": QUESTION}, auth=("bob", "pw2"))
        assert r.status_code == 200 and "60%" in r.json()["answer"]
        assert c.get("/healthz").json()["status"] == "ok"


def test_empty_index(tmp_path):
    a = Assistant(get_settings(data_dir=tmp_path / "empty", corpus_dir=tmp_path / "none", users="", auth_file=None))
    with Server(create_app(a, mount_ui=False)) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        assert c.get("/healthz").json()["status"] == "empty"
        r = c.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 503
        assert "No documents indexed yet" in r.json()["error"]


# ---------------------------------------------------------------------------- escaping helpers

XSS = '<script>window.__xss=1</script><img src=x onerror="alert(1)">'


def test_esc_and_md_escape():
    assert "<" not in esc(XSS) and ">" not in esc(XSS) and '"' not in esc(XSS)
    assert esc(None) == ""
    md = md_escape("a *b* [1] <b>x</b> `c` $5")
    assert "<b>" not in md and r"\*b\*" in md and r"\[1\]" in md and r"\`c\`" in md and r"\$5" in md


def test_highlight_marks_only_the_span_and_escapes():
    text = "Before <b>. The quote & more. After <script>x</script>"
    s = text.index("The quote")
    e = s + len("The quote & more.")
    out = highlight(text, s, e)
    assert "<mark>The quote &amp; more.</mark>" in out
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;" in out


def _citation(text: str, quote: str, **kw) -> Citation:
    s = text.index(quote)
    return Citation(n=1, doc_id="d<1>", title="T <script>alert(1)</script>", issuer="I & Co", date="2024-01-01",
                    quote=quote, start=s, end=s + len(quote), **kw)


def test_source_card_escapes_everything_and_opens_whole_document():
    text = "Intro line.\nPara with <script>window.__xss=1</script> and the quoted figure of 60%.\nLast line " + XSS
    c = _citation(text, "the quoted figure of 60%.")
    card = source_card(c, text)
    assert "<script" not in card and "<img" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card  # title
    assert "I &amp; Co" in card
    assert card.count("<mark>the quoted figure of 60%.</mark>") == 2  # paragraph + whole document
    assert "<details>" in card and "Last line" in card
    assert 'data-doc="d&lt;1&gt;"' in card


def test_source_card_without_document_text_still_shows_quote():
    c = _citation("abc <i>quote</i>", "<i>quote</i>")
    card = source_card(c, None)
    assert "<mark>&lt;i&gt;quote&lt;/i&gt;</mark>" in card and "<details>" not in card


def test_refusal_rendering():
    text = "Some passage about <b>funds</b>."
    rel = _citation(text, "Some passage about <b>funds</b>.")
    ans = Answer(question="q", answer="The indexed documents do not contain an answer to this question.\n\n"
                 "Closest passages:\n[1] Some passage", refused=True, related=[rel],
                 warnings=["refused: the documents never mention: mars"])
    md = answer_markdown(ans)
    assert md.startswith("**Not in the documents.**") and "mars" in md and "<b>" not in md
    html_ = sources_html(ans, {})
    assert "Not in the documents" in html_ and "<b>" not in html_ and "&lt;b&gt;funds" in html_
    assert answer_plain(ans).startswith("Not in the documents.")


def test_answer_rendering_with_citations_and_warnings():
    text = "At least 60% of pilot firms by 2025. Other text."
    c = _citation(text, "At least 60% of pilot firms by 2025.")
    ans = Answer(question="q", answer=f"{c.quote} [1]", citations=[c], warnings=["[1] figure looks garbled"])
    md = answer_markdown(ans)
    assert r"\[1\]" in md and "**Sources**" in md and "garbled" in md and "<script>" not in md
    plain = answer_plain(ans)
    assert plain.startswith("At least 60% of pilot firms by 2025. [1]")
    assert '[1] T <script>alert(1)</script> (I & Co, 2024-01-01): "At least 60%' in plain  # plain text, not HTML
    assert "⚠️" in sources_html(ans, {})


def test_stream_pieces():
    assert stream_pieces("First quote. [1] Second one! [2]") == ["First quote. [1]", "Second one! [2]"]
    assert stream_pieces("One sentence. Two sentences.") == ["One sentence.", "Two sentences."]
    assert stream_pieces("") == [""]


# ---------------------------------------------------------------------------- uploads, auth, feedback, targets

@pytest.mark.parametrize("name, expected", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\evil.DOCX", "evil.docx"),
    ("my plan <v2>.txt", "my_plan_v2.txt"),
    ("-rf .txt", "rf.txt"),
    (".hidden.md", "hidden.md"),
    ("", "upload"),
    ("....", "upload"),
    ("规划 (草案).txt", "规划_草案.txt"),
    ("evil.t<x>t", "evil.txt"),
    ("noext", "noext"),
    ("a" * 300 + ".html", "a" * 100 + ".html"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_check_upload(tmp_path):
    ok = tmp_path / "a.txt"
    ok.write_text("hello")
    assert check_upload(ok, 1) is None
    exe = tmp_path / "a.exe"
    exe.write_text("x")
    assert "unsupported" in check_upload(exe, 1)
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    assert "limit" in check_upload(big, 1)
    empty = tmp_path / "e.md"
    empty.write_text("")
    assert "empty" in check_upload(empty, 1)


def test_auth_users_from_env_string_and_files(tmp_path):
    s = get_settings(users="alice:pw:admin, bob:pa:ss ,carol:x:user", auth_file=None, data_dir=tmp_path)
    users = auth_users(s)
    assert users == {"alice": ("pw", "admin"), "bob": ("pa:ss", "user"), "carol": ("x", "user")}
    assert check_password(users, "alice", "pw") and not check_password(users, "alice", "PW")
    assert not check_password(users, "nobody", "pw") and not check_password(users, "", "")
    assert auth_users(get_settings(users=None, auth_file=None, data_dir=tmp_path)) == {}

    j = tmp_path / "users.json"
    j.write_text(json.dumps({"dana": {"password": "s3", "role": "admin"}, "eve": {"password": "s4"}}))
    assert auth_users(get_settings(users=None, auth_file=j, data_dir=tmp_path)) == {"dana": ("s3", "admin"), "eve": ("s4", "user")}
    y = tmp_path / "users.yaml"
    y.write_text("frank:\n  password: s5\n  role: admin\n")
    assert auth_users(get_settings(users="gus:g", auth_file=y, data_dir=tmp_path)) == {"frank": ("s5", "admin"), "gus": ("g", "user")}
    with pytest.raises(ValueError):
        auth_users(get_settings(users="nopassword", auth_file=None, data_dir=tmp_path))


def test_feedback_store(tmp_path):
    store = FeedbackStore(tmp_path / "sub" / "fb.sqlite3")
    store.add("Q <1>", "A, with \"quotes\"\nand lines", [{"n": 1, "doc_id": "d"}], "like", "")
    store.add("Q2", "A2", None, "dislike", "wrong year")
    with pytest.raises(ValueError):
        store.add("Q3", "A3", None, "meh")
    rows = store.rows()
    assert [r["rating"] for r in rows] == ["like", "dislike"]
    assert json.loads(rows[0]["sources_json"]) == [{"n": 1, "doc_id": "d"}]
    import csv
    import io
    parsed = list(csv.reader(io.StringIO(store.export_csv())))
    assert parsed[0] == ["ts", "question", "answer", "sources_json", "rating", "comment"]
    assert parsed[1][2] == "A, with \"quotes\"\nand lines" and parsed[2][5] == "wrong year"


def test_targets_tab_filters_and_orders_the_ledger():
    rows = [
        {"statement": "At least 60% of pilot firms by the end of 2025.", "deadline_norm": "2025", "issuer": "Province",
         "doc_id": "a", "title": "Plan", "start": 5, "end": 50, "kind": "target"},
        {"statement": "Connect before December 2024.", "deadline_norm": "2024-12", "issuer": "Harbour",
         "doc_id": "b", "title": "Notice", "start": 1, "end": 20, "kind": "deadline"},
        {"statement": "Throughput rose 5%.", "deadline_norm": None, "issuer": "Harbour", "doc_id": "b",
         "title": "Notice", "start": 30, "end": 40, "kind": "reported"},
    ]
    assert [r["doc_id"] for r in ledger_view(rows)] == ["b", "a", "b"]  # by due date, undated last
    assert [r["start"] for r in ledger_view(rows, issuer=["harbour"])] == [1, 30]
    assert [r["start"] for r in ledger_view(rows, due_before="2025-06-30")] == [1]
    assert [r["start"] for r in ledger_view(rows, due_before="2025-12-31")] == [1, 5]
    assert [r["start"] for r in ledger_view(rows, doc=["a"])] == [5]
    assert [r["start"] for r in ledger_view(rows, search="PILOT firms")] == [5]
    with pytest.raises(ValueError):
        ledger_view(rows, due_before="soon")


# ---------------------------------------------------------------------------- guard, paths, exports

def test_json_depth_ignores_brackets_inside_strings():
    from assistant.serve.guard import json_depth

    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}], "c": "\\"]]]"}') == 3
    assert json_depth(b"[" * 500 + b"]" * 500) == 500
    assert json_depth(b'"just a string"') == 0 and json_depth(b"") == 0


def test_from_upload_folder_resolves_links_and_dots(tmp_path):
    from assistant.serve.guard import foreign_files
    from assistant.serve.uploads import from_upload_folder

    folder = tmp_path / "gradio"
    (folder / "abc").mkdir(parents=True)
    inside = folder / "abc" / "plan.md"
    inside.write_text("x")
    outside = tmp_path / "secret.txt"
    outside.write_text("s")
    (folder / "abc" / "link.md").symlink_to(outside)
    assert from_upload_folder(inside, folder) == inside.resolve()
    for bad in (outside, folder / "abc" / "link.md", folder / ".." / "secret.txt", "http://127.0.0.1/x.md",
                "file:///etc/hostname", "", "/etc/hostname", "bad\0name"):
        assert from_upload_folder(bad, folder) is None, bad
    payload = {"data": [[{"path": str(inside)}, {"path": str(outside), "meta": {"_type": "gradio.FileData"}}], "text"]}
    assert foreign_files(payload, folder) == ["secret.txt"]
    assert sorted(foreign_files(payload, None)) == ["plan.md", "secret.txt"]  # no upload folder: nothing is accepted


def test_public_text_cuts_server_paths():
    from assistant.serve.render import public_text

    assert public_text("The index at /srv/data/chroma is full.") == "The index at …/chroma is full."
    assert public_text("Cannot read C:\\data\\plan.pdf now") == "Cannot read …/plan.pdf now"
    for kept in ("Chroma at http://127.0.0.1:8000/api/v2 is down", "and/or 1/2 of the 2024/25 plan", "data/chroma"):
        assert public_text(kept) == kept


def test_exports_belong_to_their_owner_and_are_bounded(tmp_path):
    from assistant.serve.exports import KEEP_PER_USER, Exports

    ex = Exports()
    url = ex.add("alice", "../../targets.csv", "a,b\n")
    _, _, token, name = url.split("/")
    assert name == "targets.csv" and ex.find(token, name, "alice").read_text() == "a,b\n"
    assert ex.find(token, name, "bob") is None and ex.find(token, name, None) is None
    assert ex.find(token, "other.csv", "alice") is None and ex.find("nope", name, "alice") is None
    urls = [ex.add("bob", f"f{i}.csv", str(i)) for i in range(KEEP_PER_USER + 5)]
    kept = [u for u in urls if ex.find(u.split("/")[2], u.split("/")[3], "bob")]
    assert kept == urls[5:] and ex.find(token, name, "alice") is not None  # alice's export is not bob's quota
    root = ex.root
    assert len([p for p in root.iterdir()]) == KEEP_PER_USER + 1
    ex.close()
    assert not root.exists()
