"""The learned answer model: which sentence answers, and whether any does.

Three logistic heads over the features of `assistant.answer.features`:
- `prefilter` (cheap features, every candidate) picks a shortlist for the costly features;
- `ranker` (all features) gives each shortlisted sentence the probability that it answers;
- `refusal` (question-level features: the best probabilities, terms the index never
  mentions, ...) gives the probability that the best sentence answers at all; below
  `threshold` the assistant refuses. The threshold is chosen on held-out folds so that
  at most one unanswerable question in ten is answered.

The weights are data (`answer_model.json` beside this file), written by `assistant tune`
from the labelled dev sets with grouped cross-validation by document; never by hand.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

DEFAULT_PATH = Path(__file__).with_name("answer_model.json")

QUESTION = ["p1_logit", "p2_logit", "margin", "unknown_share", "any_unknown", "best_cov_sent", "best_cov_untitled",
            "best_type_miss", "best_period_conflict", "best_period_implicit", "best_scope", "best_doc_miss", "best_dense",
            "best_hit_fused", "best_num_match", "typed", "log_terms", "two_asks", "best_miss_top", "best_scope_worst",
            "best_phrase", "best_novelty"]


class LinearHead(BaseModel):
    """A standardised logistic regression: p = sigmoid(((x - mean) / scale) . coef + intercept)."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float = 0.0

    def logit(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        z = (X - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.coef) + self.intercept

    def prob(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(X), -30, 30)))

    def weights(self) -> dict[str, float]:
        """Coefficients by feature name (on standardised features), for reading the model."""
        return dict(zip(self.features, self.coef))


class AnswerModel(BaseModel):
    version: int = 1
    prefilter: LinearHead
    ranker: LinearHead
    refusal: LinearHead
    threshold: float = Field(0.5, description="Refuse when the probability that the best sentence answers is below this.")
    second_ratio: float = Field(1.01, description="Also quote the runner-up when its probability is at least this share of the best's (>1: never).")
    two_ask_ratio: float = Field(1.01, description="For a question that asks two things: quote the runner-up too when its probability is at least this share of the best's.")
    shortlist: int = Field(8, description="Candidates that get the costly (dense) features (8: the same out-of-fold scores as 12, 30% less embedding per answer).")
    meta: dict = Field(default_factory=dict, description="How and on what it was fitted, and its out-of-fold scores.")

    @classmethod
    def neutral(cls) -> "AnswerModel":
        """Every sentence equally likely (all weights zero): the starting point of `assistant tune`."""
        from assistant.answer.features import ALL, CHEAP

        def head(names: list[str]) -> LinearHead:
            return LinearHead(features=names, mean=[0.0] * len(names), scale=[1.0] * len(names), coef=[0.0] * len(names))

        return cls(prefilter=head(CHEAP), ranker=head(ALL), refusal=head(QUESTION), meta={"fitted": False})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.model_dump(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str | None = None) -> "AnswerModel":
        return _load(str(path or DEFAULT_PATH))


@lru_cache(maxsize=8)
def _load(path: str) -> AnswerModel:
    return AnswerModel.model_validate_json(Path(path).read_text(encoding="utf-8"))


FIGURE_KINDS = frozenset({"percent", "amount", "number", "date"})


def lacks_answer(answer_type: str, best_x: np.ndarray | None) -> bool:
    """A question for a figure or a date whose best sentence holds none (beyond the question's
    own): quoting it cannot answer, whatever the other evidence says ("On what date ...?" ->
    "... in due course."). The refusal head alone learns this poorly: the ranker rarely puts such
    a sentence first, so the dev sets hold a handful of examples."""
    from assistant.answer.features import ALL

    return answer_type in FIGURE_KINDS and best_x is not None and float(best_x[ALL.index("type_miss")]) > 0


def question_vector(p_sorted: np.ndarray, best_x: np.ndarray | None, unknown_share: float, typed: bool,
                    n_terms: int, two_asks: bool = False) -> np.ndarray:
    """The refusal head's inputs for one question, from its ranked candidates. A question
    that asks two things (`two_asks`) has two close sentences and each covers half of it."""
    from assistant.answer.features import ALL

    def logit(p: float) -> float:
        p = min(max(p, 1e-6), 1 - 1e-6)
        return math.log(p / (1 - p))

    p1 = float(p_sorted[0]) if len(p_sorted) else 0.0
    p2 = float(p_sorted[1]) if len(p_sorted) > 1 else 0.0
    bx = best_x if best_x is not None else np.zeros(len(ALL))
    get = lambda name: float(bx[ALL.index(name)])  # noqa: E731
    return np.array([logit(p1), logit(p2), logit(p1) - logit(p2), unknown_share, float(unknown_share > 0),
                     get("cov_sent") + get("cov_antecedent"), get("cov_untitled"), get("type_miss"), get("period_conflict"),
                     get("period_implicit"), get("scope"), get("doc_miss"), get("dense"), get("hit_fused"),
                     get("num_match"), float(typed), math.log1p(n_terms), float(two_asks), get("miss_top"),
                     get("scope_worst"), get("phrase"), get("novelty")], dtype=np.float64)
