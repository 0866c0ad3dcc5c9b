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


def test_a_chinese_section_title_labels_the_short_sentence_under_it():
    text = "四、组织实施\n\n市交通局每季度通报一次全市公交线网调整进展。\n\n五、附则\n\n本方案自印发之日起施行。"
    cands = candidates([_hit(text)], limit_chunks=1)
    quoted = [c.text for c in cands]
    assert "四、组织实施" not in quoted                                   # a numbered section title is not an answer
    under = next(c for c in cands if c.text.startswith("市交通局"))
    assert under.label == "四、组织实施" and text[under.start - 100:under.end - 100] == under.text
    assert "五、附则" in quoted  # 12 characters below it: too short to be the body of a section, so it stays


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


def test_a_heading_that_ends_one_chunk_labels_the_first_sentence_of_the_next():
    from assistant.store import StoredDocument

    doc = ("The council met twice this year and approved the regional plan.\n"
           "Harbour Development Fund\n"
           "This fund will be managed by the National Port Bank and lend to small coastal towns.")
    cut = doc.index("This fund")
    first = ScoredChunk(chunk=Chunk(id="a", doc_id="d1", text=doc[:cut].rstrip(), start=0, end=len(doc[:cut].rstrip())), score=1.0)
    second = ScoredChunk(chunk=Chunk(id="b", doc_id="d1", text=doc[cut:], start=cut, end=len(doc)), score=0.9)
    docs = {"d1": StoredDocument("d1", doc, {})}
    cands = candidates([first, second], limit_chunks=2, documents=docs)
    quoted = [c.text for c in cands]
    assert "Harbour Development Fund" not in quoted                      # the heading is not a candidate of its own
    under = next(c for c in cands if c.text.startswith("This fund"))
    assert under.label == "Harbour Development Fund" and doc[under.start:under.end] == under.text
    # without the documents the chunk's last line cannot be judged, and stays a candidate
    assert "Harbour Development Fund" in [c.text for c in candidates([first, second], limit_chunks=2)]


def test_a_later_year_answers_a_by_what_year_question_and_is_no_other_period():
    from assistant.answer.features import ALL, Features
    from assistant.answer.question import analyse
    from assistant.answer.stage import AnswerContext
    from assistant.store import StoredDocument

    text = "A mission to end the disease by 2047 will be launched. Last year, 2022 saw a record harvest."
    hit = ScoredChunk(chunk=Chunk(id="a", doc_id="d1", text=text, start=0, end=len(text)), score=1.0)
    docs = {"d1": StoredDocument("d1", text, {"title": "Budget 2023-24"})}
    ctx = AnswerContext(documents=docs, lexicon=_Lexicon())
    feats = Features(analyse("By what year is the disease to be ended under the 2023-24 budget?"), ctx, [hit])
    cands = candidates([hit], limit_chunks=1, documents=docs)
    feats.cheap(cands)
    conflict = ALL.index("period_conflict")
    mission, harvest = cands
    assert mission.x[conflict] == 0.0       # 2047 is the answer asked for
    assert harvest.x[conflict] == 1.0       # 2022 is another period


class _Lexicon:
    idf: dict = {}


def test_a_line_of_dots_or_of_bare_figures_is_no_candidate():
    text = ("The deficit will be covered by domestic borrowing of 120 million.\n"
            "........................................................\n"
            "1,204,500     88,000     1,292,500\n"
            "To cover the rest, 40 million will be raised from foreign loans.")
    quoted = [c.text for c in candidates([_hit(text)], limit_chunks=1)]
    assert quoted[0].startswith("The deficit") and quoted[-1].startswith("To cover the rest")
    assert not any(q.startswith((".", "1,204")) for q in quoted)
    assert len(quoted) == 2


def test_a_figure_answer_is_a_figure_of_the_content_beyond_what_the_question_says():
    from assistant.answer.features import has_type

    # a paragraph number, an item number or a year is not an amount or a count
    assert not has_type("amount", "12. As Minister of Finance, I present the budget for the fiscal year 2031/32.")
    assert not has_type("number", "The board will work with private partners on (1) new ports, (2) rail links.")
    assert has_type("amount", "12. We have allocated Rs. 4 billion for the harbour fund.")
    # Chinese numerals count before a unit, not inside words such as 进一步 or a plan's name
    assert not has_type("number", "进一步统一标准，并同“十五五”规划目标相衔接。")
    assert has_type("number", "新建三座水库，新增就业900万人以上。")
    assert has_type("number", "职业院校实践性教学课时原则上占总课时一半以上。")   # a share answers "how many" too
    # what the question already says is no answer to it
    assert not has_type("person", "A Harbour Reform Commission will be formed.", "Who will chair the Harbour Reform Commission?")
    assert has_type("person", "It will be chaired by the Port Authority.", "Who will chair the Harbour Reform Commission?")
    assert not has_type("date", "The 2031 harbour plan sets out new berths.", "By what date will the 2031 harbour plan be finished?")
    assert has_type("date", "The harbour plan will be finished by 2034.", "By what date will the 2031 harbour plan be finished?")
    # a cost may be a share of output
    assert has_type("amount", "That equates to an annual cost of 0.3 percent of GDP.", "What annual cost does it imply?")


def test_a_document_that_lacks_one_name_of_the_question_is_out_of_scope():
    from assistant.answer.features import ALL, Features
    from assistant.answer.question import analyse
    from assistant.answer.stage import AnswerContext
    from assistant.store import StoredDocument

    westland = "Westland budget.\n\nWestland will build ports.\n\nWestland allocates 5 billion to defence.\n\nWestland grows."
    eastmoor = "\n\n".join(["Eastmoor budget.", "Eastmoor allocates 7 billion to defence.", "Eastmoor trades with Westland."]
                           + [f"Eastmoor will build road number {i}." for i in range(1, 8)])
    docs = {"w": StoredDocument("w", westland, {"title": "Budget"}), "e": StoredDocument("e", eastmoor, {"title": "Budget"})}
    hits = [ScoredChunk(chunk=Chunk(id=k, doc_id=k, text=t, start=0, end=len(t)), score=1.0)
            for k, t in (("e", eastmoor), ("w", westland))]
    ctx = AnswerContext(documents=docs, lexicon=_Lexicon())
    feats = Features(analyse("How much does Westland allocate to defence?"), ctx, hits)
    cands = [c for c in candidates(hits, limit_chunks=2, documents=docs) if "defence" in c.text]
    feats.cheap(cands)
    worst = ALL.index("scope_worst")
    by_doc = {c.doc_id: float(c.x[worst]) for c in cands}
    assert by_doc["w"] == 1.0 and by_doc["e"] < 0.5     # Eastmoor names Westland once in ten paragraphs
