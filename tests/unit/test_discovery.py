"""Discovery: the directly-follows graph equals pm4py's; the BPMN model is valid BPMN 2.0."""

from __future__ import annotations

import pm4py
import pytest
from defusedxml.ElementTree import fromstring

from app.mining.analysis import prepare
from app.mining.discovery import bpmn_model, directly_follows, pm4py_frame
from app.mining.eventlog import read_event_log
from tests.conftest import DATA, ROOT

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.mark.parametrize(
    "path",
    [DATA / "real" / "receipt" / "receipt.csv", ROOT / "event_logs" / "road-repair-requests.csv"],
    ids=["wabo-receipt", "road-repair"],
)
def test_directly_follows_graph_equals_pm4py(path: object) -> None:
    log = read_event_log(path, "log")  # type: ignore[arg-type]
    ours = directly_follows(prepare(log.events, ordered=True))
    dfg, starts, ends = pm4py.discover_dfg(pm4py_frame(log.events))
    assert {(e["from_activity"], e["to_activity"]): e["count"] for e in ours.edges} == dict(dfg)
    assert ours.start_activities == dict(starts) and ours.end_activities == dict(ends)
    performance, _, _ = pm4py.discover_performance_dfg(pm4py_frame(log.events))
    for edge in ours.edges[:10]:
        expected = performance[(edge["from_activity"], edge["to_activity"])]
        assert edge["mean_wait_s"] == pytest.approx(expected["mean"])
        assert edge["median_wait_s"] == pytest.approx(expected["median"])


def test_bpmn_of_the_top_variants_is_valid_and_names_the_main_activities() -> None:
    """Also guards the pm4py/pandas pitfall: filter_variants_top_k crashes with pandas 3."""
    log = read_event_log(ROOT / "event_logs" / "road-repair-requests.csv", "road")
    xml = bpmn_model(log.events, top_variants=5)
    root = fromstring(xml)
    assert root.tag == f"{BPMN}definitions"
    tasks = {t.get("name") for t in root.iter(f"{BPMN}task")}
    assert {"Receive call", "Enter request details", "Inspect site", "Close request"} <= tasks
    assert "Escalate to councillor" not in tasks  # 3% of cases: not among the top variants
    assert root.find(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram") is not None
    # laid out: every shape has its own place (pm4py's bare export puts all at 0,0)
    bounds = [
        (b.get("x"), b.get("y"))
        for b in root.iter("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
    ]
    assert len(bounds) >= len(tasks) and len(set(bounds)) == len(bounds)
