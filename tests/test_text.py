"""Sentence and paragraph rules of ingest.text on hard-wrapped text."""

from __future__ import annotations

from ingest.text import is_list_item, is_table_row, paragraph_spans, sentence_spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_a_wrapped_line_joins_whatever_the_next_line_starts_with():
    text = ("We propose to increase the outlay for the scheme from the current level to\n"
            "₹40,000 crore to capitalise on the momentum. Revenue came in through public\n"
            "9 expenditure reviews and through\n"
            "Customs reforms at the border.")
    assert sentences(text) == [
        "We propose to increase the outlay for the scheme from the current level to\n₹40,000 crore to capitalise on the momentum.",
        "Revenue came in through public\n9 expenditure reviews and through\nCustoms reforms at the border.",
    ]


def test_item_numbers_and_abbreviations_are_not_full_stops():
    text = "18. The scheme, launched in 2023, allocated Rs. 116 billion to No. 4 district.\na. To increase production;"
    assert sentences(text) == ["18. The scheme, launched in 2023, allocated Rs. 116 billion to No. 4 district.",
                               "a. To increase production;"]


def test_headings_lists_and_tables_are_their_own_units():
    text = ("Budget Priorities\n"
            "7. The people have given a unique opportunity to the government.\n"
            "1) Productivity and resilience in Agriculture\n"
            "2) Employment & Skilling\n"
            "Total revenue 27,987 -57.0 61,880 54,142\n"
            "Grants 1,200 3.5 1,310 1,402")
    assert [text[s:e] for s, e in paragraph_spans(text)] == [
        "Budget Priorities",
        "7. The people have given a unique opportunity to the government.",
        "1) Productivity and resilience in Agriculture\n2) Employment & Skilling",
        "Total revenue 27,987 -57.0 61,880 54,142",
        "Grants 1,200 3.5 1,310 1,402",
    ]


def test_chinese_lines_and_headings():
    text = "一、总体要求\n（一）指导思想。坚持稳中求进。\n国务院\n2018年12月21日"
    assert sentences(text) == ["一、总体要求", "（一）指导思想。", "坚持稳中求进。", "国务院\n2018年12月21日"]


def test_line_classifiers():
    assert all(is_list_item(s) for s in ("i) item", "(a) item", "● item", "12. Item", "（二）任务", "三、要求", "iv. item"))
    assert not any(is_list_item(s) for s in ("2024. The year", "3.4 per cent", "(GST) examined", "did it"))
    assert is_table_row("Tax revenue 120,450 145,210 20.6") and is_table_row("Introduction .......... 12")
    assert not is_table_row("GH¢279,241 million (23.7% of GDP), 27.1 percent above the budgetary provision of")
