"""Candidate sentences: what is judged and what is quoted."""

from assistant.answer.features import candidates
from assistant.models import Chunk, ScoredChunk


def _hit(text: str) -> ScoredChunk:
    return ScoredChunk(chunk=Chunk(id="c1", doc_id="d1", text=text, start=100, end=100 + len(text)), score=1.0)


def test_a_heading_line_is_judged_with_the_sentence_under_it_and_not_quoted():
    text = ("Credit Guarantee for Small Firms\n"
            "The guarantee cover will rise to 20 lakh for units that export more than half of their output.\n"
            "Fiscal deficit 4.4%\n"
            "The deficit is expected to narrow further next year as revenue grows.")
    cands = candidates([_hit(text)], limit_chunks=1)
    quoted = [c.text for c in cands]
    assert "Credit Guarantee for Small Firms" not in quoted          # a section name is not an answer
    first = cands[0]
    assert first.text.startswith("The guarantee cover") and first.label == "Credit Guarantee for Small Firms"
    assert text[first.start - 100:first.end - 100] == first.text      # the quote is the sentence, verbatim
    assert "Fiscal deficit 4.4%" in quoted                              # a row with a figure stays a candidate
    assert all(c.label == "" for c in cands[1:])


def test_a_list_item_or_a_last_line_is_never_taken_for_a_heading():
    text = "- Digital reporting systems\nAll pilot firms shall report every quarter through the new system.\nSummary"
    quoted = [c.text for c in candidates([_hit(text)], limit_chunks=1)]
    assert any(q.startswith("- Digital") or q.startswith("Digital") for q in quoted)
    assert "Summary" in quoted


def test_a_share_said_in_words_answers_a_share_question():
    from assistant.answer.features import has_type

    assert has_type("percent", "Practical teaching shall take up more than half of all class hours.")
    assert has_type("percent", "实践性教学课时原则上占总课时一半以上。")
    assert has_type("percent", "Rates fall by 50 basis points.")
    assert not has_type("percent", "Practical teaching shall take up most class hours.")
