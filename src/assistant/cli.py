"""`assistant`: the command line. Every command calls the same `Assistant` API
as the web app; JSON shapes follow ../shared/GUIDE.md."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assistant.config import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers over reform-policy documents.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print tables.")
app.add_typer(bench_app, name="bench")
console = Console(stderr=True, soft_wrap=True)  # an error stays one line, however narrow the terminal
out = Console(soft_wrap=True)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Index folder (default ./data or ASSISTANT_DATA_DIR).")]
Doc = Annotated[Optional[list[str]], typer.Option("--doc", help="Only these document ids (repeatable).")]
Issuer = Annotated[Optional[list[str]], typer.Option("--issuer", help="Only documents from this issuer (repeatable).")]
Since = Annotated[Optional[str], typer.Option("--since", help="Only documents dated on or after YYYY-MM-DD.")]
Until = Annotated[Optional[str], typer.Option("--until", help="Only documents dated on or before YYYY-MM-DD.")]


def _assistant(data_dir: Path | None, **overrides):
    from assistant.core import Assistant

    return Assistant(get_settings(data_dir=data_dir, **overrides))


def _fail(message: str, code: int = 1):
    console.print(Text.assemble(("Error: ", "red"), str(message)))  # the message may quote user input: no markup
    raise typer.Exit(code)


def _guard(fn):
    """Turn known errors into one clear line instead of a traceback."""
    from assistant.core import QuestionError
    from assistant.store import IndexError_

    try:
        return fn()
    except (IndexError_, QuestionError) as exc:
        _fail(str(exc))


@app.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: corpus/).")] = None,
    data_dir: DataDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    no_prune: Annotated[bool, typer.Option("--no-prune", help="Keep documents whose files were deleted.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and build it again.")] = False,
):
    """Index files and folders (txt, md, html, pdf, docx) into the index."""
    a = _assistant(data_dir)
    targets = [str(p) for p in (paths or [a.settings.corpus_dir])]
    report = _guard(lambda: a.ingest(targets, prune=not no_prune, rebuild=rebuild, progress=not json_out and sys.stderr.isatty()))
    if json_out:
        out.print_json(report.model_dump_json())
        return
    t = Table(title=f"Ingested {', '.join(targets)} into {a.settings.data_dir}")
    for col in ("added", "updated", "unchanged", "removed", "chunks written", "chunks total", "seconds"):
        t.add_column(col, justify="right")
    t.add_row(*(str(x) for x in (report.added, report.updated, report.unchanged, report.removed,
                                 report.chunks_written, report.chunks_total, report.seconds)))
    out.print(t)
    for w in report.warnings:
        where = f" at {w.start}-{w.end}" if w.start is not None else ""
        out.print(f"[yellow]warning[/yellow] {w.file}{where}: {w.message}" + (f" — “{w.excerpt}”" if w.excerpt else ""))


@app.command()
def docs(data_dir: DataDir = None, json_out: Annotated[bool, typer.Option("--json")] = False):
    """List the indexed documents."""
    a = _assistant(data_dir)
    documents = _documents(a, None)
    rows = [{"doc_id": d.doc_id, "title": d.title, "issuer": d.metadata.get("issuer", ""), "date": d.metadata.get("date"),
             "doc_type": d.metadata.get("doc_type", ""), "chunks": d.metadata.get("chunks"), "source": d.metadata.get("path", ""),
             "language": d.metadata.get("language", ""), "doc_number": d.metadata.get("doc_number", ""),
             "relpath": d.metadata.get("relpath", "")} for d in documents]
    if json_out:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    t = Table(title=f"{len(rows)} documents in {a.settings.data_dir}")
    for col in ("doc_id", "title", "issuer", "date", "type", "chunks", "source"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["doc_id"], r["title"], r["issuer"], r["date"] or "", r["doc_type"], str(r["chunks"]), r["source"])
    out.print(t)


def _documents(a, doc: list[str] | None) -> list:
    """The indexed documents, or those named by --doc; an unknown id is an error that says where to look."""
    documents = _guard(a.documents)
    unknown = [d for d in doc or [] if d not in documents]
    if unknown:
        _fail(f"No indexed document with id {', '.join(map(repr, unknown))}; `assistant docs` lists them.")
    return [d for d in documents.values() if not doc or d.doc_id in doc]


def _filters(doc, issuer, since, until) -> dict:
    return {"doc": doc or [], "issuer": issuer or [], "since": since, "until": until}


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The question.")] = None,
    data_dir: DataDir = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the answer object as JSON.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='Read {"id","question"} lines on stdin, write one JSON answer per line.')] = False,
    doc: Doc = None, issuer: Issuer = None, since: Since = None, until: Until = None,
    stream: Annotated[bool, typer.Option("--stream", help="With ASSISTANT_LLM set: print the generated answer as it is written, then the citations.")] = False,
):
    """Answer a question with citations (or say the documents do not contain it)."""
    if stream and (json_out or jsonl):
        _fail("--stream prints text as it comes; it cannot be combined with --json or --jsonl.")
    a = _assistant(data_dir)
    filters = _filters(doc, issuer, since, until)
    if jsonl:
        _guard(lambda: _ask_jsonl(a, filters))
        return
    if not question:
        _fail("Give a question, or use --jsonl to read questions from stdin.")
    _ask_one(a, question, filters, json_out, stream)


def _ask_jsonl(a, filters) -> None:
    """One JSON answer per stdin line; a bad line gets an error object, a dead index stops with one message."""
    from assistant.core import QuestionError

    for line in sys.stdin:
        if not line.strip():
            continue
        item = None
        try:
            item = json.loads(line)
            ans = a.ask(item["question"], history=item.get("history"), filters=item.get("filters") or filters, id=item.get("id"))
            print(ans.model_dump_json(), flush=True)
        except (QuestionError, KeyError, json.JSONDecodeError, TypeError) as exc:
            print(json.dumps({"id": item.get("id") if isinstance(item, dict) else None,
                              "error": str(exc) if not isinstance(exc, KeyError) else "missing field 'question'"}), flush=True)


def _ask_one(a, question: str, filters, json_out: bool, stream: bool) -> None:
    streamed: list[str] = []

    def on_token(piece: str) -> None:
        streamed.append(piece)
        sys.stdout.write(piece)
        sys.stdout.flush()

    ans = _guard(lambda: a.ask(question, filters=filters, on_token=on_token if stream else None))
    if json_out:
        print(ans.model_dump_json(indent=2))
        return
    if streamed:  # the generated text is on screen; say so when the checked answer differs
        sys.stdout.write("\n")
        if "".join(streamed).strip() != ans.answer.strip():
            out.print("--- " + ("The generated answer above failed the check against its sources; the extractive answer:"
                               if ans.answerer != "llm" else "As checked:"), markup=False)
            out.print(ans.answer, markup=False)
    else:
        out.print(ans.answer if ans.refused else ans.answer, markup=False)
    for c in ans.citations:
        out.print(f"[{c.n}] {c.title} ({c.issuer or 'unknown issuer'}, {c.date or 'undated'}), chars {c.start}-{c.end}", markup=False)
    for w in ans.warnings:
        out.print(f"warning: {w}", style="yellow", markup=False)


@app.command()
def retrieve(
    question: str, data_dir: DataDir = None,
    k: Annotated[int, typer.Option("--k", help="How many chunks.")] = 8,
    mode: Annotated[str, typer.Option(help="hybrid | dense | lexical")] = "hybrid",
    json_out: Annotated[bool, typer.Option("--json")] = False,
    doc: Doc = None, issuer: Issuer = None, since: Since = None, until: Until = None,
):
    """Show the ranked chunks (scores and metadata) for a question."""
    a = _assistant(data_dir)
    hits = _guard(lambda: a.retrieve(question, k=k, filters=_filters(doc, issuer, since, until), mode=mode))
    if json_out:
        print(json.dumps([h.model_dump() for h in hits], ensure_ascii=False, indent=2))
        return
    t = Table(title=f"Top {len(hits)} chunks")
    for col in ("rank", "score", "dense", "bm25", "doc", "span", "heading", "text"):
        t.add_column(col)
    for h in hits:
        c = h.chunk
        t.add_row(str(h.rank), f"{h.score:.4f}", "" if h.dense is None else f"{h.dense:.3f}",
                  "" if h.lexical is None else f"{h.lexical:.2f}", c.doc_id, f"{c.start}-{c.end}", c.heading, c.text[:160])
    out.print(t)


_TERMINAL_COLUMNS = ("Due", "Value", "Kind", "Metric", "Deadline as written", "Document", "Check")


@app.command()
def targets(
    data_dir: DataDir = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    csv_out: Annotated[bool, typer.Option("--csv")] = False,
    doc: Doc = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="target | deadline | reported")] = None,
    due_before: Annotated[Optional[str], typer.Option("--due-before", help="YYYY-MM-DD (or YYYY, YYYY-Qn, YYYY-MM)")] = None,
    issuer: Issuer = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Write a timeline chart (.png or .html).")] = None,
):
    """The targets and deadlines ledger; rows holding a possibly garbled figure are flagged."""
    from assistant.ledger import TABLE_COLUMNS, filter_targets, ledger_rows, table_rows, targets_to_csv

    if plot and plot.suffix.lower() not in (".png", ".html", ".htm"):
        _fail(f"--plot writes .png or .html files, not {plot.suffix or 'a file without a suffix'}.")
    a = _assistant(data_dir)
    try:
        rows = filter_targets(ledger_rows(_documents(a, doc)), kind=kind, due_before=due_before, issuer=issuer)
    except ValueError as exc:
        _fail(str(exc))
    if plot:
        from assistant.timeline import save_timeline

        save_timeline(rows, plot)
        console.print(f"Timeline written to {plot}")
    if json_out:
        print(json.dumps([r.model_dump() for r in rows], ensure_ascii=False, indent=2))
    elif csv_out:
        sys.stdout.write(targets_to_csv(rows))
    elif not plot:
        flagged = sum(r.garbled for r in rows)
        t = Table(title=f"{len(rows)} ledger rows" + (f", {flagged} with a possibly garbled figure" if flagged else ""))
        picked = [TABLE_COLUMNS.index(c) for c in _TERMINAL_COLUMNS]
        for col in _TERMINAL_COLUMNS:
            t.add_column(col)
        for cells in table_rows(rows):
            t.add_row(*(Text(cells[i]) for i in picked))  # document text is never read as rich markup
        out.print(t)


@app.command()
def brief(data_dir: DataDir = None, doc: Doc = None):
    """Priorities, targets and deadlines of each document, with citations, as Markdown."""
    from assistant.training import brief_markdown

    a = _assistant(data_dir)
    print(brief_markdown(_documents(a, doc)))


@app.command()
def quiz(data_dir: DataDir = None, doc: Doc = None, n: Annotated[int, typer.Option("--n", min=1)] = 10,
         json_out: Annotated[bool, typer.Option("--json")] = False, seed: int = 0):
    """Training questions with short answers checked against the cited source sentence."""
    from assistant.training import build_quiz, quiz_json, quiz_markdown

    a = _assistant(data_dir)
    items = build_quiz(_documents(a, doc), n=n, seed=seed)
    print(quiz_json(items) if json_out else quiz_markdown(items))


@app.command("eval")
def eval_(
    files: Annotated[list[Path], typer.Argument(help="Question sets (.jsonl).")],
    data_dir: DataDir = None,
    index: Annotated[Optional[list[Path]], typer.Option("--index", help="Build a temporary index of these paths first.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
):
    """Answer quality on question sets: facts, citations, verbatim quotes, refusals. Exit 1 on any miss."""
    from assistant.evaluate import evaluate

    tmp = tempfile.TemporaryDirectory(prefix="assistant-eval-") if index else None
    a = _assistant(Path(tmp.name) if tmp else data_dir)
    if index:
        report = a.ingest([str(p) for p in index])
        console.print(f"Indexed {report.added} documents ({report.chunks_total} chunks) in {report.seconds:.1f}s")
    failed = False
    for f in files:
        rep = _guard(lambda: evaluate(a, f))
        failed |= not rep.passed
        if json_out:
            print(json.dumps({"file": str(f), "totals": rep.totals(), "results": [r.model_dump() for r in rep.results]}, ensure_ascii=False))
            continue
        t = Table(title=f"{f}")
        for col in ("id", "ok", "facts", "evidence", "verbatim", "refusal", "words", "answer"):
            t.add_column(col)
        mark = {True: "✓", False: "✗"}
        for r in rep.results:
            t.add_row(r.id, mark[r.ok], mark[r.facts_ok], mark[r.evidence_ok], mark[r.verbatim_ok], mark[r.refusal_ok],
                      str(r.answer_words), r.answer[:90].replace("\n", " "))
        out.print(t)
        out.print(rep.totals())
    if tmp:
        tmp.cleanup()
    raise typer.Exit(1 if failed else 0)


@app.command()
def tune(
    shared: Annotated[Path, typer.Option("--shared", help="The folder with eval/, policy-notes/ and real-docs/.")] = Path("../shared"),
    corpus: Annotated[Path, typer.Option("--corpus", help="The seed corpus folder.")] = Path("corpus"),
    workdir: Annotated[Optional[Path], typer.Option("--workdir", help="Keep the indexes here (reused on the next run).")] = None,
    write: Annotated[bool, typer.Option("--write", help="Write the model fitted on every question to the package.")] = False,
    model_out: Annotated[Optional[Path], typer.Option("--out", help="Write the model here instead.")] = None,
    check: Annotated[Optional[Path], typer.Option("--check", help="Fail (exit 1) when an out-of-fold score is below these floors (JSON).")] = None,
    only: Annotated[Optional[list[str]], typer.Option("--set", help="Only these sets (dev, notes-dev, real-dev).")] = None,
):
    """Fit the answer model on the dev sets and report out-of-fold scores (folds grouped by document)."""
    from assistant.answer import tuning
    from assistant.answer.model import DEFAULT_PATH

    if not (shared / "eval").is_dir():
        _fail(f"{shared}/eval not found: point --shared at the folder holding eval/, policy-notes/ and real-docs/.")
    target = model_out or (DEFAULT_PATH if write else None)
    code = _guard(lambda: tuning.main(shared, corpus, workdir, target, check, out, only))
    raise typer.Exit(code)


@bench_app.command("beir")
def bench_beir(
    corpus: Annotated[Path, typer.Option("--corpus")],
    queries: Annotated[Path, typer.Option("--queries")],
    qrels: Annotated[Optional[Path], typer.Option("--qrels")] = None,
    run_out: Annotated[Optional[Path], typer.Option("--run-out")] = None,
    data_dir: DataDir = None,
    modes: Annotated[str, typer.Option("--modes", help="Comma-separated: hybrid,dense,lexical")] = "hybrid",
    limit: Annotated[int, typer.Option("--limit", help="Only the first N queries (0 = all).")] = 0,
):
    """Retrieval on a BEIR-format set: TREC run file, nDCG@10, Recall@10/100, MRR@10, latency."""
    from assistant.beir import run_beir

    a = _assistant(data_dir or Path("data") / f"beir-{corpus.name.split('.')[0]}")
    run_beir(a, corpus, queries, qrels, run_out, [m.strip() for m in modes.split(",") if m.strip()], limit, out)


def main():  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
