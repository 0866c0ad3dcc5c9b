"""The extractive stage's choice of quotes: a sentence that refers back brings its antecedent."""

from assistant.answer.extractive import _merged, with_antecedent
from assistant.answer.features import candidates
from assistant.models import Chunk, ScoredChunk


def _cands(text: str):
    hit = ScoredChunk(chunk=Chunk(id="c1", doc_id="d1", text=text, start=50, end=50 + len(text)), score=1.0)
    return text, candidates([hit], limit_chunks=1)


def _by_start(cands, prefix):
    return next(c for c in cands if c.text.startswith(prefix))


def test_a_sentence_that_refers_back_is_quoted_with_the_sentence_before_it():
    text, cands = _cands("This year, the plan provides 4,200 crore for harbour dredging. "
                         "This would be 0.4 per cent of the state's output.\n"
                         "This year the fleet will grow by six vessels.")
    c = with_antecedent(_by_start(cands, "This would"))
    assert c.text == ("This year, the plan provides 4,200 crore for harbour dredging. "
                      "This would be 0.4 per cent of the state's output.")
    assert text[c.start - 50:c.end - 50] == c.text                      # still one verbatim span
    plain = _by_start(cands, "This year the fleet")
    assert with_antecedent(plain) is plain                               # "This year": no back-reference
    first = _by_start(cands, "This year, the plan")
    assert with_antecedent(first) is first


def test_no_antecedent_is_borrowed_across_a_paragraph_break_and_chinese_back_references_count():
    _, cands = _cands("The levy was abolished in March.\nThis is expected to lift card payments.")
    c = _by_start(cands, "This is")
    assert with_antecedent(c) is c
    text, zh = _cands("今年安排港口疏浚资金12亿元。这相当于上年的两倍。")
    c = with_antecedent(_by_start(zh, "这相当于"))
    assert c.text == "今年安排港口疏浚资金12亿元。这相当于上年的两倍。" and text[c.start - 50:c.end - 50] == c.text


def test_a_quote_and_its_antecedent_already_chosen_become_one_quote():
    text, cands = _cands("Harbour works continue across the coast this year. The plan provides 4,200 crore "
                         "for dredging. This would be 0.4 per cent of output. Ports will report monthly.")
    before, after = _by_start(cands, "The plan"), with_antecedent(_by_start(cands, "This would"))
    merged = _merged([after, before])
    assert len(merged) == 1 and merged[0].text == after.text
    last = _by_start(cands, "Ports")
    assert [m.text for m in _merged([before, last])] == [before.text, last.text]


def test_a_list_set_one_item_per_line_without_markers_is_collected_after_its_introduction():
    from assistant.answer.extractive import list_items

    text = ("Priorities of this Plan\n\nThe Plan adopts the following four priorities. They guide the harbour "
            "authority through the decade.\nGreen Ports\nSkilled Crews\nSafe Waters\nOpen Data\n"
            "Priority 1: Green Ports\nEvery berth will run on shore power by 2030.")
    _, cands = _cands(text)
    intro = _by_start(cands, "The Plan adopts")
    shifted = " " * 50 + text                       # the document: the chunk starts at offset 50
    items = list_items(intro, 4, shifted)
    assert [c.text for c in items[1:]] == ["Green Ports", "Skilled Crews", "Safe Waters", "Open Data"]
    assert all(shifted[c.start:c.end] == c.text for c in items)      # verbatim spans
    assert list_items(intro, 6, shifted) == []                         # five bare lines, not six: no list
