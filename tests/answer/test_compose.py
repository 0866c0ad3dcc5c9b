"""What every answer looks like: verbatim pieces around seams, one marker per citation,
refusals that say a filter was on, relative sources, garbled-figure warnings."""

from __future__ import annotations

from assistant.answer import compose
from assistant.models import Filters
from assistant.store import StoredDocument

TEXT = "The fund grows to 4.2 billion yuan over three years. Counties must publish plans before 30 June 2025."


def doc(**meta) -> StoredDocument:
    return StoredDocument(doc_id="plan", text=TEXT, metadata={"title": "Plan", "path": "/srv/data/in/plan.pdf", **meta},
                          warnings=[{"start": 18, "end": 21, "message": "possibly garbled figure"}])


def test_a_span_across_a_seam_is_cited_as_verbatim_pieces_with_one_number():
    seam = TEXT.index("over")
    cits = compose.citations(1, doc(seams=[seam]), 0, TEXT.index("Counties") - 1)
    assert [c.n for c in cits] == [1, 1] and len(cits) == 2
    assert all(TEXT[c.start:c.end] == c.quote for c in cits)
    assert cits[0].quote.endswith("yuan") and cits[1].quote.startswith("over")
    body = compose.cited_text(cits + compose.citations(2, doc(), TEXT.index("Counties"), len(TEXT)))
    assert body.count("[1]") == 1 and body.count("[2]") == 1 and "yuan over three years. [1]" in body


def test_sources_are_relative_never_absolute():
    assert compose.citation(1, doc(relpath="in/plan.pdf"), 0, 8).source == "in/plan.pdf"
    assert compose.citation(1, doc(), 0, 8).source == "plan.pdf"


def test_refusal_lists_closest_passages_and_names_an_active_filter():
    related = compose.citations(5, doc(), 0, 10)
    ans = compose.refusal("Q?", "en", related, "the documents never mention: dividends", Filters(doc=["plan"], since="2024-01-01"))
    assert ans.refused and ans.related[0].n == 1 and "[1] The fund g" in ans.answer
    assert "filter" in ans.answer and "plan" in ans.answer and "2024-01-01" in ans.answer
    assert ans.warnings == ["refused: the documents never mention: dividends"]
    assert "filter" not in compose.refusal("Q?", "en", related).answer


def test_garbled_figure_warning_only_for_the_quote_that_holds_it():
    d = doc()
    near = compose.citations(1, d, 0, 30)
    far = compose.citations(2, d, TEXT.index("Counties"), len(TEXT))
    assert compose.garbled_warnings(near, {"plan": d}) and not compose.garbled_warnings(far, {"plan": d})
