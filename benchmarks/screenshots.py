"""The README's screenshots, taken from the shipped corpus: `make screenshots`.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/screenshots.py [--corpus corpus] [--out docs/screenshots]

Starts the real app (`python app.py`, loopback, a temporary data folder that it indexes
from `--corpus` on first start), drives Debian's Chromium through Playwright and writes
    ask.png            Ask at 1366 px: two answers with their sources, one in Chinese
    targets.png        Targets & deadlines at 1366 px
    documents.png      Documents at 1366 px
    phone-ask.png      Ask on a 390 px phone
    phone-targets.png  Targets & deadlines on a 390 px phone
Waits on content only. Chinese text needs a CJK font (fonts-noto-cjk, `make browser`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import free_port, start_app, stop_app, wait_ready  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
QUESTIONS = ["What share of the main tasks should be completed by the end of 2024?",
             "2024年要完成多少主要任务？"]
ANSWERS = "#chat .ans:not(.ans-streaming)"


def answered(page, n: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('{ANSWERS}').length >= {n}"
                           " && !document.querySelector('#ask-status').innerText.includes('Answering')")


def ask(page, questions: list[str]) -> None:
    page.wait_for_selector("#question textarea")
    for i, q in enumerate(questions, 1):
        page.fill("#question textarea", q)
        page.press("#question textarea", "Enter")
        answered(page, i)


def targets(page) -> None:
    page.get_by_role("tab", name="Targets & deadlines").click()
    page.wait_for_selector("#targets-table tbody tr")
    page.wait_for_selector("#timeline .js-plotly-plot")


def main(argv: list[str] | None = None) -> int:
    import playwright.sync_api as sync_api

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Debian chromium is not installed at {CHROMIUM}: run `make browser`.")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_app(Path(tmp) / "data", args.corpus.resolve(), port, Path(tmp) / "app.log")
        try:
            wait_ready(url, proc)
            with sync_api.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                wide = browser.new_page(viewport={"width": 1366, "height": 1000})
                wide.set_default_timeout(120_000)
                wide.goto(url + "/")
                ask(wide, QUESTIONS)
                # the first answer's [1] brings its own card into view, as a reader would click it
                wide.locator(f"{ANSWERS} a.cite").first.click()
                wide.wait_for_function("""(() => { const c = document.querySelector('#chat .src-card');
                    const b = c.closest('.bubble-wrap').getBoundingClientRect(), r = c.getBoundingClientRect();
                    return r.top >= b.top - 2 && r.bottom <= b.bottom + 2; })()""")
                wide.screenshot(path=str(args.out / "ask.png"))
                targets(wide)
                wide.screenshot(path=str(args.out / "targets.png"), full_page=True)
                wide.get_by_role("tab", name="Documents").click()
                wide.wait_for_selector("#docs-table table")
                wide.screenshot(path=str(args.out / "documents.png"))
                phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
                phone.set_default_timeout(120_000)
                phone.goto(url + "/")
                ask(phone, QUESTIONS[:1])
                phone.screenshot(path=str(args.out / "phone-ask.png"))
                targets(phone)
                phone.locator("#targets-table").scroll_into_view_if_needed()
                phone.screenshot(path=str(args.out / "phone-targets.png"))
                browser.close()
        finally:
            stop_app(proc)
    for name in ("ask", "targets", "documents", "phone-ask", "phone-targets"):
        print(f"wrote {args.out / (name + '.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
