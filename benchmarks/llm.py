"""Generated (LLM) answers next to extractive ones on ../shared/eval/*.jsonl.

    ASSISTANT_LLM=ollama ASSISTANT_LLM_MODEL=llama3.1:8b .venv/bin/python benchmarks/llm.py
    ASSISTANT_LLM=openai ASSISTANT_LLM_BASE_URL=http://127.0.0.1:8000/v1 ASSISTANT_LLM_MODEL=Qwen/Qwen2.5-7B-Instruct \\
        .venv/bin/python benchmarks/llm.py [--data-dir DIR] [SET.jsonl ...]

Per question set, over a temporary index built as `make eval` builds it (corpus/
for dev.jsonl, corpus/ + ../shared/policy-notes for notes-dev.jsonl; or one
existing index with --data-dir), both answerers are scored by
src/assistant/evaluate.py: facts, citations (the expected evidence is cited),
verbatim quotes, refusals. For the LLM also: generated answers that failed the
grounding check, answers that fell back to the extractive answerer (failed check
or endpoint error), and time to first token (answers are streamed).

Exits 2 with a message when no LLM endpoint is configured or it does not answer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from assistant.config import get_settings  # noqa: E402

SHARED = ROOT.parent / "shared"
HOW = """Configure an endpoint, for example:
  ASSISTANT_LLM=ollama ASSISTANT_LLM_MODEL=llama3.1:8b
  ASSISTANT_LLM=openai ASSISTANT_LLM_BASE_URL=http://127.0.0.1:8000/v1 ASSISTANT_LLM_MODEL=<served model>
  ASSISTANT_LLM=llamacpp ASSISTANT_LLM_MODEL_PATH=/path/to/model.gguf"""


class Recorder:
    """What evaluate() needs from an Assistant, streaming every answer to time its first token."""

    def __init__(self, assistant):
        self.a = assistant
        self.answers = []

    def documents(self):
        return self.a.documents()

    def ask(self, question, **kw):
        t = time.perf_counter()
        ans = self.a.ask(question, on_token=lambda _: None, **kw)
        ans.timings_ms.setdefault("wall", round((time.perf_counter() - t) * 1000, 1))
        self.answers.append(ans)
        return ans


def _pct(values: list[float], q: float) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(round(q * (len(values) - 1))))]:.0f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", type=Path, help="question sets (default ../shared/eval/*.jsonl)")
    ap.add_argument("--data-dir", type=Path, help="use this existing index for every set")
    args = ap.parse_args()

    settings = get_settings()
    from assistant.answer.chat import chat_model, describe_error, is_configured, run_chain

    why = is_configured(settings)
    if why:
        print(f"benchmarks/llm.py needs an LLM endpoint: {why}.\n{HOW}", file=sys.stderr)
        return 2
    try:  # one tiny call, so a dead endpoint is reported once rather than as N fallbacks
        from langchain_core.output_parsers import StrOutputParser

        run_chain(chat_model(settings) | StrOutputParser(), "Reply with the word OK.", settings.llm_timeout, settings=settings)
    except Exception as exc:  # noqa: BLE001
        print(f"benchmarks/llm.py: the LLM endpoint does not answer: {describe_error(exc, settings)}\n{HOW}", file=sys.stderr)
        return 2

    from rich.console import Console
    from rich.table import Table

    from assistant.core import Assistant
    from assistant.evaluate import evaluate

    console = Console()
    sets = args.sets or sorted((SHARED / "eval").glob("*.jsonl"))
    t = Table(title=f"LLM ({settings.llm}: {settings.llm_model or settings.llm_model_path}) vs extractive, "
                    f"on_ungrounded={settings.llm_on_ungrounded}")
    for col in ("set", "answerer", "questions", "all ok", "facts", "citations", "verbatim", "refusals",
                "grounding failures", "fell back", "first token p50/p95 ms", "answer p50 ms"):
        t.add_column(col, justify="right" if col not in ("set", "answerer") else "left")
    for path in sets:
        tmp = None
        data_dir = args.data_dir
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="assistant-llm-bench-")
            data_dir = Path(tmp.name)
            paths = [str(ROOT / "corpus")] + ([str(SHARED / "policy-notes")] if "notes" in path.name else [])
            report = Assistant(data_dir=data_dir, llm="none").ingest(paths)
            console.print(f"{path.name}: indexed {report.added} documents ({report.chunks_total} chunks) in {report.seconds:.1f}s")
        for name, assistant in (("extractive", Assistant(data_dir=data_dir, llm="none")), ("llm", Assistant(data_dir=data_dir))):
            rec = Recorder(assistant)
            rep = evaluate(rec, path)
            tot = rep.totals()
            checked = [a for a in rec.answers if a.grounding.checked]
            failed = sum(not a.grounding.ok for a in checked)
            fell_back = sum(a.answerer == "extractive" for a in rec.answers) if name == "llm" else 0
            ttft = [a.timings_ms["first_token"] for a in rec.answers if "first_token" in a.timings_ms]
            wall = [a.timings_ms.get("wall", a.timings_ms.get("total", 0.0)) for a in rec.answers]
            t.add_row(path.name, name, str(tot["questions"]), str(tot["all_ok"]), str(tot["facts"]), str(tot["evidence"]),
                      str(tot["verbatim"]), str(tot["refusals"]),
                      f"{failed}/{len(checked)}" if name == "llm" else "-", str(fell_back) if name == "llm" else "-",
                      f"{_pct(ttft, 0.5)}/{_pct(ttft, 0.95)}" if ttft else "-",
                      f"{statistics.median(wall):.0f}" if wall else "-")
            if name == "llm":
                for a in rec.answers:
                    for w in a.warnings[:1]:
                        if a.answerer == "extractive" and a.grounding.checked or "LLM" in w:
                            console.print(f"  [dim]{a.question[:60]}: {w[:160]}[/dim]")
        if tmp:
            tmp.cleanup()
    console.print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
