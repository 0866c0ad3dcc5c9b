"""The real app (`python app.py`) driven by Playwright in Debian's Chromium.

One app process per module, with authentication on (admin + reader), indexing a
temporary corpus of the two fixture documents in tests/fixtures/web/ (one of them
carries `<script>` and `<img onerror>` text). Screenshots go to tests/screenshots/,
and the Ask and Targets ones are copied to docs/screenshots/.

Needs /usr/bin/chromium (apt-get install chromium); never `playwright install`.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import playwright.sync_api as sync_api
import pytest
from serving import app_process

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "web"
SHOTS = ROOT / "tests" / "screenshots"
DOC_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
ADMIN, READER = ("admin", "secret"), ("reader", "pw")
TIMEOUT_MS = 30_000

if not Path(CHROMIUM).exists():  # a missing browser fails the suite, it never skips it
    raise RuntimeError(f"Debian chromium is not installed at {CHROMIUM}: run `make browser` (apt-get install chromium chromium-driver)")



@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    corpus = tmp / "corpus"
    corpus.mkdir()
    for f in FIXTURES.iterdir():
        shutil.copy(f, corpus / f.name)
    env = {"ASSISTANT_DATA_DIR": str(tmp / "data"), "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_USERS": f"{ADMIN[0]}:{ADMIN[1]}:admin,{READER[0]}:{READER[1]}", "ASSISTANT_AUTH_FILE": None}
    with app_process(env, tmp / "app.log") as (url, _):
        assert httpx.get(f"{url}/healthz").json()["status"] == "ok"
        assert f"{url}/" in (tmp / "app.log").read_text()  # the URL is printed
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def login(browser, url, user, viewport=None):
    ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 1000})
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.goto(url + "/")
    page.get_by_label("username").fill(user[0])
    page.get_by_label("password").fill(user[1])
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#question textarea")
    return ctx, page


@pytest.fixture(scope="module")
def admin_page(browser, app_url):
    ctx, page = login(browser, app_url, ADMIN)
    yield page
    ctx.close()


def shot(page, name: str, publish: bool = False):
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if publish:
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOC_SHOTS / f"{name}.png")


def open_tab(page, name: str):
    page.get_by_role("tab", name=name).click()


def ask(page, question: str, doc: str | None = None):
    """Ask in a fresh conversation and wait for the final answer (source cards or refusal banner)."""
    open_tab(page, "Ask")
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_function("!document.querySelector('#sources .src-card, #sources .src-refusal')")
    page.fill("#question textarea", question)
    page.click("#ask-btn")
    sel = f'#sources .src-card[data-doc="{doc}"]' if doc else "#sources .src-card, #sources .src-refusal"
    page.wait_for_selector(sel)
    return page


def table_rows(page, elem_id: str) -> list[str]:
    return [r.inner_text() for r in page.query_selector_all(f"#{elem_id} .virtual-row")]


# ---------------------------------------------------------------------------- tests

def test_page_loads_without_script_errors(browser, app_url):
    ctx, page = login(browser, app_url, ADMIN)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelector('#index-status').innerText.includes('Signed in as')")
    assert "2 documents indexed" in page.inner_text("#index-status")
    assert errors == []
    ctx.close()


def test_ask_shows_cited_answer_and_source_card(admin_page):
    page = ask(admin_page, "What share of pilot firms should adopt a modern board of directors by the end of 2025?",
               doc="provincial-reform-plan")
    chat = page.inner_text("#chat")
    assert "At least 60% of pilot firms shall adopt a modern board of directors by the end of 2025." in chat
    assert "[1]" in chat and "Sources" in chat and "Provincial reform plan for pilot enterprises" in chat
    card = page.locator("#sources .src-card").first
    assert "Provincial reform plan for pilot enterprises" in card.inner_text()
    assert "Provincial Reform Commission" in card.inner_text() and "2024-03-15" in card.inner_text()
    assert "At least 60% of pilot firms" in card.locator(".src-para mark").inner_text()
    # the whole document opens with the quote highlighted at its place
    assert not card.locator(".src-full").is_visible()
    card.locator("summary").click()
    full = card.locator(".src-full")
    assert full.is_visible()
    assert "Funding" in full.inner_text() and "progress report every quarter" in full.inner_text()
    assert "At least 60%" in full.locator("mark").inner_text()
    # copy-ready plain text with numbered sources
    page.get_by_text("Copy answer with citations").click()
    plain = page.input_value("#plain-answer textarea")
    assert plain.startswith("At least 60%") and "Sources:\n[1] Provincial reform plan" in plain
    shot(page, "ask", publish=True)


def test_unanswerable_question_is_refused(admin_page):
    page = ask(admin_page, "What is the population of the planet Mars?")
    assert page.locator("#sources .src-refusal").is_visible()
    assert "Not in the documents" in page.inner_text("#sources")
    assert "Not in the documents" in page.inner_text("#chat")
    shot(page, "refusal")


def test_script_in_document_shows_as_text_and_does_not_run(admin_page):
    page = ask(admin_page, "What markup must web forms reject?", doc="harbour-notice")
    text = page.inner_text("#sources")
    assert "<script>window.__xss=1</script>" in text
    assert '<img src=x onerror="window.__xss=2">' in text
    assert "Harbour district notice on <script> handling" in text
    assert "<script>window.__xss=1</script>" in page.inner_text("#chat")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.querySelectorAll('#sources script, #sources img, #chat img[src=x]').length") == 0
    page.locator('#sources .src-card[data-doc="harbour-notice"] summary').first.click()
    assert page.evaluate("typeof window.__xss") == "undefined"
    open_tab(page, "Documents")
    page.wait_for_selector("#docs-table .virtual-row")
    assert any("Harbour district notice on <script> handling" in r for r in table_rows(page, "docs-table"))
    assert page.evaluate("typeof window.__xss") == "undefined"
    shot(page, "xss")


def test_targets_table_filters(admin_page):
    page = admin_page
    open_tab(page, "Targets & deadlines")
    page.wait_for_function("/\\d+ rows?\\./.test(document.querySelector('#targets-note').innerText)")
    page.wait_for_selector("#targets-table .virtual-row")
    rows = table_rows(page, "targets-table")
    assert any("At least 60% of pilot firms" in r for r in rows)
    assert any("Harbour District Office" in r for r in rows)
    page.wait_for_selector("#timeline .js-plotly-plot")  # the plotly timeline rendered

    def apply(check, before: str = "", search: str = "") -> list[str]:
        """Set the filters, apply, and wait (up to 15 s) until the table satisfies `check`."""
        page.fill("#due-before textarea, #due-before input", before)
        page.fill("#targets-search textarea, #targets-search input", search)
        page.click("#targets-apply")
        deadline = time.time() + 15
        while True:
            rows = table_rows(page, "targets-table")
            if rows and check(rows) or time.time() > deadline:
                return rows
            time.sleep(0.2)

    pilot = apply(lambda rs: all("pilot firms" in r.lower() for r in rs), search="pilot firms")
    assert pilot and all("pilot firms" in r.lower() for r in pilot)
    assert not any("Harbour" in r for r in pilot)
    due = apply(lambda rs: all("2024-12" in r for r in rs) and any("shared logistics" in r for r in rs),
                before="2025-06-30")
    assert due and all("2024-12" in r for r in due)
    assert any("shared logistics platform" in r for r in due)
    # Content-based wait: the previous (stale) table may also have exactly one row.
    both = apply(lambda rs: len(rs) == 1 and "pilot firms" in rs[0], before="2025-12-31", search="pilot")
    assert len(both) == 1 and "At least 60% of pilot firms" in both[0] and "173–260" in both[0]
    page.wait_for_function("document.querySelector('#targets-note').innerText.includes('1 row.')", timeout=15000)
    allrows = apply(lambda rs: len(rs) == len(rows))  # back to all rows for the screenshot
    assert len(allrows) == len(rows)
    shot(page, "targets", publish=True)


def test_admin_uploads_document_and_gets_answer(admin_page, tmp_path):
    page = admin_page
    doc = tmp_path / "Coastal wind plan (draft).md"
    doc.write_text("---\ntitle: Coastal wind energy plan\nissuer: Coastal Energy Bureau\ndate: 2024-05-20\n---\n"
                   "# Coastal wind energy plan\n\nThe coastal region shall install 300 offshore wind turbines by the "
                   "end of 2027. The bureau will review turbine safety every six months.\n", encoding="utf-8")
    open_tab(page, "Documents")
    page.set_input_files("#upload-files input[type=file]", str(doc))
    page.wait_for_selector("#upload-files :text('Coastal_wind_plan'), #upload-files :text('Coastal wind plan')")
    page.click("#upload-btn")
    page.wait_for_function("document.querySelector('#docs-message').innerText.includes('added 1')", timeout=60_000)
    assert "Coastal_wind_plan_draft.md" in page.inner_text("#docs-message")  # sanitised name
    page.wait_for_function("document.querySelector('#index-status').innerText.includes('3 documents')")
    ask(page, "How many offshore wind turbines shall the coastal region install?")
    assert "300 offshore wind turbines" in page.inner_text("#chat")
    assert "Coastal wind energy plan" in page.inner_text("#sources")
    shot(page, "upload-answer")


def test_feedback_is_stored_and_exported(admin_page, app_url):
    page = ask(admin_page, "What share of pilot firms should adopt a modern board of directors by the end of 2025?")
    page.get_by_text("Feedback on the last answer").click()
    page.fill("#feedback-comment textarea", "Clear <b>answer</b>")
    page.click("#feedback-btn")
    page.wait_for_function("document.querySelector('#feedback-comment textarea').value === ''")
    page.locator("#chat button[aria-label='Like']").last.click()
    open_tab(page, "Documents")
    page.click("#feedback-export")
    link = page.wait_for_selector("#feedback-file a[href]")
    href = link.get_attribute("href")
    csv_text = page.request.get(href if href.startswith("http") else app_url + href).text()
    assert csv_text.startswith("ts,question,answer,sources_json,rating,comment")
    assert "Clear <b>answer</b>" in csv_text and ",like," in csv_text
    assert csv_text.count("What share of pilot firms") == 2  # the comment + the thumbs-up


def test_training_tab(admin_page):
    page = admin_page
    open_tab(page, "Training")
    page.click("#training-btn")
    page.wait_for_function("document.querySelector('#training-quiz').innerText.includes('Answer')"
                           " && document.querySelector('#training-brief').innerText.includes('Training brief')",
                           timeout=30_000)
    brief, quiz = page.inner_text("#training-brief"), page.inner_text("#training-quiz")
    assert "Provincial reform plan" in brief or "Harbour" in brief
    assert "Answer" in quiz
    assert page.evaluate("typeof window.__xss") == "undefined"
    shot(page, "training")


def test_reader_cannot_upload(browser, app_url):
    ctx, page = login(browser, app_url, READER)
    page.wait_for_function("document.querySelector('#index-status').innerText.includes('reader')")
    open_tab(page, "Documents")
    assert page.get_by_text("Only administrators can add or remove documents.").is_visible()
    assert not page.locator("#upload-btn").is_visible()
    ctx.close()


def test_phone_width(browser, app_url):
    ctx, page = login(browser, app_url, READER, viewport={"width": 390, "height": 844})
    ask(page, "What share of pilot firms should adopt a modern board of directors by the end of 2025?")
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    shot(page, "phone")
    ctx.close()
