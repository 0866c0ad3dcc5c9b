"""The web app's JSON API against a real uvicorn server (background thread), plus the
escaping / upload / auth / feedback helpers. Fixture corpus: tests/fixtures/web/."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import re
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import uvicorn

from assistant.config import get_settings
from assistant.core import Assistant
from assistant.feedback import FeedbackStore
from assistant.models import Answer, Citation
from assistant.serve import create_app
from assistant.serve.auth import auth_users, check_password
from assistant.serve.chat import MAX_WAITING, Conversation, Conversations, Question, QueueFull
from assistant.serve.render import (answer_html, answer_plain, esc, evidence_lead, lead_html, source_card,
                                    text_html)
from assistant.serve.state import WebState
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


def test_esc_escapes_once():
    assert "<" not in esc(XSS) and ">" not in esc(XSS) and '"' not in esc(XSS)
    assert esc(None) == "" and esc("Tom's & Jerry's") == "Tom&#x27;s &amp; Jerry&#x27;s"


def test_text_html_marks_the_span_drops_markdown_and_escapes_once():
    text = "## Goals\n\n** The plan's <b>aim</b> & more.\n* first item\nAt least **60%** by 2025. After <script>x</script>"
    s = text.index("At least")
    e = text.index(" After")
    out = text_html(text, 0, len(text), [(s, e)])
    assert "<mark>At least 60% by 2025.</mark>" in out  # the bold markers inside the quote are gone, not the words
    assert "##" not in out and "**" not in out and "• first item" in out and out.startswith("Goals<br><br>The plan")
    assert "plan&#x27;s &lt;b&gt;aim&lt;/b&gt; &amp; more." in out and "&amp;amp;" not in out and "&amp;#x27;" not in out
    assert "<script>" not in out and "&lt;script&gt;" in out and "\n" not in out
    assert text_html(text, s + 3, e, [(s, s + 10)]) == "<mark>least </mark>60% by 2025."  # a window of the text


def test_safe_md_neutralises_html_and_drops_quoted_bold_markers():
    from assistant.serve.render import safe_md

    out = safe_md(r"- “The office shall build \*\*12 sidings\*\* by 2026.” <img src=x> \<b> 2 \* 3")
    assert "12 sidings by 2026" in out and "\\*\\*" not in out and "2 \\* 3" in out
    assert "<img" not in out and "<b>" not in out and out.count("&lt;") == 2


def _citation(text: str, quote: str, n: int = 1, **kw) -> Citation:
    s = text.index(quote)
    return Citation(n=n, doc_id="d<1>", title="T <script>alert(1)</script>", issuer="I & Co", date="2024-01-01",
                    quote=quote, start=s, end=s + len(quote), **kw)


def _doc(text: str, targets: list[dict] | None = None, warnings: list[dict] | None = None):
    """A stored document as the renderer reads it: text, ledger rows (stored dicts), ingestion warnings."""
    base = {"kind": "target", "doc_id": "d<1>", "statement": "s"}
    return SimpleNamespace(text=text, targets=[{**base, **t} for t in targets or []], warnings=warnings or [])


def test_source_card_escapes_everything_and_opens_whole_document():
    text = "Intro line.\nPara with <script>window.__xss=1</script> and the quoted figure of 60%.\nLast line " + XSS
    c = _citation(text, "the quoted figure of 60%.")
    card = source_card([c], _doc(text), key="a0-3")
    assert "<script" not in card and "<img" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card  # title
    assert "I &amp; Co" in card and 'id="a0-3-1"' in card
    assert card.count("<mark>the quoted figure of 60%.</mark>") == 2  # paragraph + whole document
    assert '<details class="src-doc">' in card and "Last line" in card


def test_source_card_of_a_sentence_cut_by_page_furniture_marks_each_piece():
    text = "Start. The province will train 500\n12\nindependent directors by June 2026. End."
    first, second = _citation(text, "The province will train 500"), _citation(text, "independent directors by June 2026.")
    card = source_card([first, second], _doc(text), key="k")
    assert card.count('class="src-card"') == 1 and card.count("<mark>") == 4  # two pieces, paragraph and document
    assert "<mark>The province will train 500</mark><br>12<br><mark>independent directors" in card


def test_source_card_without_document_text_still_shows_quote():
    c = _citation("abc <i>quote</i>", "<i>quote</i>")
    card = source_card([c], None)
    assert "<mark>&lt;i&gt;quote&lt;/i&gt;</mark>" in card and "<details" not in card


def test_evidence_lead_is_the_asked_figure_or_date_word_for_word():
    text = "Intro. All regions should strive to complete More Than 70% of the main tasks by the end of the year. Next."
    quote = "All regions should strive to complete More Than 70% of the main tasks by the end of the year."
    s = text.index(quote)
    row = {"start": s + 20, "end": s + len(quote), "comparator": "more than", "value": "70%",
           "deadline": "by the end of the year", "deadline_norm": "2024-12-31"}
    c = _citation(text, quote)
    doc = _doc(text, [row, {"start": 0, "end": 6, "value": "12%", "comparator": "", "deadline": ""}])
    assert evidence_lead("What share of the main tasks should be done by 2024?", [c], doc) == \
        ("More Than 70%", "by the end of the year", False)  # as written in the quote, not as the ledger wrote it
    assert evidence_lead("By when should the main tasks be completed?", [c], doc) == \
        ("by the end of the year", "More Than 70%", False)
    assert evidence_lead("Who completes the main tasks?", [c], doc) is None  # not a figure or a date
    assert evidence_lead("How many tasks?", [c], _doc(text)) is None  # no figure found in the sentence
    at = text.index("70%")
    flagged = _doc(text, [row], warnings=[{"start": at, "end": at + 3, "message": "possibly garbled figure"}])
    lead = evidence_lead("What share of the main tasks?", [c], flagged)  # flagged by the ledger's own rule
    assert lead[2] is True and "check this figure" in lead_html(lead, "en")
    assert "<strong>More Than 70%</strong> · by the end of the year" in lead_html(lead, "en")


def test_targets_table_marks_flagged_figures_and_shows_text_once():
    from assistant.ledger import Target
    from assistant.serve.ui.targets import target_table

    rows = [Target(statement="Coverage has reached **613%**.", value="613%", kind="reported", doc_id="d",
                   title="Ports & Rail: the Council's plan", start=0, end=30, garbled=True,
                   garbled_warning="share of 613% is over 100%: possibly garbled figure"),
            Target(statement="Build <b>12</b> sidings by 2026.", value="12 sidings", deadline="by 2026",
                   deadline_norm="2026", kind="target", doc_id="d", title="T", start=40, end=70)]
    out = target_table(rows)
    assert out.count("<tr") == 3 and out.count('<tr class="garbled">') == 1
    assert "⚠ 613%" in out and "possibly garbled figure" in out
    assert "Ports &amp; Rail: the Council&#x27;s plan" in out and "&amp;amp;" not in out
    assert "**" not in out and "<b>" not in out and "&lt;b&gt;12&lt;/b&gt;" in out
    heads = re.findall(r"<th>(.*?)</th>", out)
    assert heads[:4] == ["Due", "Value", "Statement", "Document"] and "Span" not in heads and "Doc ID" not in heads


def _answer(text: str, key_quote: str, **kw) -> Answer:
    c = _citation(text, key_quote)
    return Answer(question="What share of pilot firms by 2025?", answer=f"{c.quote} [1]", citations=[c], **kw)


def test_answer_html_links_each_marker_to_its_own_card():
    text = "At least 60% of pilot firms by 2025. Other text."
    first = answer_html(_answer(text, "At least 60% of pilot firms by 2025.", warnings=["[1] figure looks garbled"]),
                        {}, key="a0-0")
    second = answer_html(_answer(text, "At least 60% of pilot firms by 2025."), {}, key="a0-1")
    assert '<a class="cite" href="#a0-0-1"' in first and 'id="a0-0-1"' in first
    assert '<a class="cite" href="#a0-1-1"' in second and 'id="a0-1-1"' in second  # each answer keeps its own
    assert first.count('href="#a0-0-1"') == 2  # the answer's marker and the warning's
    assert "garbled" in first and "<script>" not in first and "<b>" not in first
    shown, plain = first.split('<pre class="plain-text">')
    assert "\n" not in shown and "Sources:\n[1] T &lt;script&gt;" in plain  # the text to copy keeps its lines


def test_refusal_rendering_says_why_and_shows_the_filter_note():
    text = "Some passage about <b>funds</b>."
    rel = _citation(text, "Some passage about <b>funds</b>.")
    ans = Answer(question="q", answer="The indexed documents do not contain an answer to this question. Only the "
                 "documents selected by the active filter were searched (documents: plan).\n\n"
                 "Closest passages:\n[1] Some passage", refused=True, related=[rel],
                 warnings=["refused: the documents never mention: mars"])
    out = answer_html(ans, {}, key="r")
    assert "Not in the documents." in out and "Why: the documents never mention: mars" in out
    assert "active filter were searched (documents: plan)" in out and "Closest passages (not an answer)" in out
    assert "<b>" not in out and "&lt;b&gt;funds" in out and "Closest passages:" not in out
    assert answer_plain(ans).startswith("Not in the documents.")


def test_plain_answer_is_text_not_html():
    text = "At least 60% of pilot firms by 2025. Other text."
    plain = answer_plain(_answer(text, "At least 60% of pilot firms by 2025.", warnings=["[1] figure looks garbled"]))
    assert plain.startswith("At least 60% of pilot firms by 2025. [1]")
    assert '[1] T <script>alert(1)</script> (I & Co, 2024-01-01): "At least 60%' in plain
    assert plain.endswith("- [1] figure looks garbled")


def test_conversation_queues_questions_in_order():
    conv = Conversation()
    q1, q2, q3 = (Question(t, None, "en") for t in ("first", "second", "third"))
    assert conv.add(q1) is True and conv.running  # the first one runs the queue
    assert conv.next() is q1
    assert conv.add(q2) is False and conv.add(q3) is False  # sent while answering: they wait
    assert [m["content"] for m in conv.view(lambda q: q.text)] == ["second", "third"]
    assert conv.next() is q2 and conv.next() is q3 and conv.next() is None and not conv.running
    assert conv.add(q1) is True  # idle again: the next question runs it
    epoch = conv.epoch
    conv.clear()
    assert conv.epoch == epoch + 1 and not conv.pending and not conv.show(epoch, "old answer")
    conv.stop()
    assert not conv.running
    conv.add(q1)
    for _ in range(MAX_WAITING - 1):
        conv.add(q2)
    with pytest.raises(QueueFull):  # bounded: the question stays in the box with a message
        conv.add(q3)


def test_conversations_are_per_session_and_bounded():
    convs = Conversations(limit=2)
    a = convs.get("a")
    assert convs.get("a") is a and convs.get("b") is not a
    convs.get("c")
    assert len(convs) == 2 and convs.get("a") is not a  # the least recently used went
    convs.drop("a")
    assert len(convs) == 2 - 1


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
