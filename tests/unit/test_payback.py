"""Payback of to-be options, worked out by hand on the sample road repair process."""

from __future__ import annotations

import csv
import io

import pytest

from app.domain.processes.graph import version_graph
from app.domain.processes.yaml_format import load_process_file
from app.domain.reviews.program import (
    Candidate,
    Payback,
    payback_sentences,
    review_csv,
    review_html,
    review_table,
)
from app.lib.graph import GraphStep, ProcessGraph
from tests.conftest import ROOT

ROAD = ROOT / "processes" / "road-repair-request.yaml"


def road_rows(payback: Payback | None) -> dict[str, dict[str, object]]:
    process = load_process_file(ROAD, 5_000_000)
    as_is = Candidate(
        version_graph(process, "as-is"), expected_cycle={"median_hours": 300, "p90_hours": 500}
    )
    option = Candidate(
        version_graph(process, "option-b-web-form"),
        4,
        45_000,
        "medium",
        {"median_hours": 140, "p90_hours": 260},
    )
    rows = review_table(as_is, [option], payback=payback)
    return {str(r["label"]): r for r in rows}


def test_payback_of_option_b_worked_by_hand() -> None:
    """The YAML's as-is steps add up to 162 minutes and 145.80 of cost per case, option B's
    to 119 minutes and 107.10; every step records its cost (its staff time at 0.90 a
    minute), so the hourly cost prices nothing. At 2,000 cases a year: per case
    145.80 - 107.10 = 38.70; a year 77,400; payback 45,000 / 77,400 x 12 = 6.98 months;
    residents (300 - 140) h x 2,000 = 320,000 hours a year."""
    rows = road_rows(Payback(2000, 60, "Yearly cases: 2,000 (given)."))
    option, as_is = rows["option-b-web-form"], rows["as-is"]
    assert (as_is["hands_on_minutes"], as_is["cost"]) == (162, 145.8)
    assert (option["hands_on_minutes"], option["cost"]) == (119, 107.1)
    assert option["saving_per_case"] == pytest.approx(38.7)
    assert option["yearly_savings"] == pytest.approx(77_400)
    assert option["payback_months"] == 6.98
    assert option["resident_hours_saved_per_year"] == 320_000
    assert (as_is["yearly_savings"], as_is["payback_months"]) == (0, 0)
    # the staff time of costed steps is not counted a second time at another hourly cost
    dearer = road_rows(Payback(2000, 200, "Yearly cases: 2,000 (given)."))
    assert dearer["option-b-web-form"]["saving_per_case"] == pytest.approx(38.7)


def test_steps_without_a_cost_are_priced_at_the_hourly_cost() -> None:
    """As-is: intake 30 min (no cost) + check 10 min costed 12; option: intake 30 min only.
    At 60 an hour: as-is 30 + 12 = 42, option 30, so 12 saved per case; 500 cases a year
    save 6,000 and a one-off cost of 3,000 pays back in 3,000 / 6,000 x 12 = 6 months."""
    as_is = ProcessGraph(
        "p",
        "as-is",
        [
            GraphStep("a", "Intake", "D", minutes=30),
            GraphStep("b", "Check", "E", minutes=10, cost=12),
        ],
        [],
    )
    option = ProcessGraph("p", "lean", [GraphStep("a", "Intake", "D", minutes=30)], [])
    rows = review_table(
        Candidate(as_is), [Candidate(option, one_off_cost=3000)], None, Payback(500, 60, "")
    )
    lean = next(r for r in rows if r["label"] == "lean")
    assert (lean["saving_per_case"], lean["yearly_savings"], lean["payback_months"]) == (
        12,
        6000,
        6,
    )


def test_without_payback_figures_every_payback_value_is_none_and_the_report_says_why() -> None:
    rows = road_rows(None)
    assert rows["option-b-web-form"]["yearly_savings"] is None
    assert payback_sentences(list(rows.values()), None)[0].startswith("Payback is not shown")


def test_an_option_that_costs_more_does_not_pay_back() -> None:
    slow = ProcessGraph("p", "as-is", [GraphStep("a", "A", "D", minutes=10, cost=2)], [])
    slower = ProcessGraph("p", "heavier", [GraphStep("a", "A", "D", minutes=40)], [])
    payback = Payback(100, 30, "Yearly cases: 100 (given).")
    rows = review_table(
        Candidate(slow), [Candidate(slower, one_off_cost=5000)], {"payback_months": 1}, payback
    )
    # per case: 2 (the costed step) - 40/60 x 30 (the uncosted one) = -18; a year -1,800
    heavier = rows[1]
    assert (heavier["saving_per_case"], heavier["yearly_savings"]) == (-18, -1800)
    assert heavier["payback_months"] is None and heavier["criteria"]["payback_months"] == 0
    exported = list(csv.DictReader(io.StringIO(review_csv(rows))))
    assert exported[1]["payback_months"] == "does not pay back"
    page = review_html("t", rows, {}, [], payback_sentences(rows, payback))
    assert "heavier: costs 1,800 a year more than the as-is" in page
    assert "does not pay back" in page
