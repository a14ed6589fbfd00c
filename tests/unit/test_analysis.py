"""The analysis document (CONTRACT section 3) against hand-computed logs and a plain reference."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.mining.analysis import Filters, analysis_document
from app.mining.analysis.similar import Params as SimilarParams
from app.mining.analysis.similar import similar_pairs
from app.mining.eventlog import read_event_log
from tests.conftest import DATA

LOGS = DATA / "logs"
CC, ROADS = "Contact Centre", "Roads"
KEYS = [
    "log",
    "handoffs",
    "pingpong",
    "rework",
    "cross_department_duplicates",
    "similar_activities",
    "variants",
    "activities",
    "departments",
    "bottlenecks",
    "work_time",
]


def document_of(path: Path, **kwargs: Any) -> dict[str, Any]:
    log = read_event_log(path, path.name)
    return analysis_document(log.events, log.stats, **kwargs)


def test_every_section_on_a_hand_computed_log() -> None:
    doc = document_of(LOGS / "handoffs.csv")
    assert list(doc) == KEYS
    assert doc["log"] == {
        "rows_read": 9,
        "exact_duplicate_rows_dropped": 0,
        "cases": 3,
        "events": 9,
        "activities": 4,
        "departments": [CC, ROADS],
        "first_event": "2024-03-04T08:00:00Z",
        "last_event": "2024-03-06T09:00:00Z",
    }
    # CC -> Roads: A 2 h and 24 h, B 2 h; p90 of [7200, 7200, 86400] = 7200 + 0.8 * 79200
    assert doc["handoffs"] == [
        {
            "from_department": CC,
            "to_department": ROADS,
            "count": 3,
            "cases": 2,
            "total_wait_s": 100800.0,
            "mean_wait_s": 33600.0,
            "median_wait_s": 7200.0,
            "p90_wait_s": 70560.0,
        },
        {
            "from_department": ROADS,
            "to_department": CC,
            "count": 1,
            "cases": 1,
            "total_wait_s": 7200.0,
            "mean_wait_s": 7200.0,
            "median_wait_s": 7200.0,
            "p90_wait_s": 7200.0,
        },
    ]
    assert doc["pingpong"] == [{"from_department": CC, "to_department": ROADS, "cases": 1}]
    assert doc["rework"] == [
        {"activity": "Inspect site", "department": ROADS, "cases": 1, "extra_executions": 1}
    ]
    assert doc["cross_department_duplicates"] == [
        {"activity": "Enter details", "departments": [CC, ROADS], "cases": 1}
    ]
    third = pytest.approx(1 / 3)
    assert doc["variants"] == [
        {"activities": ["Log request"], "cases": 1, "share": third},
        {
            "activities": ["Log request", "Enter details", "Enter details"],
            "cases": 1,
            "share": third,
        },
        {
            "activities": [
                "Log request",
                "Inspect site",
                "Enter details",
                "Ask info",
                "Inspect site",
            ],
            "cases": 1,
            "share": third,
        },
    ]
    json.dumps(doc)  # the document is plain JSON


def test_where_the_time_goes_on_the_hand_computed_log() -> None:
    doc = document_of(LOGS / "handoffs.csv")
    activities = {a["activity"]: a for a in doc["activities"]}
    # waits ending at Inspect site: A 2 h (from Log request) and A 24 h (from Ask info)
    inspect = activities["Inspect site"]
    assert (inspect["events"], inspect["waits"], inspect["total_wait_before_s"]) == (2, 2, 93600.0)
    assert (
        activities["Log request"]["waits"] == 0
        and activities["Log request"]["median_wait_before_s"] is None
    )
    departments = {d["department"]: d for d in doc["departments"]}
    # Roads holds case A 30 min (Inspect -> Enter); Contact Centre holds case B 5 min
    assert (departments[ROADS]["holding_s"], departments[CC]["holding_s"]) == (1800.0, 300.0)
    assert (departments[ROADS]["handoffs_in"], departments[ROADS]["handoffs_out"]) == (3, 1)
    all_waiting = 7200 + 1800 + 7200 + 86400 + 300 + 7200  # every wait of every case
    top = doc["bottlenecks"][0]
    assert (top["kind"], top["name"], top["total_wait_s"]) == (
        "handoff",
        "Contact Centre -> Roads",
        100800.0,
    )
    assert top["share"] == pytest.approx(100800 / all_waiting)


def test_waits_across_a_daylight_saving_change_are_instants(tmp_path: Path) -> None:
    path = tmp_path / "dst.csv"
    path.write_text(
        "Case ID,Activity,Timestamp,Department\n"
        "X,Log,2024-03-30T23:00:00+01:00,A\n"  # 22:00 UTC
        "X,Fix,2024-03-31T03:00:00+02:00,B\n"  # 01:00 UTC: three hours later, not four
    )
    assert document_of(path)["handoffs"][0]["total_wait_s"] == 10800.0


def test_ties_keep_file_order(tmp_path: Path) -> None:
    path = tmp_path / "ties.csv"
    path.write_text(
        "Case ID,Activity,Timestamp,Department\n"
        "X,First,2024-03-01T10:00:00Z,A\nX,Second,2024-03-01T10:00:00Z,B\n"
        "X,Third,2024-03-01T10:00:00Z,A\n"
    )
    doc = document_of(path)
    assert doc["variants"][0]["activities"] == ["First", "Second", "Third"]
    assert [
        (h["from_department"], h["to_department"], h["total_wait_s"]) for h in doc["handoffs"]
    ] == [
        ("A", "B", 0.0),
        ("B", "A", 0.0),
    ]
    assert any("same timestamp" in note for note in doc["notes"])


def test_a_log_without_departments_explains_itself(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("Case ID,Activity,Timestamp\nX,A,2024-03-01 10:00\nX,A,2024-03-01 11:00\n")
    doc = document_of(path)
    assert (
        doc["handoffs"] == [] and doc["pingpong"] == [] and doc["cross_department_duplicates"] == []
    )
    assert doc["rework"] == [
        {"activity": "A", "department": "(unassigned)", "cases": 1, "extra_executions": 1}
    ]
    assert "no department for any event" in doc["notes"][0]


def test_one_event_gives_a_correct_explained_document(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("Case ID,Activity,Timestamp,Department\nX,A,2024-03-01 10:00,D\n")
    doc = document_of(path)
    assert doc["log"]["events"] == 1 and doc["variants"] == [
        {"activities": ["A"], "cases": 1, "share": 1.0}
    ]
    assert any("single event" in note for note in doc["notes"])


def test_filters_keep_whole_cases() -> None:
    log = read_event_log(LOGS / "handoffs.csv", "h.csv")
    only_b = analysis_document(log.events, log.stats, filters=Filters(activities=("Ask info",)))
    assert only_b["log"]["cases"] == 1 and only_b["log"]["events"] == 5  # all of case A
    late = analysis_document(
        log.events,
        log.stats,
        filters=Filters(start_us=1_709_683_200_000_000),  # 2024-03-06
    )
    assert late["log"]["cases"] == 1 and late["variants"][0]["activities"] == ["Log request"]
    nobody = analysis_document(log.events, log.stats, filters=Filters(departments=("Parks",)))
    assert nobody["log"]["events"] == 0 and "No case passes the filters" in nobody["notes"][0]


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("Log request details", "Enter request details", True),
        ("Record complaint", "Log complaint", True),
        ("Assign to crew", "Assign crew", True),
        ("Receive request", "Review request", False),
        ("Log request", "Close request", False),
        ("Enter request details", "Enter meter reading", False),
    ],
)
def test_similar_activity_names(a: str, b: str, alike: bool) -> None:
    assert bool(similar_pairs([a, b], SimilarParams())) is alike


# --- a plain reference implementation of the contract's rules, for the property test ---


def reference(rows: list[tuple[str, str, str, int, int]]) -> dict[str, Any]:
    """rows: (case, activity, department, timestamp_s, line), computed the slow, obvious way."""
    cases: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)
    for case, activity, department, stamp, line in rows:
        cases[case].append((stamp, line, activity, department))
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    pair_cases: dict[tuple[str, str], set[str]] = defaultdict(set)
    pingpong: Counter[tuple[str, str]] = Counter()
    rework: dict[tuple[str, str], list[int]] = defaultdict(list)
    duplicates: Counter[tuple[str, tuple[str, ...]]] = Counter()
    variants: Counter[tuple[str, ...]] = Counter()
    for case, events in cases.items():
        events.sort()
        seen: Counter[tuple[str, str]] = Counter()
        for (t1, _, _, d1), (t2, _, _, d2) in itertools.pairwise(events):
            if d1 != d2:
                waits[(d1, d2)].append(float(t2 - t1))
                pair_cases[(d1, d2)].add(case)
                seen[(d1, d2)] += 1
        pingpong.update(pair for pair, n in seen.items() if n >= 2)
        for (activity, department), n in Counter((e[2], e[3]) for e in events).items():
            if n > 1:
                rework[(activity, department)].append(n - 1)
        by_activity: dict[str, set[str]] = defaultdict(set)
        for e in events:
            by_activity[e[2]].add(e[3])
        duplicates.update((a, tuple(sorted(d))) for a, d in by_activity.items() if len(d) >= 2)
        variants[tuple(e[2] for e in events)] += 1
    return {
        "handoffs": {
            pair: (
                len(w),
                len(pair_cases[pair]),
                sum(w),
                float(np.mean(w)),
                float(np.percentile(w, 50, method="linear")),
                float(np.percentile(w, 90, method="linear")),
            )
            for pair, w in waits.items()
        },
        "pingpong": dict(pingpong),
        "rework": {k: (len(v), sum(v)) for k, v in rework.items()},
        "duplicates": dict(duplicates),
        "variants": dict(variants),
    }


events_strategy = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", "c3", "c4"]),
        st.sampled_from(["Log", "Inspect", "Repair", "Close"]),
        st.sampled_from(["CC", "Roads", "Eng"]),
        st.integers(min_value=0, max_value=50),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(events_strategy)
def test_vectorised_metrics_equal_the_reference(raw: list[tuple[str, str, str, int]]) -> None:
    rows = [(c, a, d, t * 3600, line) for line, (c, a, d, t) in enumerate(raw, start=2)]
    events = pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "department": [r[2] for r in rows],
            "timestamp_us": [r[3] * 1_000_000 for r in rows],
            "line": [r[4] for r in rows],
        }
    )
    doc = analysis_document(events, {"rows_read": len(rows), "exact_duplicate_rows_dropped": 0})
    expected = reference(rows)
    handoffs = {
        (h["from_department"], h["to_department"]): (
            h["count"],
            h["cases"],
            h["total_wait_s"],
            h["mean_wait_s"],
            h["median_wait_s"],
            h["p90_wait_s"],
        )
        for h in doc["handoffs"]
    }
    assert handoffs.keys() == expected["handoffs"].keys()
    for pair, values in handoffs.items():
        assert values == pytest.approx(expected["handoffs"][pair])
    totals = [h["total_wait_s"] for h in doc["handoffs"]]
    assert totals == sorted(totals, reverse=True)
    assert {
        (p["from_department"], p["to_department"]): p["cases"] for p in doc["pingpong"]
    } == expected["pingpong"]
    assert {
        (r["activity"], r["department"]): (r["cases"], r["extra_executions"]) for r in doc["rework"]
    } == expected["rework"]
    assert {
        (d["activity"], tuple(d["departments"])): d["cases"]
        for d in doc["cross_department_duplicates"]
    } == expected["duplicates"]
    assert {tuple(v["activities"]): v["cases"] for v in doc["variants"]} == expected["variants"]


def test_service_standards_of_a_documented_version() -> None:
    """handoffs.csv against a two-step version: CC 'Log request' -> Roads 'Inspect site'."""
    from app.lib.graph import GraphFlow, GraphStep, ProcessGraph

    graph = ProcessGraph(
        process="pothole",
        version="as-is",
        standard_hours=30,
        steps=[
            GraphStep("log", "Log request", CC),
            GraphStep("inspect", "Inspect site", ROADS),
            GraphStep("enter", "Enter details", ROADS),
        ],
        flows=[GraphFlow("log", "inspect", standard_hours=1), GraphFlow("inspect", "enter")],
    )
    doc = document_of(LOGS / "handoffs.csv", process=graph)
    standards = doc["conformance"]["service_standards"]
    # only case A goes Log request (CC) -> Inspect site (Roads), after 2 h: the 1 h standard
    # is missed
    assert standards["flows"] == [
        {
            "from_step": "log",
            "to_step": "inspect",
            "from_department": CC,
            "to_department": ROADS,
            "owner": None,
            "standard_hours": 1,
            "observed": 1,
            "met": 0,
            "cases_missing": 1,
            "share_met": 0.0,
            "median_hours": 2.0,
            "cases_missing_examples": ["A"],
        },
    ]
    # case durations: A 28.5 h, B 2.08 h, C 0 h; all within 30 h
    process = standards["process"]
    assert (process["observed"], process["met"], process["share_met"]) == (3, 3, 1.0)


def test_work_time_needs_start_times() -> None:
    """lifecycle.csv: Review started 09:00 and completed 11:00 (merged at import)."""
    doc = document_of(LOGS / "lifecycle.csv")
    assert doc["work_time"] == [
        {
            "activity": "Review",
            "events_with_start": 1,
            "work_total_s": 7200.0,
            "work_median_s": 7200.0,
            "idle_before_median_s": None,
            "work_share": 1.0,
        }
    ]
    assert document_of(LOGS / "handoffs.csv")["work_time"] == []


def _pothole(**kwargs: Any) -> Any:
    """standards.csv's documented version: Log request (CC) -> Inspect site -> Close request."""
    from app.lib.graph import GraphFlow, GraphStep, ProcessGraph

    return ProcessGraph(
        process="pothole",
        version="as-is",
        standard_hours=12,
        steps=[
            GraphStep("log", "Log request", CC),
            GraphStep("inspect", "Inspect site", ROADS),
            GraphStep("close", "Close request", ROADS),
        ],
        flows=[GraphFlow("log", "inspect", standard_hours=6), GraphFlow("inspect", "close")],
        **kwargs,
    )


def _standards_doc(**params: Any) -> dict[str, Any]:
    from app.mining.analysis.conformance import Params

    path = LOGS / "standards.csv"
    log = read_event_log(path, path.name)
    return analysis_document(
        log.events, log.stats, process=_pothole(), conformance_params=Params(**params)
    )


def test_service_standards_by_channel_and_with_the_clock_stopped() -> None:
    """Case spans: A 26 h (24 h of it after 'Waiting for resident'), B 13 h, C 2 h, D 1 h;
    channels: A, D phone; B, C web. The process standard is 12 h."""
    plain = _standards_doc()["conformance"]["service_standards"]
    assert (plain["process"]["observed"], plain["process"]["met"]) == (4, 2)  # A, B miss
    assert plain["process"]["cases_missing_examples"] == ["A", "B"]
    assert [(c["channel"], c["observed"], c["met"]) for c in plain["process"]["by_channel"]] == [
        ("Phone", 2, 1),
        ("Web", 2, 1),
    ]
    # Log request -> Inspect site directly: B 12 h (misses 6 h), C 1 h, D 1 h; A waits between
    flow = plain["flows"][0]
    assert (flow["observed"], flow["met"], flow["cases_missing_examples"]) == (3, 2, ["B"])
    assert [(c["channel"], c["observed"], c["met"]) for c in flow["by_channel"]] == [
        ("Phone", 1, 1),
        ("Web", 2, 1),
    ]

    stopped = _standards_doc(stop_clock=("Waiting for resident",))["conformance"]
    process = stopped["service_standards"]["process"]
    # A's clock stops from 09:00 on the 4th to 09:00 on the 5th: 26 h - 24 h = 2 h, met
    assert (process["met"], process["cases_missing_examples"]) == (3, ["B"])
    assert [(c["channel"], c["met"]) for c in process["by_channel"]] == [("Phone", 2), ("Web", 1)]
    assert stopped["service_standards"]["stop_clock"] == ["Waiting for resident"]

    none = _standards_doc(channel="")["conformance"]["service_standards"]
    assert "by_channel" not in none["process"]


def test_fitness_by_token_replay_equals_pm4py_on_the_whole_log() -> None:
    """Replay is run once per variant and weighted; pm4py on every case must agree."""
    import pandas as pd
    import pm4py

    fitness = _standards_doc()["conformance"]["fitness"]
    # A, B, C follow Log -> Inspect -> Close (A's 'Waiting for resident' maps to no step);
    # D stops after Inspect site and does not reach the end
    assert fitness["events_left_out"] == 1
    assert (fitness["cases_replayed"], fitness["variants_replayed"]) == (4, 2)
    assert fitness["fitting_cases_share"] == 0.75
    assert fitness["alignments"] == "computed for every variant"
    assert 0 < fitness["alignment_fitness"] < 1
    traces = {"A": 3, "B": 3, "C": 3, "D": 2}
    names = ["Log request", "Inspect site", "Close request"]
    frame = pd.DataFrame(
        {
            "case:concept:name": [c for c, n in traces.items() for _ in range(n)],
            "concept:name": [names[i] for n in traces.values() for i in range(n)],
            "time:timestamp": pd.date_range("2024-01-01", periods=11, freq="h", tz="UTC"),
        }
    )
    dfg = {("Log request", "Inspect site"): 1, ("Inspect site", "Close request"): 1}
    net, im, fm = pm4py.convert_to_petri_net(dfg, {"Log request": 1}, {"Close request": 1})
    expected = pm4py.fitness_token_based_replay(frame, net, im, fm)
    assert fitness["value"] == pytest.approx(expected["log_fitness"], abs=1e-4)
    assert fitness["value"] < 1.0
    assert expected["percentage_of_fitting_traces"] == 75.0


def test_a_log_that_follows_the_documentation_fits_perfectly() -> None:
    from app.mining.analysis.conformance import Params

    path = LOGS / "standards.csv"
    log = read_event_log(path, path.name)
    complete = log.events.filter(pl.col("case_id") != "D")
    doc = analysis_document(complete, log.stats, process=_pothole(), conformance_params=Params())
    fitness = doc["conformance"]["fitness"]
    assert (fitness["value"], fitness["alignment_fitness"], fitness["fitting_cases_share"]) == (
        1.0,
        1.0,
        1.0,
    )


def test_duplicate_requests_chain_within_the_window() -> None:
    """Address '12 Main St': A and B start 2024-03-04 08:00 (B's value differs only in case
    and spaces), C 16 days later; '5 Elm Ave' only D."""
    from app.mining.analysis.repeats import Params

    path = LOGS / "standards.csv"
    log = read_event_log(path, path.name)

    def section(days: float) -> dict[str, Any]:
        doc = analysis_document(log.events, log.stats, duplicate_requests=Params("Address", days))
        result: dict[str, Any] = doc["duplicate_requests"]
        return result

    two_weeks = section(14)
    assert (two_weeks["cases_with_value"], two_weeks["groups"], two_weeks["repeat_cases"]) == (
        4,
        1,
        1,
    )
    assert two_weeks["largest_groups"] == [
        {
            "value": "12 Main St",
            "cases": 2,
            "case_ids": ["A", "B"],
            "first_start": "2024-03-04T08:00:00Z",
            "last_start": "2024-03-04T08:00:00Z",
        }
    ]
    assert two_weeks["share_of_cases"] == 0.25
    month = section(30)
    assert (month["groups"], month["repeat_cases"]) == (1, 2)
    assert month["largest_groups"][0]["case_ids"] == ["A", "B", "C"]


def test_duplicate_requests_name_a_missing_column() -> None:
    from app.lib.errors import InvalidRequest
    from app.mining.analysis.repeats import Params

    path = LOGS / "standards.csv"
    log = read_event_log(path, path.name)
    with pytest.raises(InvalidRequest, match=r"no column 'Street'.*Address, Channel"):
        analysis_document(log.events, log.stats, duplicate_requests=Params("Street"))


def test_flow_figures_of_a_documented_version() -> None:
    """standards.csv on Log request -> Inspect site -> Close request (all waits in hours):
    Log->Inspect: B 12, C 1, D 1 (A has 'Waiting for resident' between them, mapped to no
    step); Inspect->Close: A 1, B 1, C 1. All waiting: A 26, B 13, C 2, D 1 = 42 h."""
    from app.mining.analysis import prepare
    from app.mining.analysis.conformance import Params
    from app.mining.analysis.versions import figures_of

    path = LOGS / "standards.csv"
    log = read_event_log(path, path.name)
    figures = figures_of(prepare(log.events), _pothole(), Params())
    rows = {(r["from_step"], r["to_step"]): r for r in figures.flows}
    first = rows[("log", "inspect")]
    # p90 of [1, 1, 12] h by linear interpolation: 1 + 0.8 * 11 = 9.8 h
    assert (first["count"], first["median_wait_s"], first["p90_wait_s"]) == (3, 3600, 35280)
    assert first["wait_share"] == pytest.approx(14 / 42)
    second = rows[("inspect", "close")]
    assert (second["count"], second["median_wait_s"], second["wait_share"]) == (
        3,
        3600,
        pytest.approx(3 / 42),
    )
    assert figures.undocumented == [] and figures.unseen_steps == []
    # without the log's Close request events, 'close' is never seen, and a mapping that
    # sends Inspect site to 'log' makes an undocumented log -> log loop
    no_close = log.events.filter(pl.col("activity") != "Close request")
    remapped = figures_of(prepare(no_close), _pothole(), Params(mapping={"Inspect site": "log"}))
    assert remapped.unseen_steps == ["close", "inspect"]
    assert [(r["from_step"], r["to_step"], r["count"]) for r in remapped.undocumented] == [
        ("log", "log", 3)
    ]


def test_filters_by_column_value_and_by_exact_variant() -> None:
    """standards.csv: Channel Phone (A, D) and Web (B, C, whose value differs in case
    and spaces elsewhere); B and C follow Log request > Inspect site > Close request."""
    from app.lib.errors import InvalidRequest
    from app.mining.analysis.filters import where_pairs

    path = LOGS / "standards.csv"
    log = read_event_log(path, path.name)

    def cases(filters: Filters) -> list[str]:
        return sorted(filters.apply(log.events).get_column("case_id").unique().to_list())

    assert cases(Filters(where=where_pairs(["Channel=web"]))) == ["B", "C"]
    assert cases(Filters(where=where_pairs(["Channel=Web", "Address=12 MAIN ST"]))) == ["B", "C"]
    assert cases(Filters(where=(("Channel", "Phone"), ("Address", "5 Elm Ave")))) == ["D"]
    three = ("Log request", "Inspect site", "Close request")
    assert cases(Filters(variant=three)) == ["B", "C"]
    assert cases(Filters(variant=three[:2])) == ["D"]
    with pytest.raises(InvalidRequest, match="COLUMN=VALUE"):
        where_pairs(["Channel"])
    with pytest.raises(InvalidRequest, match="no column 'District'"):
        Filters(where=(("District", "3"),)).apply(log.events)
