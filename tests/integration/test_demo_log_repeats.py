"""The demo log's planted duplicate requests: the analysis finds the generator's ground truth.

event_logs/generate_road_repair.py gives every request a Location and plants duplicate
requests (the Location of a request of the same ward that started 1-14 days before). The
expected counts are recomputed here with the csv module alone, not with the code under test.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main
from app.mining.analysis import analysis_document, repeats
from app.mining.eventlog import read_event_log
from tests.conftest import ROOT

LOG = ROOT / "event_logs" / "road-repair-requests.csv"
GROUND_TRUTH_30_DAYS = 162  # printed by the generator; event_logs/SOURCES.md


def reference_repeats(path: Path, days: float) -> int:
    """Requests whose Location (trimmed, any case) is that of another request that started at
    most `days` before them; a request starts at its earliest timestamp."""
    starts: dict[str, datetime] = {}
    locations: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            case, stamp = row["Request ID"], datetime.fromisoformat(row["Timestamp"])
            if case not in starts or stamp < starts[case]:
                starts[case] = stamp
            locations[case].add(row["Location"])
    assert all(len(values) == 1 for values in locations.values()), "Location varies in a case"
    by_location: dict[str, list[datetime]] = defaultdict(list)
    for case, start in starts.items():
        (location,) = locations[case]
        by_location[location.strip().lower()].append(start)
    window = timedelta(days=days)
    count = 0
    for times in by_location.values():
        times.sort()
        count += sum(1 for i in range(1, len(times)) if times[i] - times[i - 1] <= window)
    return count


def test_reference_gives_the_documented_ground_truth() -> None:
    assert reference_repeats(LOG, 30) == GROUND_TRUTH_30_DAYS
    # duplicates are planted 1-14 days after the original: none within a day
    assert reference_repeats(LOG, 0.5) == 0


def test_cli_finds_the_ground_truth(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(tmp_path))
    args = ["analyze", str(LOG), "--json", "--duplicate-requests", "Location"]
    assert main([*args, "--within-days", "30"]) == 0
    found = json.loads(capsys.readouterr().out)["duplicate_requests"]
    assert found["repeat_cases"] == reference_repeats(LOG, 30) == GROUND_TRUTH_30_DAYS
    assert found["cases_with_value"] == 2_500
    assert found["share_of_cases"] == round(GROUND_TRUTH_30_DAYS / 2_500, 4)


@pytest.mark.parametrize("days", [7.0, 14.0, 31.0, 60.0])
def test_other_windows_agree_with_the_reference(days: float) -> None:
    """Locations recur after longer gaps, so the window matters (31 days already adds some)."""
    log = read_event_log(LOG, "road", keep_attributes=True)
    document = analysis_document(
        log.events, log.stats, duplicate_requests=repeats.Params("Location", days)
    )
    assert document["duplicate_requests"]["repeat_cases"] == reference_repeats(LOG, days)
