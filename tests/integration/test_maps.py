"""Maps, comparisons and program reviews end to end: the CLI on files, the API on both
databases, against the numbers of the sample processes worked out by hand."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.cli import main
from tests.conftest import ROOT
from tests.integration.conftest import assert_problem

Client = TestClient[Litestar]
PROCESSES = ROOT / "processes"
ROAD = PROCESSES / "road-repair-request.yaml"
LOG = ROOT / "event_logs" / "road-repair-requests.csv"
pytestmark = pytest.mark.graphviz

# road-repair-request.yaml, counted by hand (tests/unit/test_comparison.py shows the work):
# steps, handoffs, departments, manual entry, duplicate steps, unowned, minutes, cost
AS_IS = dict(zip(
    ["steps", "handoffs", "departments", "manual_entry_steps", "duplicate_steps",
     "unowned_handoffs", "hands_on_minutes", "cost"],
    [10, 5, 3, 5, 1, 3, 162, 145.8],
    strict=True,
))  # fmt: skip
OPTION_A = dict(zip(AS_IS, [7, 2, 2, 1, 0, 0, 130, 117], strict=True))


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_render_every_sample_version_deterministically(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    for path in sorted(PROCESSES.glob("*.yaml")):
        labels = [v["label"] for v in yaml.safe_load(path.read_text())["versions"]]
        for label in labels:
            out = cli_env / f"{path.stem}-{label}.svg"
            assert run(capsys, "render", str(path), "--version", label, "-o", str(out))[0] == 0
            first = out.read_bytes()
            assert first.startswith(b"<?xml") and b"<svg" in first
            assert run(capsys, "render", str(path), "--version", label, "-o", str(out))[0] == 0
            assert out.read_bytes() == first, f"{path.name} {label} differs between renders"
    png = cli_env / "road.png"
    assert run(capsys, "render", str(ROAD), "--version", "as-is", "-o", str(png))[0] == 0
    assert png.read_bytes().startswith(b"\x89PNG")


def test_render_and_compare_refuse_bad_input(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "render", str(ROAD), "--version", "as-is", "-o", "map.txt")
    assert status == 2 and "map.txt" in err and ".svg" in err
    status, _, err = run(capsys, "render", str(ROAD), "--version", "nope", "-o", "m.svg")
    assert status == 2 and "nope" in err
    status, _, err = run(capsys, "compare", str(ROAD), "--from", "as-is", "--to", "option-a-crm")
    assert status == 2 and "--json" in err
    status, _, err = run(capsys, "review", str(ROAD), "-o", "r.xlsx")
    assert status == 2 and ".html" in err
    out = str(cli_env / "r.csv")
    status, _, err = run(capsys, "review", str(ROAD), "-o", out, "--weight", "speed=2")
    assert status == 2 and "speed" in err


def test_compare_json_against_hand_counts(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        capsys, "compare", str(ROAD), "--from", "as-is", "--to", "option-a-crm", "--json"
    )
    assert status == 0
    document = json.loads(out)
    assert document["from"] == {"label": "as-is", "metrics": AS_IS}
    assert document["to"] == {"label": "option-a-crm", "metrics": OPTION_A}
    assert document["delta"] == {k: pytest.approx(OPTION_A[k] - AS_IS[k]) for k in AS_IS}
    # option A: the request is entered once in the CRM, Engineering leaves the process
    assert ["Engineering", "Roads & Sidewalks"] in document["diff"]["removed_handoffs"]
    assert "Verify road jurisdiction" in document["diff"]["removed_steps"]

    svg = cli_env / "diff.svg"
    status, _, _ = run(
        capsys, "compare", str(ROAD), "--from", "as-is", "--to", "option-a-crm", "-o", str(svg)
    )
    assert status == 0 and b"Verify road jurisdiction" in svg.read_bytes()


def test_compare_with_a_log_gives_expected_cycle_times(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", str(ROAD), "--from", "as-is", "--to", "option-a-crm", "--json"]
    status, out, _ = run(capsys, *args, "--log", str(LOG))
    assert status == 0
    document = json.loads(out)
    before, after = document["from"]["metrics"], document["to"]["metrics"]
    assert 0 < after["expected_cycle_hours"] < before["expected_cycle_hours"]
    assert before["expected_cycle_hours"] <= before["expected_cycle_p90_hours"]
    flows = document["expected_cycle"]["from"]["flows"]
    # every as-is flow is seen in the log often enough to use its mined waits
    assert {f["source"] for f in flows} == {"mined"}
    # the seeded simulation gives the same figures twice
    assert json.loads(run(capsys, *args, "--log", str(LOG))[1]) == document


def test_review_and_log_maps_from_the_cli(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = cli_env / "review.csv"
    assert run(capsys, "review", str(ROAD), "-o", str(out))[0] == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["label"] for r in rows] == ["as-is", "option-a-crm", "option-b-web-form"]
    assert rows[1]["handoffs"] == "2" and rows[1]["one_off_cost"] == "180000"
    page = cli_env / "review.html"
    assert run(capsys, "review", str(ROAD), "-o", str(page), "--log", str(LOG))[0] == 0
    text = page.read_text()
    assert text.count("<svg") == 3 and "Program review: Road repair request" in text
    assert "<script" not in text and "http" not in text.replace("http://www.w3.org", "")

    dot = cli_env / "mined.dot"
    status, _, err = run(capsys, "map", str(LOG), "-o", str(dot), "--keep", "50")
    assert status == 0 and "showing" in err
    assert "Receive call" in dot.read_text()
    split = cli_env / "split.dot"
    status, _, err = run(capsys, "map", str(LOG), "-o", str(split), "--split", "2025-07-01")
    assert status == 0 and "before and after 2025-07-01" in split.read_text()
    versus = cli_env / "versus.dot"
    status, _, _ = run(capsys, "map", str(LOG), "-o", str(versus), "--versus", str(LOG))
    # a log against itself: every transition about the same
    text = versus.read_text()
    assert status == 0 and "+0.0% vol" in text
    assert "#2e7d32" not in text and "#c62828" not in text  # neither better nor worse
    customer = cli_env / "customer.dot"
    assert run(capsys, "map", str(LOG), "-o", str(customer), "--kind", "customer")[0] == 0
    assert "Engineering" in customer.read_text()


def test_maps_and_comparison_through_the_api(
    loaded: tuple[Client, int],
    capsys: pytest.CaptureFixture[str],
    cli_env: Path,
) -> None:
    client, log_id = loaded
    base = "/api/processes/road-repair-request"
    plain = client.get(f"{base}/map", params={"version": "as-is"})
    assert plain.status_code == 200 and plain.headers["content-type"] == "image/svg+xml"
    assert b"Receive call" in plain.content and b"of all waiting" not in plain.content
    overlay = client.get(f"{base}/map", params={"version": "as-is", "log": log_id})
    assert b"of all waiting" in overlay.content
    png = client.get(f"{base}/map", params={"version": "as-is", "format": "png"})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")

    query: dict[str, Any] = {"from": "as-is", "to": "option-a-crm"}
    document = client.get(f"{base}/compare", params=query).json()
    status, out, _ = run(
        capsys, "compare", str(ROAD), "--from", "as-is", "--to", "option-a-crm", "--json"
    )
    assert status == 0 and document == json.loads(out)
    mined = client.get(f"{base}/compare", params={**query, "log": log_id}).json()
    assert mined["from"]["metrics"]["expected_cycle_hours"] > 0
    side = client.get(f"{base}/compare/map", params={**query, "style": "side-by-side"})
    assert side.status_code == 200 and side.content.count(b"Receive call") >= 2
    assert_problem(client.get(f"{base}/compare/map", params={**query, "style": "x"}), 400)
    bpmn = client.get(f"{base}/model.bpmn", params={"version": "as-is"})
    assert bpmn.headers["content-type"].startswith("application/xml")
    assert b"<bpmn:laneSet" in bpmn.content and b"BPMNShape" in bpmn.content
    status, _, _ = run(capsys, "render", str(ROAD), "--version", "as-is", "-o", "road.bpmn")
    assert status == 0 and (cli_env / "road.bpmn").read_bytes() == bpmn.content
    assert_problem(client.get(f"{base}/compare", params={"from": "as-is", "to": "nope"}), 404)
    assert_problem(client.get(f"{base}/map", params={"version": "as-is", "log": 999}), 404)


def test_program_review_through_the_api(loaded: tuple[Client, int]) -> None:
    client, log_id = loaded
    base = "/api/processes/road-repair-request/review"
    review = client.get(base, params={"log": log_id}).json()
    rows = {r["label"]: r for r in review["rows"]}
    assert set(rows) == {"as-is", "option-a-crm", "option-b-web-form"}
    assert sorted(r["rank"] for r in rows.values()) == [1, 2, 3]
    assert all(r["expected_cycle_hours"] > 0 for r in rows.values())
    only_cost = client.get(base, params={"weight": "one_off_cost=1"}).json()["rows"]
    # on cost alone the as-is (nothing to spend) ranks first, the cheaper web form second
    assert [r["label"] for r in sorted(only_cost, key=lambda r: r["rank"])] == [
        "as-is",
        "option-b-web-form",
        "option-a-crm",
    ]
    page = client.get(base, params={"format": "html"})
    assert page.headers["content-type"].startswith("text/html") and b"<svg" in page.content
    table = client.get(base, params={"format": "csv"})
    assert table.text.splitlines()[0].startswith("rank,label,kind,score")
    assert_problem(client.get(base, params={"weight": "speed=1"}), 400, "speed")
    assert_problem(client.get(base, params={"weight": "handoffs"}), 400, "CRITERION=NUMBER")


def test_log_maps_through_the_api(loaded: tuple[Client, int]) -> None:
    client, log_id = loaded
    base = f"/api/event-logs/{log_id}"
    full = client.get(f"{base}/map")
    assert full.status_code == 200 and full.headers["x-handoff-edges"] == "22/22"
    kept = client.get(f"{base}/map", params={"keep": 50, "measure": "performance"})
    shown, total = map(int, kept.headers["x-handoff-edges"].split("/"))
    assert shown < total == 22
    customer = client.get(f"{base}/customer-map/map", params={"format": "dot"})
    assert customer.headers["content-type"].startswith("text/vnd.graphviz")
    assert b"Roads &amp; Sidewalks" in customer.content
    split = client.get(f"{base}/compare-map", params={"split": "2025-07-01"})
    assert split.status_code == 200 and b"<svg" in split.content
    assert_problem(client.get(f"{base}/compare-map"), 400, "split at a date")
    catalogue = client.get("/api/customer-map/map")
    assert catalogue.status_code == 200 and b"Contact Centre" in catalogue.content


def test_slices_of_a_log_by_column_and_variant_filters(loaded: tuple[Client, int]) -> None:
    client, log_id = loaded
    base = f"/api/event-logs/{log_id}"
    document = client.get(f"{base}/analysis", params={"process": "road-repair-request"}).json()
    by_channel = {
        c["channel"]: c["observed"]
        for c in document["conformance"]["service_standards"]["process"]["by_channel"]
    }
    web = client.get(f"{base}/analysis", params={"where": "Channel=Web"}).json()
    assert web["log"]["cases"] == by_channel["Web"]
    top = document["variants"][0]
    only_top = client.get(f"{base}/analysis", params={"variant": top["activities"]}).json()
    assert only_top["log"]["cases"] == top["cases"]
    assert only_top["variants"] == [{**top, "share": 1.0}]
    sliced = client.get(
        f"{base}/compare-map",
        params={"before_where": "Channel=Phone", "after_where": "Channel=Web", "format": "dot"},
    )
    assert sliced.status_code == 200 and b"Channel=Phone" in sliced.content
    assert_problem(
        client.get(f"{base}/compare-map", params={"split": "2025-07-01", "other": log_id}),
        400,
        "split at a date",
    )
    assert_problem(client.get(f"{base}/analysis", params={"where": "Channel"}), 400, "COLUMN=VALUE")
