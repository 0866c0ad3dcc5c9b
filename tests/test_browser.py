"""The real app (`python app.py`) driven by Playwright in Debian's Chromium, at 1366 px and 390 px.

One app process for the module, with login on (admin + reader), over a temporary corpus:
the two fixture documents of tests/fixtures/web/ (one carries `<script>` and `<img onerror>`
text), a long plan with apostrophes, ampersands and Markdown in tests/fixtures/web-extra/,
and the repository's own corpus/ document (its "613%" is a figure ingestion flags).
Screenshots of each step go to tests/screenshots/ (the README's come from `make screenshots`).

Every wait is on content (a selector, a text, a condition), never a fixed pause.
Needs /usr/bin/chromium (`make browser`); never `playwright install`.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import httpx
import playwright.sync_api as sync_api
import pytest
from serving import app_process

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
ADMIN, READER = ("admin", "secret"), ("reader", "pw")
TIMEOUT_MS = 60_000
WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
PILOT = "What share of pilot firms should adopt a modern board of directors by the end of 2025?"
SIDINGS = "How many new freight sidings will the Council's rail office build?"

if not Path(CHROMIUM).exists():  # a missing browser fails the suite, it never skips it
    raise RuntimeError(f"Debian chromium is not installed at {CHROMIUM}: run `make browser`")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    corpus = tmp / "corpus"
    corpus.mkdir()
    for f in [*(FIXTURES / "web").iterdir(), *(FIXTURES / "web-extra").iterdir(), *(ROOT / "corpus").iterdir()]:
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
    ctx = browser.new_context(viewport=viewport or WIDE)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
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


def shot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_tab(page, name: str):
    page.get_by_role("tab", name=name).click()


ANSWERS = "#chat .ans:not(.ans-streaming)"


def new_conversation(page):
    open_tab(page, "Ask")
    page.click("#new-conversation")
    page.wait_for_function(f"!document.querySelector('{ANSWERS}')")


def send(page, question: str):
    """Type a question and send it; returns once the box is empty again (the question was taken)."""
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function("document.querySelector('#question textarea').value === ''")


def wait_answers(page, n: int):
    """Wait until the chat holds n finished answers and nothing is being answered."""
    page.wait_for_function(f"document.querySelectorAll('{ANSWERS}').length >= {n}"
                           " && !document.querySelector('#chat .ans-streaming')"
                           " && !document.querySelector('#ask-status').innerText.includes('Answering')")
    return page.locator(ANSWERS)


def ask(page, question: str):
    """Ask in a fresh conversation; returns the answer's message element."""
    new_conversation(page)
    send(page, question)
    return wait_answers(page, 1).first.locator("xpath=..")


def card_in_view(card_id: str) -> str:
    """A JS test: the card's top is inside the chat's visible area (or the card fills it)."""
    return f"""(() => {{ const el = document.getElementById('{card_id}'); const box = el.closest('.bubble-wrap');
        const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
        return (r.top >= b.top - 2 && r.top < b.bottom) || (r.top <= b.top && r.bottom >= b.bottom); }})()"""


def visible_text_has_no_entities(text: str):
    for bad in ("&#x27;", "&amp;", "&lt;", "&gt;", "&quot;", "**", "##"):
        assert bad not in text, (bad, text[:400])


# ---------------------------------------------------------------------------- the Ask tab

def test_page_loads_without_script_errors(browser, app_url):
    ctx, page = login(browser, app_url, ADMIN)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelector('#index-status').innerText.includes('Signed in as')")
    assert "4 documents indexed" in page.inner_text("#index-status")
    assert errors == []
    ctx.close()


def test_answer_carries_its_sources_quote_lead_and_whole_document(admin_page):
    page = admin_page
    message = ask(page, PILOT)
    text = message.inner_text()
    assert "At least 60% of pilot firms shall adopt a modern board of directors by the end of 2025." in text
    card = message.locator(".src-card").first
    assert "Provincial reform plan for pilot enterprises" in card.inner_text()
    assert "Provincial Reform Commission" in card.inner_text() and "2024-03-15" in card.inner_text()
    assert "At least 60% of pilot firms" in card.locator(".src-para mark").inner_text()
    lead = card.locator(".src-lead")  # the asked figure, word for word from the quote, marked as quoted
    assert lead.locator("strong").inner_text() == "At least 60%" and "by the end of 2025" in lead.inner_text()
    assert "quoted" in lead.inner_text().lower()
    # the whole document opens with the quote highlighted at its place
    assert not card.locator(".src-full").is_visible()
    card.locator("summary").click()
    full = card.locator(".src-full")
    assert full.is_visible() and "Funding" in full.inner_text() and "progress report every quarter" in full.inner_text()
    assert "At least 60%" in full.locator("mark").inner_text()
    # copy-ready plain text with numbered sources, from the answer's own button
    message.locator("button.copy-answer").click()
    page.wait_for_function("document.querySelector('#chat button.copy-answer').dataset.done === '1'")
    plain = page.evaluate("navigator.clipboard.readText()")
    assert plain.startswith("At least 60%") and "Sources:\n[1] Provincial reform plan" in plain
    shot(page, "ask")


def test_whole_document_opens_scrolled_to_the_passage(admin_page):
    page = admin_page
    message = ask(page, SIDINGS)
    card = message.locator(".src-card").first
    assert "12 new freight sidings" in card.locator(".src-para mark").inner_text()
    card.locator("summary").click()
    page.wait_for_function("""(() => { const f = document.querySelector('#chat .src-doc[open] .src-full');
        const m = f && f.querySelector('mark'); return m && f.scrollTop > 0
          && m.offsetTop >= f.scrollTop && m.offsetTop < f.scrollTop + f.clientHeight; })()""")
    assert page.evaluate("(() => { const f = document.querySelector('#chat .src-doc[open] .src-full');"
                         " return f.querySelector('mark').offsetTop > f.clientHeight; })()")  # it had to scroll


def test_apostrophes_ampersands_and_markdown_show_as_written(admin_page):
    page = admin_page
    message = ask(page, SIDINGS)
    chat = page.inner_text("#chat")
    assert SIDINGS in chat  # the question bubble, apostrophe included
    assert "The Council's rail office shall build 12 new freight sidings by the end of 2026." in chat
    assert "Ports & Rail: the Council's freight plan" in message.locator(".src-head").first.inner_text()
    assert "O'Brien & Partners Transport Council" in message.locator(".src-meta").first.inner_text()
    visible_text_has_no_entities(chat)
    new_conversation(page)
    send(page, "What's the Mars & Venus rover budget?")
    wait_answers(page, 1)
    chat = page.inner_text("#chat")
    assert "What's the Mars & Venus rover budget?" in chat and "Not in the documents" in chat
    assert "Why:" in chat
    visible_text_has_no_entities(chat)
    for tab, table in (("Documents", "#docs-table"), ("Targets & deadlines", "#targets-table")):
        open_tab(page, tab)
        page.wait_for_function(f"document.querySelector('{table}').innerText.includes(\"the Council's freight plan\")")
        visible_text_has_no_entities(page.inner_text(table))


def test_questions_sent_while_answering_are_queued_and_answered_in_order(admin_page):
    page = admin_page
    new_conversation(page)
    questions = [PILOT, "When must port operators connect to the shared logistics platform?", SIDINGS]
    for q in questions:  # back to back: each is sent as soon as the box takes it
        send(page, q)
    answers = wait_answers(page, 3)
    assert answers.count() == 3
    users = page.locator("#chat [data-testid=user]").all_inner_texts()
    assert [u.strip() for u in users] == questions  # in the order sent, none lost
    texts = answers.all_inner_texts()
    assert "At least 60% of pilot firms" in texts[0]
    assert "December 2024" in texts[1]
    assert "12 new freight sidings" in texts[2]
    # every answer's [n] still reaches its own card after the third question
    for i in range(3):
        link = answers.nth(i).locator("a.cite").first
        target = link.get_attribute("href")[1:]
        assert answers.nth(i).locator(f"xpath=..//*[@id='{target}']").count() == 1  # the card is this answer's
        link.click()
        page.wait_for_function(card_in_view(target))
    shot(page, "three-answers")


def test_refusal_under_a_filter_says_so(browser, app_url):
    ctx, page = login(browser, app_url, READER)  # a page of its own: the filter stays set there
    since = page.get_by_label("Since (YYYY-MM-DD)")
    since.fill("soon")
    page.fill("#question textarea", "Which firms are in the pilot?")
    page.press("#question textarea", "Enter")
    page.wait_for_function("document.querySelector('#ask-status').innerText.includes('write the date as YYYY-MM-DD')")
    assert page.input_value("#question textarea") == "Which firms are in the pilot?"  # nothing lost
    since.fill("")
    page.locator("#filter-docs input").click()
    page.get_by_role("option", name="Harbour district notice").first.click()
    page.keyboard.press("Escape")
    send(page, "How many independent directors will the province train?")
    wait_answers(page, 1)
    chat = page.inner_text("#chat")
    assert "Not in the documents" in chat and "Only the documents selected by the active filter were searched" in chat
    ctx.close()


def test_script_in_document_shows_as_text_and_does_not_run(admin_page):
    page = admin_page
    message = ask(page, "What markup must web forms reject?")
    text = message.inner_text()
    assert "<script>window.__xss=1</script>" in text
    assert '<img src=x onerror="window.__xss=2">' in text
    assert "Harbour district notice on <script> handling" in text
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.querySelectorAll('#chat script, #chat img[src=x]').length") == 0
    message.locator(".src-card summary").first.click()
    assert page.evaluate("typeof window.__xss") == "undefined"
    open_tab(page, "Documents")
    page.wait_for_selector("#docs-table tr[data-doc='harbour-notice']")
    assert "Harbour district notice on <script> handling" in page.inner_text("#docs-table")
    assert page.evaluate("typeof window.__xss") == "undefined"
    shot(page, "xss")


# ---------------------------------------------------------------------------- Targets & deadlines

def _targets(page):
    open_tab(page, "Targets & deadlines")
    page.wait_for_function("/\\d+ rows?\\./.test(document.querySelector('#targets-note').innerText)")
    page.wait_for_selector("#targets-table tbody tr")
    page.wait_for_selector("#timeline .js-plotly-plot")


def rows_text(page) -> list[str]:
    return page.locator("#targets-table tbody tr").all_inner_texts()


def test_targets_table_filters(admin_page):
    page = admin_page
    _targets(page)
    every = rows_text(page)
    assert any("At least 60% of pilot firms" in r for r in every) and any("Harbour District Office" in r for r in every)

    def apply(check: str, before: str = "", search: str = "") -> list[str]:
        """Set the filters, apply, and wait until the table satisfies `check` (a JS test of its rows' texts)."""
        page.fill("#due-before textarea, #due-before input", before)
        page.fill("#targets-search textarea, #targets-search input", search)
        page.click("#targets-apply")
        page.wait_for_function(f"(rs => {check})([...document.querySelectorAll('#targets-table tbody tr')]"
                               ".map(r => r.innerText))")
        return rows_text(page)

    pilot = apply("rs.length > 0 && rs.every(r => r.toLowerCase().includes('pilot firms'))", search="pilot firms")
    assert not any("Harbour" in r for r in pilot)
    due = apply("rs.length > 0 && rs.some(r => r.includes('shared logistics')) && !rs.some(r => r.includes('2026'))",
                before="2025-06-30")
    assert all(r.split()[0] <= "2025-06-30" for r in due)
    both = apply("rs.length === 1 && rs[0].includes('pilot firms')", before="2025-12-31", search="pilot")
    assert "At least 60% of pilot firms" in both[0]
    page.wait_for_function("document.querySelector('#targets-note').innerText.includes('1 row.')")
    apply(f"rs.length === {len(every)}")  # back to all rows
    shot(page, "targets")


def _column_boxes(page) -> dict[str, dict]:
    return page.evaluate("""Object.fromEntries([...document.querySelectorAll('#targets-table th')].map(th => {
        const r = th.getBoundingClientRect(); return [th.innerText.trim(), {left: r.left, right: r.right}]; }))""")


def test_targets_readable_at_1366_px(admin_page):
    page = admin_page
    page.set_viewport_size(WIDE)
    _targets(page)
    boxes = _column_boxes(page)
    for col in ("Due", "Value", "Statement", "Document"):
        assert col in boxes and 0 <= boxes[col]["left"] and boxes[col]["right"] <= WIDE["width"], (col, boxes)
    assert boxes["Statement"]["right"] - boxes["Statement"]["left"] > 300  # the statement has room to be read
    assert "Span" not in boxes and "Doc ID" not in boxes
    font = page.evaluate("getComputedStyle(document.querySelector('#targets-table td')).fontFamily").lower()
    assert "mono" not in font and "courier" not in font, font


def test_garbled_figure_is_flagged_in_the_table_and_the_csv(admin_page, app_url):
    page = admin_page
    _targets(page)
    row = page.locator("#targets-table tbody tr", has_text="613%")
    assert row.count() == 1 and "garbled" in (row.get_attribute("class") or "")
    assert "⚠" in row.inner_text()
    href = page.get_attribute("#targets-csv a", "href")
    rows = list(csv.DictReader(io.StringIO(page.request.get(app_url + href).text())))
    flagged = [r for r in rows if "613%" in r["value"]]
    assert len(flagged) == 1 and flagged[0]["garbled"].lower() == "true"
    assert all(r["garbled"].lower() == "false" for r in rows if "60%" in r["value"])


# ---------------------------------------------------------------------------- Documents

def test_documents_table_is_readable(admin_page):
    page = admin_page
    open_tab(page, "Documents")
    page.wait_for_selector("#docs-table tr[data-doc='provincial-reform-plan']")
    date = page.locator("#docs-table tr[data-doc='provincial-reform-plan'] td[data-label=Date]")
    assert date.inner_text() == "2024-03-15"
    box = date.bounding_box()
    assert box["height"] < 40 and box["width"] > 60  # one line, not a letter a line


def test_upload_reports_each_file_honestly(admin_page, tmp_path):
    page = admin_page
    good = tmp_path / "Coastal wind plan (draft).md"
    good.write_text("---\ntitle: Coastal wind energy plan\nissuer: Coastal Energy Bureau\ndate: 2024-05-20\n---\n"
                    "# Coastal wind energy plan\n\nThe coastal region shall install 300 offshore wind turbines by the "
                    "end of 2027. The bureau will review turbine safety every six months.\n", encoding="utf-8")
    broken = tmp_path / "broken scan.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    open_tab(page, "Documents")
    page.set_input_files("#upload-files input[type=file]", [str(good), str(broken)])
    page.wait_for_selector("#upload-files :text('broken')")
    page.click("#upload-btn")
    page.wait_for_function("document.querySelector('#docs-message').innerText.includes('added')")
    bad = page.locator("#docs-message li", has_text="broken_scan.pdf")
    assert "msg-bad" in bad.get_attribute("class") and "❌" in bad.inner_text() and "Not indexed" in bad.inner_text()
    assert "✅" not in bad.inner_text()
    ok = page.locator("#docs-message li", has_text="Coastal_wind_plan_draft.md")
    assert "✅" in ok.inner_text() and "indexed" in ok.inner_text()
    assert "1 file not indexed" in page.inner_text("#docs-message")
    page.wait_for_function("document.querySelector('#index-status').innerText.includes('5 documents')")
    message = ask(page, "How many offshore wind turbines shall the coastal region install?")
    assert "300 offshore wind turbines" in message.inner_text() and "Coastal wind energy plan" in message.inner_text()
    shot(page, "upload-answer")


def test_remove_and_reindex_ask_first(admin_page):
    page = admin_page
    open_tab(page, "Documents")
    page.wait_for_selector("#docs-table tr[data-doc='coastal-wind-plan-draft'], #docs-table tr[data-file*='Coastal']")
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name="Coastal wind energy plan").first.click()
    page.click("#remove-btn")
    page.wait_for_selector("#remove-confirm", state="visible")
    assert "Remove “Coastal wind energy plan”" in page.inner_text("#remove-confirm")
    page.click("#remove-no")
    page.wait_for_selector("#remove-confirm", state="hidden")
    assert "Coastal wind energy plan" in page.inner_text("#docs-table")  # nothing happened
    page.click("#remove-btn")
    page.click("#remove-yes")
    page.wait_for_function("document.querySelector('#docs-message').innerText.includes('Removed Coastal wind energy plan')")
    page.wait_for_function("!document.querySelector('#docs-table').innerText.includes('Coastal wind energy plan')")
    page.click("#reindex-btn")
    page.wait_for_selector("#reindex-confirm", state="visible")
    page.click("#reindex-no")
    page.wait_for_selector("#reindex-confirm", state="hidden")
    assert "added" not in page.inner_text("#docs-message")


def test_feedback_is_stored_and_exported(admin_page, app_url):
    page = admin_page
    ask(page, PILOT)
    page.get_by_text("Feedback on the last answer").click()
    page.fill("#feedback-comment textarea", "Clear <b>answer</b>")
    page.click("#feedback-btn")
    page.wait_for_function("document.querySelector('#feedback-comment textarea').value === ''")
    page.locator("#chat button[aria-label='Like']").last.click()
    open_tab(page, "Documents")
    page.click("#feedback-export")
    link = page.wait_for_selector("#feedback-file a[href]")
    csv_text = page.request.get(app_url + link.get_attribute("href")).text()
    assert csv_text.startswith("ts,question,answer,sources_json,rating,comment")
    assert "Clear <b>answer</b>" in csv_text and ",like," in csv_text
    assert csv_text.count("What share of pilot firms") == 2  # the comment + the thumbs-up


def test_training_tab(admin_page):
    page = admin_page
    open_tab(page, "Training")
    page.click("#training-btn")
    page.wait_for_function("document.querySelector('#training-quiz').innerText.includes('Answer')"
                           " && document.querySelector('#training-brief').innerText.includes('Training brief')")
    brief = page.inner_text("#training-brief")
    assert "Answer" in page.inner_text("#training-quiz") and "12 new freight sidings" in brief
    assert "**" not in brief and "**" not in page.inner_text("#training-quiz")  # a document's bold markers
    assert page.evaluate("typeof window.__xss") == "undefined"
    shot(page, "training")


# ---------------------------------------------------------------------------- readers, phones

def test_reader_cannot_upload(browser, app_url):
    ctx, page = login(browser, app_url, READER)
    page.wait_for_function("document.querySelector('#index-status').innerText.includes('reader')")
    open_tab(page, "Documents")
    assert page.get_by_text("Only administrators can add or remove documents.").is_visible()
    assert not page.locator("#upload-btn").is_visible()
    ctx.close()


def test_phone_width(browser, app_url):
    ctx, page = login(browser, app_url, READER, viewport=PHONE)
    message = ask(page, PILOT)
    assert message.locator(".src-card").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 10
    shot(page, "phone-ask")
    _targets(page)
    row = page.locator("#targets-table tbody tr", has_text="At least 60% of pilot firms").first
    for label in ("Due", "Value", "Statement"):
        cell = row.locator(f"td[data-label='{label}']")
        box = cell.bounding_box()
        assert cell.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (label, box)
    assert row.locator("td[data-label=Value]").inner_text().endswith("60%")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 10
    shot(page, "phone-targets")
    ctx.close()
