"""Fitting the answer model from labelled question sets, and measuring it out of fold.

    assistant tune --shared ../shared            # out-of-fold report, per set and per kind
    assistant tune --shared ../shared --write    # ... and write answer_model.json (fitted on everything)
    assistant tune --shared ../shared --check eval/floors.json   # make eval: fail below the floors

Each question set is answered over its own temporary index (`dev`: corpus/; `notes-dev`:
corpus/ + policy-notes/; `real-dev`: corpus/ + real-docs/). A candidate sentence is a
positive when it overlaps the question's `evidence` (the scorer's rule). Folds are
grouped by document (`doc`, else the set's only document, else the question itself):
no document is in both the fitting and the scoring part of a fold. Within the fitting
part, a second level of grouped folds gives the held-out probabilities that the refusal
head and its threshold are fitted on, so the threshold is never chosen on the questions
it is scored on.
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.answer.features import ALL, CHEAP, covers_question
from assistant.answer.model import QUESTION, AnswerModel, LinearHead, lacks_answer, question_vector
from assistant.answer.question import asks_two

MAX_ANSWERED_UNANSWERABLE = 0.10   # at most one unanswerable question in ten gets an answer
SECOND_SENTENCE_COST = 0.1         # a runner-up is quoted only if it fixes one answer per ten it is added to
REFUSAL_C = 0.02                   # the refusal head's regularisation: some 150 questions for 22 inputs want a strong
                                   # prior (at 0.1 its weights took spurious signs, such as a term the index never
                                   # mentions making an answer more likely, and a fixture's unanswerable question was answered)


@dataclass
class QuestionSet:
    name: str
    questions: Path
    index: list[Path]            # files and folders to index


def question_sets(shared: Path, corpus: Path) -> list[QuestionSet]:
    """The three dev sets of GUIDE.md and the documents each is asked over."""
    def files(folder: Path) -> list[Path]:
        return sorted(p for p in folder.iterdir() if p.is_file() and p.name != "SOURCES.md")

    return [QuestionSet("dev", shared / "eval" / "dev.jsonl", files(corpus)),
            QuestionSet("notes-dev", shared / "eval" / "notes-dev.jsonl", files(corpus) + files(shared / "policy-notes")),
            QuestionSet("real-dev", shared / "eval" / "real-dev.jsonl", files(corpus) + files(shared / "real-docs"))]


@dataclass
class Record:
    """One question: its candidates' features and labels (all the fitting needs)."""

    set: str
    item: dict
    group: str
    X: np.ndarray
    y: np.ndarray
    unknown_share: float
    typed: bool
    n_terms: int
    texts: list[str] = field(default_factory=list)   # the candidates (for reading misses)
    special: bool = False   # answered by a stage before the extractive one (byline, ledger): not for the ranker
    two_asks: bool = False  # the question asks two things (a refusal feature)
    answer_type: str = "other"  # the kind of answer asked for (figure and date questions lacking one are refused)

    @property
    def answerable(self) -> bool:
        return bool(self.item.get("answerable", True))


# ---------------------------------------------------------------- the scorer's rules

def fold(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip().lower()


def overlaps(quote: str, evidence: str, w: int = 40) -> bool:
    """`../shared/eval/score.py`'s citation rule: one contains the other, or they share a 40-character window."""
    q, e = fold(quote), fold(evidence)
    if not q or not e:
        return False
    if e in q or q in e:
        return True
    return any(e[i:i + w] in q for i in range(0, max(1, len(e) - w + 1), 5))


def judge(item: dict, ans: dict) -> dict:
    """facts / cited / refused for one answer object, as `score.py` counts them."""
    answer = fold(ans.get("answer", ""))
    refused = bool(ans.get("refused"))
    if not item.get("answerable", True):
        return {"answerable": False, "refused": refused, "facts": False, "cited": False}
    facts = not refused and facts_in(item, answer)
    cited = bool(item.get("evidence")) and any(overlaps(c.get("quote", ""), item["evidence"]) for c in ans.get("citations") or [])
    return {"answerable": True, "refused": refused, "facts": facts, "cited": cited}


# ---------------------------------------------------------------- collecting

def read_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def group_of(item: dict, qset: QuestionSet) -> str:
    if item.get("doc"):
        return Path(item["doc"]).stem
    docs = [p for p in qset.index if p.suffix]
    if len(docs) == 1:
        return docs[0].stem
    return f"q:{item['id']}"


def collect(assistant, qset: QuestionSet, items: list[dict]) -> list[Record]:
    """Features and labels of every candidate of every question (dense features for all)."""
    stage = extractive_stage(assistant)
    neutral = AnswerModel.neutral()
    out = []
    for item in items:
        ctx = assistant.context()
        turn = assistant.pipeline.turn(item["question"], item.get("history"), item.get("filters"), ctx=ctx)
        hits = assistant.pipeline.search(turn)
        special = any(s.answer(turn, hits, ctx) is not None for s in assistant.pipeline.stages
                      if s.name in ("byline", "ledger"))
        an = stage.analyse(turn, hits, ctx, model=neutral, dense_for_all=True)
        X = np.vstack([c.x for c in an.cands]) if an.cands else np.zeros((0, len(ALL)), dtype=np.float32)
        ev = item.get("evidence") or ""
        y = np.array([bool(ev) and overlaps(c.text, ev) for c in an.cands], dtype=bool)
        out.append(Record(qset.name, item, group_of(item, qset), X, y, an.unknown_share,
                          turn.info.answer_type != "other", len(turn.info.terms), [c.text for c in an.cands], special,
                          asks_two(turn.info.text), turn.info.answer_type))
    return out


def extractive_stage(assistant):
    from assistant.answer.extractive import ExtractiveStage

    return next(s for s in assistant.pipeline.stages if isinstance(s, ExtractiveStage))


# ---------------------------------------------------------------- fitting

def fit_head(X: np.ndarray, y: np.ndarray, names: list[str], C: float = 0.5,
             sample_weight: np.ndarray | None = None) -> LinearHead:
    from sklearn.linear_model import LogisticRegression

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-6] = 1.0
    if len(set(y.tolist())) < 2:
        return LinearHead(features=names, mean=mean.tolist(), scale=scale.tolist(), coef=[0.0] * len(names),
                          intercept=float(np.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3))))
    lr = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    lr.fit((X - mean) / scale, y, sample_weight=sample_weight)
    return LinearHead(features=names, mean=mean.tolist(), scale=scale.tolist(), coef=lr.coef_[0].tolist(),
                      intercept=float(lr.intercept_[0]))


def _stack(records: list[Record]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rs = [r for r in records if len(r.y) and not r.special]
    X = np.vstack([r.X for r in rs]) if rs else np.zeros((0, len(ALL)))
    y = np.concatenate([r.y for r in rs]) if rs else np.zeros(0, dtype=bool)
    # each question weighs the same, whatever its number of candidates
    w = np.concatenate([np.full(len(r.y), 1.0 / len(r.y)) for r in rs]) if rs else np.zeros(0)
    return X, y, w * (len(y) / max(w.sum(), 1e-9))


def fit_rankers(records: list[Record], C: float) -> tuple[LinearHead, LinearHead]:
    X, y, w = _stack(records)
    return fit_head(X[:, :len(CHEAP)], y, CHEAP, C, w), fit_head(X, y, ALL, C, w)


def ranked_probs(record: Record, prefilter: LinearHead, ranker: LinearHead, shortlist: int) -> tuple[np.ndarray, np.ndarray]:
    """The production ordering of one question's candidates: (indices best first, probabilities)."""
    if not len(record.y):
        return np.zeros(0, dtype=int), np.zeros(0)
    pre = prefilter.prob(record.X[:, :len(CHEAP)])
    order = np.argsort(-pre, kind="stable")
    short = order[:shortlist]
    p = np.zeros(len(record.y))
    p[short] = ranker.prob(record.X[short])
    rest = order[shortlist:]
    p[rest] = pre[rest] * 1e-3
    idx = np.argsort(-p, kind="stable")
    return idx, p[idx]


def _groups_folds(groups: list[str], k: int) -> list[set[str]]:
    """Groups dealt into k folds, largest first (deterministic)."""
    counts: dict[str, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    folds: list[set[str]] = [set() for _ in range(min(k, len(counts)))]
    sizes = [0] * len(folds)
    for g in sorted(counts, key=lambda g: (-counts[g], g)):
        i = sizes.index(min(sizes))
        folds[i].add(g)
        sizes[i] += counts[g]
    return folds


@dataclass
class Heldout:
    """What a model fitted without a question says about it."""

    record: Record
    idx: np.ndarray
    p: np.ndarray


def heldout_rankings(records: list[Record], C: float, shortlist: int, k: int = 5) -> list[Heldout]:
    out = []
    for f in _groups_folds([r.group for r in records], k):
        train = [r for r in records if r.group not in f]
        pre, rank = fit_rankers(train, C)
        for r in records:
            if r.group in f and not r.special:
                out.append(Heldout(r, *ranked_probs(r, pre, rank, shortlist)))
    return out


def top_ok(h: Heldout, second_ratio: float) -> tuple[bool, bool]:
    """(answer right, runner-up added) for a held-out ranking under a runner-up rule."""
    if not len(h.idx):
        return False, False
    right = bool(h.record.y[h.idx[0]])
    added = len(h.idx) > 1 and h.p[1] >= second_ratio * h.p[0] and not covers_question(h.record.X[h.idx[0]])
    if added:
        right = right or bool(h.record.y[h.idx[1]])
    return right, added


def choose_second_ratio(held: list[Heldout]) -> float:
    answerable = [h for h in held if h.record.answerable]
    best, best_u = 1.01, -1e9
    for r in (1.01, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5):
        res = [top_ok(h, r) for h in answerable]
        u = sum(ok for ok, _ in res) - SECOND_SENTENCE_COST * sum(add for _, add in res)
        if u > best_u + 1e-9:
            best, best_u = r, u
    return best


def facts_in(item: dict, text: str) -> bool:
    """The facts rule of `score.py`: every `all_of` and one `any_of` string in the text."""
    t = fold(text)
    return all(fold(x) in t for x in item.get("all_of") or []) and (
        not item.get("any_of") or any(fold(x) in t for x in item["any_of"]))


def choose_two_ask_ratio(held: list[Heldout]) -> float:
    """For questions that ask two things: when to quote the runner-up beside the best
    sentence, judged by the facts the answer then holds (the evidence marks only one)."""
    two = [h for h in held if h.record.answerable and h.record.two_asks and len(h.idx) > 1]
    best, best_u = 1.01, 0.0
    for r in (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2):
        u = 0.0
        for h in two:
            if h.p[1] >= r * h.p[0]:
                one = h.record.texts[h.idx[0]]
                u += facts_in(h.record.item, one + " " + h.record.texts[h.idx[1]]) - facts_in(h.record.item, one) - SECOND_SENTENCE_COST
        if u > best_u + 1e-9:
            best, best_u = r, u
    return best


def qvec(h: Heldout) -> np.ndarray:
    r = h.record
    best_x = r.X[h.idx[0]] if len(h.idx) else None
    return question_vector(h.p[:2], best_x, r.unknown_share, r.typed, r.n_terms, r.two_asks)


def fit_refusal(held: list[Heldout], second_ratio: float, C: float) -> LinearHead:
    X = np.vstack([qvec(h) for h in held])
    y = np.array([h.record.answerable and top_ok(h, second_ratio)[0] for h in held], dtype=bool)
    return fit_head(X, y, QUESTION, C)


def lowest_threshold(unanswerable: np.ndarray, limit: float = MAX_ANSWERED_UNANSWERABLE) -> float:
    """The lowest threshold at which at most `limit` of these unanswerable questions get an answer."""
    un = np.sort(unanswerable)[::-1]
    if not len(un):
        return 0.0
    allowed = int(np.floor(limit * len(un)))
    # answered when p >= t: t just above the (allowed+1)-th highest unanswerable probability
    return float(np.nextafter(un[allowed], 1.0)) if allowed < len(un) else 0.0


def choose_threshold(probs: np.ndarray, answerable: np.ndarray, limit: float = MAX_ANSWERED_UNANSWERABLE,
                     resamples: int = 200) -> float:
    """The threshold that answers at most `limit` of the unanswerable questions, averaged over
    bootstrap resamples of them: with some forty such questions the plain rule hangs on the
    fourth or fifth highest probability alone, and moved by up to 0.2 from fold to fold."""
    un = probs[~answerable]
    if not len(un):
        return 0.0
    rng = np.random.default_rng(0)
    return float(np.mean([lowest_threshold(rng.choice(un, len(un)), limit) for _ in range(resamples)]))


def fit(records: list[Record], C: float = 0.1, shortlist: int = 8, inner_k: int = 5) -> AnswerModel:
    """The whole model from records: rankers on everything; the runner-up rule, the refusal
    head and its threshold from held-out (inner-fold) rankings and refusal probabilities."""
    pre, rank = fit_rankers(records, C)
    held = heldout_rankings(records, C, shortlist, inner_k)
    ratio = choose_second_ratio(held)
    two_ask_ratio = choose_two_ask_ratio(held)
    refusal = fit_refusal(held, ratio, REFUSAL_C)
    # held-out refusal probabilities: the refusal head fitted without each inner fold
    probs, ans = [], []
    for f in _groups_folds([h.record.group for h in held], inner_k):
        head = fit_refusal([h for h in held if h.record.group not in f], ratio, REFUSAL_C)
        for h in held:
            if h.record.group in f:
                refused = len(h.idx) and lacks_answer(h.record.answer_type, h.record.X[h.idx[0]])
                probs.append(0.0 if refused else float(head.prob(qvec(h))[0]))
                ans.append(h.record.answerable)
    threshold = choose_threshold(np.array(probs), np.array(ans, dtype=bool))
    return AnswerModel(prefilter=pre, ranker=rank, refusal=refusal, threshold=threshold, second_ratio=ratio,
                       two_ask_ratio=two_ask_ratio, shortlist=shortlist, meta={"fitted": True, "questions": len(records), "C": C, "C_refusal": REFUSAL_C})


# ---------------------------------------------------------------- out of fold

def answer_out_of_fold(assistants: dict[str, object], records: list[Record], C: float, shortlist: int,
                       progress: Callable[[str], None] = lambda s: None) -> list[tuple[Record, dict]]:
    """Every question answered by the production path with a model fitted without its document."""
    out = []
    groups = sorted({r.group for r in records})
    for i, g in enumerate(groups):
        model = fit([r for r in records if r.group != g], C, shortlist)
        for r in (r for r in records if r.group == g):
            a = assistants[r.set]
            ctx = a.context()
            ctx.answer_model = model
            try:
                ans = a.pipeline(r.item["question"], ctx, history=r.item.get("history"), filters=r.item.get("filters"),
                                 id=r.item.get("id")).model_dump()
            except Exception as exc:  # noqa: BLE001 - a failure is a wrong answer, reported
                ans = {"id": r.item.get("id"), "answer": "", "refused": False, "citations": [], "error": str(exc)}
            out.append((r, ans))
        progress(f"fold {i + 1}/{len(groups)} ({g})")
    return out


def report(results: list[tuple[Record, dict]]) -> dict:
    """Totals per set, per kind (and per set and kind), as the scorer counts them."""
    table: dict[str, dict] = {}

    def add(key: str, j: dict, length: int | None):
        t = table.setdefault(key, {"answerable": 0, "facts": 0, "cited": 0, "unanswerable": 0, "refused": 0,
                                   "lengths": []})
        if j["answerable"]:
            t["answerable"] += 1
            t["facts"] += j["facts"]
            t["cited"] += j["cited"]
        else:
            t["unanswerable"] += 1
            t["refused"] += j["refused"]
        if length is not None:
            t["lengths"].append(length)

    for r, ans in results:
        j = judge(r.item, ans)
        length = None if ans.get("refused") else len(ans.get("answer", ""))
        kind = r.item.get("kind") or ("followup" if r.item.get("history") else "other")
        for key in (r.set, f"kind:{kind}", f"{r.set}/{kind}", "dev+notes" if r.set != "real-dev" else None, "all"):
            if key:
                add(key, j, length)
    for t in table.values():
        t["median_chars"] = int(statistics.median(t["lengths"])) if t["lengths"] else 0
        del t["lengths"]
        t["facts_rate"] = t["facts"] / t["answerable"] if t["answerable"] else None
        t["cited_rate"] = t["cited"] / t["answerable"] if t["answerable"] else None
        t["refused_rate"] = t["refused"] / t["unanswerable"] if t["unanswerable"] else None
    return table


def check_floors(table: dict, floors: dict) -> list[str]:
    """The floors that the out-of-fold scores fall below, in words."""
    failures = []
    for key, limits in floors.items():
        if key.startswith("_"):
            continue
        t = table.get(key)
        if t is None:
            failures.append(f"{key}: no questions")
            continue
        for metric, floor in limits.items():
            value = t.get(metric)
            if value is None:
                continue
            ok = value <= floor if metric == "median_chars" else value >= floor
            if not ok:
                failures.append(f"{key}: {metric} {value:.3f} below the floor {floor}" if metric != "median_chars"
                                else f"{key}: median answer {value} characters, over {floor}")
    return failures


# ---------------------------------------------------------------- the whole run

@dataclass
class TuneRun:
    sets: list[QuestionSet]
    workdir: Path
    records: list[Record] = field(default_factory=list)
    assistants: dict = field(default_factory=dict)


def build(shared: Path, corpus: Path, workdir: Path | None, settings_overrides: dict,
          progress: Callable[[str], None] = print, only: list[str] | None = None, ingest: bool = True) -> TuneRun:
    """Index each set's documents (reusing `workdir` when given) and collect its records.
    `ingest=False` uses the indexes already in `workdir` as they are."""
    from assistant.core import Assistant

    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="assistant-tune-"))
    run = TuneRun([q for q in question_sets(shared, corpus) if not only or q.name in only], work)
    for qs in run.sets:
        t0 = time.perf_counter()
        a = Assistant(data_dir=work / qs.name, **settings_overrides)
        chunks = a.ingest([str(p) for p in qs.index]).chunks_total if ingest else a.store.count()
        items = read_items(qs.questions)
        run.assistants[qs.name] = a
        run.records += collect(a, qs, items)
        progress(f"{qs.name}: {len(items)} questions over {len(qs.index)} documents ({chunks} chunks), "
                 f"indexed and collected in {time.perf_counter() - t0:.0f} s")
    return run


# ---------------------------------------------------------------- the command

def score_with_scorer(shared: Path, qset: QuestionSet, answers: list[dict], workdir: Path) -> str | None:
    """Run `shared/eval/score.py` (the exact metric of the hidden sets) on out-of-fold answers."""
    import subprocess
    import sys

    scorer = shared / "eval" / "score.py"
    if not scorer.exists():
        return None
    corpus = workdir / f"{qset.name}-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for p in qset.index:
        link = corpus / p.name
        if not link.exists():
            link.symlink_to(p.resolve())
    path = workdir / f"{qset.name}-oof-answers.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")
    res = subprocess.run([sys.executable, str(scorer), str(qset.questions), str(path), str(corpus)],
                         capture_output=True, text=True)
    lines = [line for line in res.stdout.splitlines() if line.startswith("score:")]
    return lines[-1] if lines else (res.stderr.strip().splitlines() or ["scorer failed"])[-1]


def main(shared: Path, corpus: Path, workdir: Path | None, write: Path | None, floors: Path | None,
         console, only: list[str] | None = None, C: float = 0.1, shortlist: int = 8) -> int:
    """`assistant tune`: out-of-fold report (and floors check); optionally write the model fitted on everything."""
    from rich.table import Table

    run = build(shared, corpus, workdir, {}, progress=lambda s: console.print(s), only=only)
    t0 = time.perf_counter()
    results = answer_out_of_fold(run.assistants, run.records, C, shortlist, progress=lambda s: None)
    console.print(f"out-of-fold answers for {len(results)} questions in {time.perf_counter() - t0:.0f} s "
                  f"({len({r.group for r in run.records})} document groups, each scored by a model fitted without it)")
    table = report(results)
    t = Table(title="Out-of-fold answer quality (models fitted without the scored document)")
    for col in ("set / kind", "facts", "cited", "refused", "median chars"):
        t.add_column(col)

    def frac(a, b):
        return f"{a}/{b} ({a / b:.0%})" if b else "-"

    keys = [q.name for q in run.sets] + ["dev+notes"] + sorted(k for k in table if k.startswith("kind:"))
    for key in keys:
        if key in table:
            v = table[key]
            t.add_row(key, frac(v["facts"], v["answerable"]), frac(v["cited"], v["answerable"]),
                      frac(v["refused"], v["unanswerable"]), str(v["median_chars"]))
    console.print(t)
    scores = {}
    for qs in run.sets:
        answers = [ans for r, ans in results if r.set == qs.name]
        line = score_with_scorer(shared, qs, answers, run.workdir)
        if line:
            scores[qs.name] = line
            console.print(f"score.py {qs.name}: {line}")
    if write:
        model = fit(run.records, C, shortlist)
        model.meta.update({"out_of_fold": {k: {m: v[m] for m in ("facts", "cited", "answerable", "refused", "unanswerable",
                                                                   "median_chars")} for k, v in table.items()},
                           "score_py": scores, "sets": [q.name for q in run.sets]})
        model.save(write)
        console.print(f"wrote {write} (threshold {model.threshold:.3f}, runner-up ratio {model.second_ratio})")
    if floors:
        failures = check_floors(table, json.loads(Path(floors).read_text(encoding="utf-8")))
        for f in failures:
            console.print(f"[red]below floor[/red] {f}")
        if failures:
            return 1
        console.print(f"all out-of-fold scores at or above the floors in {floors}")
    return 0
