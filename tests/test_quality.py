"""Garbled-figure warnings flag only figures their context makes implausible."""

from __future__ import annotations

import pytest

from ingest.quality import garbled_figures


def flagged(text: str) -> list[str]:
    return [text[f["start"]:f["end"]] for f in garbled_figures(text)]


@pytest.mark.parametrize("text, figure", [
    ("The coverage of the relevant systems for final adjustment and exit has reached 613%.", "613%"),
    ("Renewables accounted for 130% of total power generation last year.", "130%"),
    ("农村地区宽带网络覆盖率达到120%。", "120%"),
    ("The firms put forward implementation measures 1More than 80,000 items in all.", "1More"),
])
def test_implausible_figures_are_flagged(text, figure):
    assert flagged(text) == [figure]


@pytest.mark.parametrize("text", [
    "A penalty of 200% of the tax evaded will apply to undisclosed income.",
    "The taxpayer shall make a payment of 120% of the tax due before the appeal is heard.",
    "Exports grew 150% year on year, and imports rose by 110 per cent.",
    "The consumer price index stood at 112.4% of its 2015 level.",
    "The ratio of debt to revenue reached 310% at the end of the year.",
    "Dividend 344,059,508.00 1,156,292,765.78 236% 932,071,412.00",  # a table cell
    "3Temporary factors include front-loading of consumption and investment.",  # a footnote's text
    "The economy has shown tenuous resilience2 (see the October Outlook).",  # a footnote marker
    "Coverage reached 98% of villages. Growth of the programme was 140%.",
])
def test_legitimate_figures_over_100_and_footnotes_are_not_flagged(text):
    assert flagged(text) == []


def test_flags_say_where_and_why():
    text = "Intro line.\nThe share of firms with boards has reached 250%, officials said."
    (flag,) = garbled_figures(text)
    assert text[flag["start"]:flag["end"]] == "250%"
    assert "over 100%" in flag["message"] and "\n" not in flag["excerpt"] and "250%" in flag["excerpt"]
