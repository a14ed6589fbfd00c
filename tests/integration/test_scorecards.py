"""Department scorecards: figures against the analysis document and an independent count
of the demo road repair log, the previous-period change on a tiny log worked by hand,
exports, bad input (API problems, CLI exit 2) and the payback of options in a review."""

from __future__ import annotations

import csv
import io
from typing import Any

import polars as pl
import pytest

from app.cli import main
from tests.conftest import ROOT
from tests.integration.conftest import Client, assert_problem

ROAD = ROOT / "event_logs" / "road-repair-requests.csv"
DEC, JAN = "2025-12-01", "2026-01-01"


def _independent(department: str, start: str, end: str) -> dict[str, Any]:
    """Cases touching the department and the per-case time it holds them, with polars
    straight from the CSV (exact duplicate rows dropped, cases by their first event)."""
    frame = (
        pl.read_csv(ROAD)
        .unique(maintain_order=True)
        .with_row_index("line")
        .with_columns(pl.col("Timestamp").str.to_datetime(time_zone="UTC"))
        .sort(["Request ID", "Timestamp", "line"])
    )
    first = frame.group_by("Request ID").agg(pl.col("Timestamp").min().alias("first"))
    low = pl.lit(start).str.to_datetime(time_zone="UTC")
    high = pl.lit(end).str.to_datetime(time_zone="UTC")
    cases = first.filter((pl.col("first") >= low) & (pl.col("first") < high))
    chosen = frame.join(cases, on="Request ID", how="semi")
    mine = chosen.filter(pl.col("Department") == department)
    pairs = chosen.with_columns(
        pl.col("Department").shift(1).over("Request ID").alias("before"),
        pl.col("Timestamp").shift(1).over("Request ID").alias("before_at"),
    ).filter((pl.col("before") == department) & (pl.col("Department") == department))
    held = pairs.group_by("Request ID").agg(
        ((pl.col("Timestamp") - pl.col("before_at")).dt.total_seconds()).sum().alias("s")
    )
    return {
        "cases": mine.get_column("Request ID").n_unique(),
        "events": mine.height,
        "p90": held.get_column("s").cast(pl.Float64).quantile(0.9, "linear"),
    }


def test_scorecards_match_the_analysis_document_and_an_independent_count(
    loaded: tuple[Client, int],
) -> None:
    client, log_id = loaded
    answer = client.get(f"/api/event-logs/{log_id}/scorecards")
    assert answer.status_code == 200, answer.text
    cards = answer.json()
    # the default period: the log ends on 31 December, so December is its latest whole month
    assert cards["period"] == {"from": "2025-12-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    assert cards["previous_period"]["from"] == "2025-11-01T00:00:00Z"
    assert cards["standards"] == {
        "process": "road-repair-request",
        "chosen": "best match of the log's activities",
    }
    params = {"from": DEC, "to": JAN, "process": "road-repair-request"}
    document = client.get(f"/api/event-logs/{log_id}/analysis", params=params).json()
    by_name = {r["department"]: r for r in cards["departments"]}
    assert set(by_name) == set(document["log"]["departments"])
    for row in document["departments"]:
        mine = by_name[row["department"]]["current"]
        assert (mine["cases"], mine["events"]) == (row["cases"], row["events"])
        assert (mine["handoffs_in"], mine["handoffs_out"]) == (
            row["handoffs_in"],
            row["handoffs_out"],
        )
        median = row["median_holding_per_case_s"]
        assert mine["median_holding_hours"] == (
            round(median / 3600, 2) if median is not None else None
        )
        extra = sum(
            r["extra_executions"]
            for r in document["rework"]
            if r["department"] == row["department"]
        )
        assert mine["rework_extra_executions"] == extra
        pairs = [
            r
            for r in document["pingpong"]
            if row["department"] in (r["from_department"], r["to_department"])
        ]
        # counted once per case: at least the busiest pair, at most every pair added up
        assert max((p["cases"] for p in pairs), default=0) <= mine["pingpong_cases"]
        assert mine["pingpong_cases"] <= sum(p["cases"] for p in pairs)
    flows = document["conformance"]["service_standards"]["flows"]
    roads = by_name["Roads & Sidewalks"]["current"]
    touching = [
        f
        for f in flows
        if f["from_department"] != f["to_department"]
        and "Roads & Sidewalks" in (f["from_department"], f["to_department"])
    ]
    assert roads["standard_observed"] == sum(f["observed"] for f in touching) > 0
    assert roads["standard_met"] == sum(f["met"] for f in touching)
    for department in ("Contact Centre", "Roads & Sidewalks"):
        expected = _independent(department, DEC, JAN)
        mine = by_name[department]["current"]
        assert (mine["cases"], mine["events"]) == (expected["cases"], expected["events"])
        assert mine["p90_holding_hours"] == round(expected["p90"] / 3600, 2)
    # the change is this period minus the previous one
    cc = by_name["Contact Centre"]
    assert cc["change"]["cases"] == cc["current"]["cases"] - cc["previous"]["cases"]


def test_one_department_has_a_monthly_trend_matching_the_monthly_documents(
    loaded: tuple[Client, int],
) -> None:
    client, log_id = loaded
    card = client.get(f"/api/event-logs/{log_id}/scorecards/roads  %26 SIDEWALKS").json()
    assert card["department"] == "Roads & Sidewalks"
    assert [m["month"] for m in card["trend"]] == [f"2025-{m:02d}" for m in range(1, 13)]
    march = client.get(
        f"/api/event-logs/{log_id}/analysis", params={"from": "2025-03-01", "to": "2025-04-01"}
    ).json()
    row = next(r for r in march["departments"] if r["department"] == "Roads & Sidewalks")
    assert card["trend"][2]["cases"] == row["cases"]
    assert card["trend"][2]["p90_holding_hours"] == round(
        _independent("Roads & Sidewalks", "2025-03-01", "2025-04-01")["p90"] / 3600, 2
    )
    page = client.get(f"/api/event-logs/{log_id}/scorecards/Engineering", params={"format": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.count('<svg class="spark"') == 10 and "Engineering" in page.text
    exported = client.get(f"/api/event-logs/{log_id}/scorecards", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    cases = next(r for r in rows if r["department"] == "Engineering" and r["figure"] == "cases")
    assert int(cases["value"]) == _independent("Engineering", DEC, JAN)["cases"]


TINY = """case,activity,timestamp,department
a,Receive,2024-01-02T09:00:00Z,Desk
a,Check,2024-01-02T11:00:00Z,Desk
a,Fix,2024-01-03T09:00:00Z,Works
a,Check,2024-01-03T10:00:00Z,Desk
a,Fix,2024-01-04T09:00:00Z,Works
b,Receive,2024-01-20T09:00:00Z,Desk
b,Fix,2024-01-21T09:00:00Z,Works
c,Receive,2024-02-05T09:00:00Z,Desk
c,Check,2024-02-05T13:00:00Z,Desk
c,Check,2024-02-05T14:00:00Z,Desk
c,Fix,2024-02-06T09:00:00Z,Works
"""


def test_the_change_against_the_previous_period_worked_by_hand(client: Client) -> None:
    """February against January, for Desk:
    January: cases a, b (2); Desk events 4 (a 3, b 1); Desk holds a from 09:00 to 11:00
    (2 h) and b not at all, so one holding time of 2 h; a hands Desk->Works twice
    (ping-pong, 1 of 2 cases); a's two 'Check' events are the same activity by the same
    department: rework, 1 extra execution of 4 events.
    February: case c; Desk events 3; Desk holds c 4 h + 1 h = 5 h; c repeats 'Check' once
    (1 extra of 3 events); no ping-pong."""
    log_id = client.post("/api/event-logs", files={"file": ("tiny.csv", TINY)}).json()["id"]
    card = client.get(
        f"/api/event-logs/{log_id}/scorecards/desk",
        params={"from": "2024-02-01", "to": "2024-03-01"},
    ).json()
    assert card["previous_period"] == {"from": "2024-01-01T00:00:00Z", "to": "2024-02-01T00:00:00Z"}
    now, then, change = card["current"], card["previous"], card["change"]
    assert (then["cases"], then["events"], now["cases"], now["events"]) == (2, 4, 1, 3)
    assert (then["median_holding_hours"], now["median_holding_hours"]) == (2.0, 5.0)
    assert (then["p90_holding_hours"], now["p90_holding_hours"]) == (2.0, 5.0)
    assert (then["pingpong_rate"], now["pingpong_rate"]) == (0.5, 0.0)
    assert (then["rework_rate"], now["rework_rate"]) == (0.25, round(1 / 3, 4))
    assert change["cases"] == -1 and change["median_holding_hours"] == 3.0
    assert change["pingpong_rate"] == -0.5
    assert now["standard_share"] is None and now["unowned_handoffs"] is None  # nothing documented


def test_bad_requests_are_problems(loaded: tuple[Client, int]) -> None:
    client, log_id = loaded
    base = f"/api/event-logs/{log_id}/scorecards"
    assert_problem(client.get(f"{base}/Parks"), 404, "no department 'Parks'", "Contact Centre")
    assert_problem(client.get(base, params={"from": "soon"}), 400, "not a date")
    assert_problem(
        client.get(base, params={"from": "2025-06-01", "to": "2025-05-01"}), 400, "must come after"
    )
    assert_problem(client.get(base, params={"process": "no-such"}), 404)
    assert_problem(client.get("/api/event-logs/999999/scorecards"), 404)
    for dates in ({"from": "0001-01-15"}, {"from": "9999-12-20"}, {"to": "0001-01-05"}):
        assert_problem(client.get(base, params=dates), 400, "between 1900 and 2200")
        assert_problem(client.get(f"{base}/Engineering", params=dates), 400, "1900")


def test_a_period_before_the_log_has_no_figures_and_csv_cells_are_not_formulas(
    client: Client,
) -> None:
    """January against December: the log starts in January, so December's figures are
    unknown (None), not zero; a department named like a formula is exported as text."""
    log_id = client.post(
        "/api/event-logs", files={"file": ("tiny.csv", TINY.replace("Works", "=Works"))}
    ).json()["id"]
    card = client.get(
        f"/api/event-logs/{log_id}/scorecards/desk",
        params={"from": "2024-01-01", "to": "2024-02-01"},
    ).json()
    assert card["current"]["cases"] == 2
    assert card["previous"]["cases"] is None and card["change"]["cases"] is None
    exported = client.get(
        f"/api/event-logs/{log_id}/scorecards",
        params={"from": "2024-01-01", "to": "2024-02-01", "format": "csv"},
    ).text
    assert "\n'=Works," in exported and "\n=Works" not in exported


def test_the_scorecard_command(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "card.csv"
    status = main(["scorecard", str(ROAD), "--for", "contact centre", "-o", str(out)])
    assert status == 0
    rows = list(csv.DictReader(out.open()))
    cases = next(r for r in rows if r["figure"] == "cases")
    assert (cases["department"], int(cases["value"])) == (
        "Contact Centre",
        _independent("Contact Centre", DEC, JAN)["cases"],
    )
    capsys.readouterr()
    assert main(["scorecard", str(ROAD), "--for", "Parks"]) == 2
    err = capsys.readouterr().err
    assert "no department 'Parks'" in err and "Roads & Sidewalks" in err
    assert "Traceback" not in err
    assert main(["scorecard", str(ROAD), "-o", str(tmp_path / "card.pdf")]) == 2
    assert "as .csv, .html or .json" in capsys.readouterr().err


def test_the_review_shows_the_payback_of_each_option(loaded: tuple[Client, int]) -> None:
    """Yearly cases: the demo log spans 2 Jan to 31 Dec 2025 (under a year), so its 2,500
    cases scale to 365 days; option B saves 145.8 - 107.1 of step cost per case (every
    step records its cost, staff time included, so the hourly cost prices nothing)."""
    client, log_id = loaded
    body = client.get(
        "/api/processes/road-repair-request/review", params={"log": log_id, "hourly_cost": 60}
    ).json()
    first = "2025-01-02T13:52:43Z"
    last = "2025-12-31T21:29:49Z"
    from datetime import datetime

    span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds() / 86400
    yearly = round(2500 * 365 / span, 1)
    assert body["payback"]["yearly_cases"] == yearly
    option = next(r for r in body["rows"] if r["label"] == "option-b-web-form")
    per_case = 145.8 - 107.1
    assert option["saving_per_case"] == pytest.approx(per_case, abs=1e-4)
    assert option["yearly_savings"] == pytest.approx(per_case * yearly, abs=0.01)
    assert option["payback_months"] == round(45000 / round(per_case * yearly, 2) * 12, 2)
    as_is = body["rows"][0]
    assert option["resident_hours_saved_per_year"] == round(
        (as_is["expected_cycle_hours"] - option["expected_cycle_hours"]) * yearly, 1
    )
    page = client.get(
        "/api/processes/road-repair-request/review", params={"log": log_id, "format": "html"}
    ).text
    assert "<h2>Payback</h2>" in page and "option-b-web-form: saves" in page
    bare = client.get("/api/processes/road-repair-request/review").json()
    assert bare["payback"] is None and "Payback is not shown" in bare["payback_notes"][0]
    assert_problem(
        client.get("/api/processes/road-repair-request/review", params={"hourly_cost": -1}), 400
    )


def test_scorecards_take_the_read_permission(app: Any, loaded: tuple[Client, int]) -> None:
    from tests.conftest import signed_in
    from tests.integration.test_accounts import _routes

    ours = {(m, p, perm) for m, p, perm in _routes(app) if "/scorecards" in p}
    assert ours == {
        ("GET", "/api/event-logs/999999/scorecards", "read"),
        ("GET", "/api/event-logs/999999/scorecards/nothing-here", "read"),
    }
    _, log_id = loaded
    with signed_in(app, "viewer") as client:
        assert client.get(f"/api/event-logs/{log_id}/scorecards/Engineering").status_code == 200


def test_review_command_with_given_yearly_cases_and_hourly_cost(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    out = tmp_path / "review.json"
    road = ROOT / "processes" / "road-repair-request.yaml"
    args = ["review", str(road), "-o", str(out), "--yearly-cases", "1000", "--hourly-cost", "0"]
    assert main(args) == 0
    option = next(r for r in json.loads(out.read_text()) if r["label"] == "option-a-crm")
    # hourly cost 0: only the step costs count, 145.80 - 117.00 = 28.80 per case
    assert option["yearly_savings"] == pytest.approx(28_800)
    assert option["payback_months"] == round(180_000 / 28_800 * 12, 2)
    assert option["resident_hours_saved_per_year"] is None  # no log: no expected cycle


def test_a_large_log_answers_202_until_its_analyses_are_ready(settings: Any) -> None:
    """With every log counted as large, the analyses a scorecard needs are computed in the
    background: 202 with Retry-After (all of them asked for at once), then the card."""
    import time

    from app.asgi import create_app
    from tests.conftest import signed_in

    app = create_app(settings.model_copy(update={"inline_analysis_events": 0}))
    with signed_in(app) as client:
        log_id = client.post("/api/event-logs", files={"file": ("tiny.csv", TINY)}).json()["id"]
        url = f"/api/event-logs/{log_id}/scorecards/Desk"
        answer = client.get(url, params={"from": "2024-02-01", "to": "2024-03-01"})
        assert answer.status_code == 202 and answer.headers["retry-after"]
        assert answer.json()["state"] == "running"
        deadline = time.monotonic() + 90
        while answer.status_code == 202 and time.monotonic() < deadline:
            time.sleep(0.3)
            answer = client.get(url, params={"from": "2024-02-01", "to": "2024-03-01"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["current"]["median_holding_hours"] == 5.0
