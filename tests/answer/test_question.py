"""What a question asks for: frames are not topics, follow-ups resolve in both languages,
comparisons split into sides, and only real listings go to the targets ledger."""

from __future__ import annotations

from assistant.answer.question import analyse, comparison_parts, frame_terms
from assistant.answer.turn import build_turn, history_messages


def test_words_that_frame_a_question_are_not_its_topic():
    assert {"deadlin"} <= frame_terms("What is the deadline for the river survey?")
    assert {"larg"} <= frame_terms("How large is the pipe renewal fund?")
    assert {"often"} <= frame_terms("How often are reservoirs inspected?")
    info = analyse("What is the deadline for the river survey?")
    assert "deadlin" in info.frame_terms and "survey" not in info.frame_terms and "river" in info.terms


def test_chinese_follow_up_keeps_its_own_period_and_drops_the_connective():
    turn = build_turn("那么2021年定的是多少？", history=["2024年城镇新增就业的预期目标是多少？"])
    assert "么" not in turn.standalone.replace("多少", "")
    assert "2021年" in turn.standalone and "2024" not in turn.standalone
    assert "就业" in turn.standalone


def test_english_follow_up_borrows_the_topic():
    turn = build_turn("And for the second phase?", history=[{"role": "user", "content": "What share of farms got water pumps?"}])
    assert "water pumps" in turn.standalone and "second phase" in turn.standalone
    assert turn.info.borrowed_terms and "phase" not in turn.info.borrowed_terms


def test_history_in_every_accepted_shape_becomes_messages():
    assert history_messages(["q1"]) == [{"role": "user", "content": "q1"}]
    assert history_messages([("q1", "a1")]) == [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]
    assert history_messages([{"role": "assistant", "content": "a"}, {"role": "user", "content": ""}]) == \
        [{"role": "assistant", "content": "a"}]


def test_comparisons_split_by_period_or_by_name():
    by_year = comparison_parts("What growth targets did the 2021 and 2022 plans set?")
    assert len(by_year) == 2 and "2021" in by_year[0] and "2022" not in by_year[0] and "2022" in by_year[1]
    by_name = comparison_parts("Which plan sets a higher target: Westland's or Eastmoor's?")
    assert len(by_name) == 2 and "Eastmoor" not in by_name[0] and "Westland" not in by_name[1]
    info = analyse("How does Westland's 2023 deficit compare with Eastmoor's 2024 deficit?")
    assert info.comparison and info.parts and not info.about_ledger
    assert not analyse("How much did Westland invest in ports in July 2024?").comparison


def test_only_listing_requests_go_to_the_ledger():
    assert analyse("Which targets are due by 2027?").about_ledger
    assert analyse("What are the deadlines in 2024?").about_ledger
    assert not analyse("What are the goals of the water pricing reform for rural cooperatives?").about_ledger
    assert not analyse("What target does the plan set for rail freight?").about_ledger


def test_a_comparison_side_leaves_with_its_unit_and_joining_word():
    zh = comparison_parts("2022年和2023年的经济增长目标分别是多少？")
    assert zh == ["2022年的经济增长目标分别是多少？", "2023年的经济增长目标分别是多少？"]
    en = comparison_parts("What growth targets did the 2021 and 2022 plans set?")
    assert en == ["What growth targets did the 2021 plans set?", "What growth targets did the 2022 plans set?"]
    named = comparison_parts("Is the deficit larger in Westland's plan or Eastmoor's plan?")
    assert named == ["Is the deficit larger in Westland's plan?", "Is the deficit larger in Eastmoor's plan?"]


def test_the_head_noun_of_a_what_question_sets_the_kind_of_answer():
    assert analyse("What interest rate will the savings scheme pay?").answer_type == "percent"
    assert analyse("What debt-to-revenue ratio does the plan set?").answer_type == "percent"
    assert analyse("What is the allocation for the port authority in 2025?").answer_type == "amount"
    assert analyse("What grant is allocated for the new harbour?").answer_type == "amount"
    assert analyse("What is the fund meant to do?").answer_type == "other"        # its purpose, not its size
    assert analyse("What is the investment climate like?").answer_type == "other"  # not an amount of investment


def test_a_follow_up_with_its_own_period_does_not_keep_the_earlier_one():
    from assistant.answer.turn import build_turn

    own = build_turn("And what is inflation expected to be from 2026 onwards?",
                     ["What end-of-year inflation rate does the 2025 budget target?"])
    assert own.info.years == ["2026"]
    relative = build_turn("And what deficit does the government aim to reach the year after?",
                          ["What fiscal deficit does the 2024-25 budget estimate?"])
    assert relative.info.years == [] and "deficit" in relative.info.terms
    same = build_turn("And the deficit?", ["What growth does the 2024-25 budget estimate?"])
    assert same.info.years == ["2024"]   # nothing said of the period: the earlier one still holds


def test_a_question_that_asks_two_things_knows_each_kind_of_answer():
    from assistant.answer.question import ask_parts, asks_two

    joined = analyse("By when will the port reach 5 million tonnes a year, and what is the outlay of the harbour fund?")
    assert joined.answer_type == "date" and joined.also_types == ["amount"]
    assert ask_parts("Who presented the plan, and on what date?") == ["Who presented the plan?", "on what date?"]
    heads = ask_parts("What deposit limit and interest rate does the savings bond offer?")
    assert heads == ["What deposit limit does the savings bond offer?", "What interest rate does the savings bond offer?"]
    assert analyse("What deposit limit and interest rate does the savings bond offer?").also_types == ["percent"]
    assert ask_parts("港口总投资有多大？其中中央投资有多少？") == ["港口总投资有多大?", "其中中央投资有多少？"]
    # one question, however long, stays one
    assert ask_parts("What are the aims and priorities of the plan?") == ["What are the aims and priorities of the plan?"]
    assert ask_parts("What is the deficit and how is it financed?") == ["What is the deficit?", "how is it financed?"]
    assert not asks_two("What is the deficit target for 2025?") and asks_two("两个港口的吞吐量分别是多少？")
    # "how much of that" asks for an amount (or a share) of something named before
    assert analyse("How much of that goes to capital expenditure?").answer_type == "number"


def test_when_asks_for_a_date_only_as_the_question_word():
    from assistant.answer.question import answer_type

    assert answer_type("When will the harbour plan be finished?") == "date"
    assert answer_type("The harbour plan: and when is it due?") == "date"
    assert answer_type("Under the plan, when will the berths open?") == "date"
    assert answer_type("What annual cost does a lower tariff imply when traffic doubles?") != "date"


def test_two_names_make_a_comparison_only_when_joined_to_each_other():
    from assistant.answer.question import is_comparison

    assert not is_comparison("What export and employment goals does Westland's Digital Harbour Decade set?")
    assert is_comparison("Which budget targets higher growth: Westland's for 2031 or Eastmoor's for 2032?")
    assert is_comparison("What did Westland and Eastmoor allocate to defence?")
