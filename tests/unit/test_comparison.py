"""The comparison document (CONTRACT section 4), checked against figures worked by hand.

The numbers below were counted from the YAML of the sample processes, not computed by
the code under test; the working is in the comments.
"""

from __future__ import annotations

from app.domain.processes.graph import version_graph
from app.domain.processes.yaml_format import load_process_file
from app.domain.reviews.comparison import compare_versions, version_metrics
from app.lib.graph import GraphFlow, GraphStep, ProcessGraph
from tests.conftest import ROOT

LICENCE = load_process_file(ROOT / "processes" / "business-licence-renewal.yaml")
ROAD = load_process_file(ROOT / "processes" / "road-repair-request.yaml")
LIC, FIRE, PZ, FIN = "Licensing", "Fire Services", "Planning & Zoning", "Finance"
CC, RS, ENG = "Contact Centre", "Roads & Sidewalks", "Engineering"

# Business licence renewal, as-is: 10 steps
#   receive-application Lic 5 min 4.5 | enter-licensing Lic manual 10 9 |
#   enter-fire Fire manual 8 7.2 | inspect-premises Fire manual 60 54 |
#   confirm-zoning P&Z 20 18 | request-documents Lic 10 9 | take-payment Fin 5 4.5 |
#   post-payment Fin manual 4 3.6 | issue-licence Lic manual 8 7.2 | mail-licence Lic 3 2.7
#   departments: Lic, Fire, P&Z, Fin = 4; manual: 5; "Enter application details" by Lic and
#   Fire = 1 duplicate; minutes 5+10+8+60+20+10+5+4+8+3 = 133;
#   cost 4.5+9+7.2+54+18+9+4.5+3.6+7.2+2.7 = 119.7
# Flows (10): receive>enter-lic (Lic>Lic) | enter-lic>enter-fire Lic>Fire, no owner |
#   enter-fire>inspect (Fire>Fire) | inspect>zoning Fire>P&Z, no owner |
#   zoning>request P&Z>Lic | request>zoning Lic>P&Z | zoning>payment P&Z>Fin |
#   payment>post (Fin>Fin) | post>issue Fin>Lic, no owner | issue>mail (Lic>Lic)
#   handoffs 6, unowned 3
LICENCE_AS_IS = {
    "steps": 10,
    "handoffs": 6,
    "departments": 4,
    "manual_entry_steps": 5,
    "duplicate_steps": 1,
    "unowned_handoffs": 3,
    "hands_on_minutes": 133,
    "cost": 119.7,
}
# Option A single entry: receive Lic 3 2.7 | circulate Lic 2 1.8 | inspect Fire 50 45 |
#   zoning P&Z 15 13.5 | post-payment Fin 1 0.9 | issue Lic 3 2.7; none keyed by hand
#   minutes 3+2+50+15+1+3 = 74; cost 2.7+1.8+45+13.5+0.9+2.7 = 66.6
# Flows: receive>circulate (Lic>Lic) | circulate>inspect Lic>Fire | circulate>zoning Lic>P&Z |
#   inspect>post Fire>Fin | zoning>post P&Z>Fin | post>issue Fin>Lic; all owned: 5 handoffs
LICENCE_OPTION_A = {
    "steps": 6,
    "handoffs": 5,
    "departments": 4,
    "manual_entry_steps": 0,
    "duplicate_steps": 0,
    "unowned_handoffs": 0,
    "hands_on_minutes": 74,
    "cost": 66.6,
}

# Road repair, as-is: receive CC 4 3.6 | enter-cc CC manual 6 5.4 | enter-roads R&S manual
#   7 6.3 | verify Eng 10 9 | assign R&S 8 7.2 | inspect R&S manual 25 22.5 |
#   repair R&S 90 81 | update-wo R&S manual 5 4.5 | call-back CC 5 4.5 | close CC manual 2 1.8
#   departments CC, R&S, Eng = 3; manual 5; "Enter request details" by CC and R&S = 1;
#   minutes 4+6+7+10+8+25+90+5+5+2 = 162; cost 3.6+5.4+6.3+9+7.2+22.5+81+4.5+4.5+1.8 = 145.8
# Flows: enter-cc>enter-roads CC>R&S no owner | enter-roads>verify R&S>Eng |
#   verify>enter-roads Eng>R&S no owner | verify>assign Eng>R&S | update>call-back R&S>CC
#   no owner; the other five stay inside a department: handoffs 5, unowned 3
ROAD_AS_IS = {
    "steps": 10,
    "handoffs": 5,
    "departments": 3,
    "manual_entry_steps": 5,
    "duplicate_steps": 1,
    "unowned_handoffs": 3,
    "hands_on_minutes": 162,
    "cost": 145.8,
}
# Option A (CRM): receive CC 4 3.6 | enter CC manual 5 4.5 | assign R&S 5 4.5 |
#   inspect R&S 20 18 | repair R&S 90 81 | close R&S 2 1.8 | call-back CC 4 3.6
#   minutes 4+5+5+20+90+2+4 = 130; cost 3.6+4.5+4.5+18+81+1.8+3.6 = 117
#   handoffs: enter>assign CC>R&S, close>call-back R&S>CC, both owned
ROAD_OPTION_A = {
    "steps": 7,
    "handoffs": 2,
    "departments": 2,
    "manual_entry_steps": 1,
    "duplicate_steps": 0,
    "unowned_handoffs": 0,
    "hands_on_minutes": 130,
    "cost": 117,
}
# Option B (web form): submit CC - - | review CC 2 1.8 | assign R&S 5 4.5 | inspect R&S 20 18 |
#   repair R&S 90 81 | close R&S 2 1.8 | notify CC - -; none keyed by hand
#   minutes 2+5+20+90+2 = 119; cost 1.8+4.5+18+81+1.8 = 107.1
#   handoffs: review>assign CC>R&S, close>notify R&S>CC, both owned
ROAD_OPTION_B = {
    "steps": 7,
    "handoffs": 2,
    "departments": 2,
    "manual_entry_steps": 0,
    "duplicate_steps": 0,
    "unowned_handoffs": 0,
    "hands_on_minutes": 119,
    "cost": 107.1,
}


def test_metrics_of_the_sample_versions() -> None:
    assert version_metrics(version_graph(LICENCE, "as-is")) == LICENCE_AS_IS
    assert version_metrics(version_graph(LICENCE, "option-a-single-entry")) == LICENCE_OPTION_A
    assert version_metrics(version_graph(ROAD, "as-is")) == ROAD_AS_IS
    assert version_metrics(version_graph(ROAD, "option-a-crm")) == ROAD_OPTION_A
    assert version_metrics(version_graph(ROAD, "option-b-web-form")) == ROAD_OPTION_B


def test_licence_as_is_versus_single_entry() -> None:
    document = compare_versions(
        version_graph(LICENCE, "as-is"), version_graph(LICENCE, "option-a-single-entry")
    )
    assert document["from"] == {"label": "as-is", "metrics": LICENCE_AS_IS}
    assert document["to"] == {"label": "option-a-single-entry", "metrics": LICENCE_OPTION_A}
    # 6-10, 5-6, 4-4, 0-5, 0-1, 0-3, 74-133, 66.6-119.7
    assert document["delta"] == {
        "steps": -4,
        "handoffs": -1,
        "departments": 0,
        "manual_entry_steps": -5,
        "duplicate_steps": -1,
        "unowned_handoffs": -3,
        "hands_on_minutes": -59,
        "cost": -53.1,
    }
    diff = document["diff"]
    # as-is names not in option A; option A's only new name is "Circulate for review"
    assert diff["removed_steps"] == [
        "Enter application details",
        "Mail licence",
        "Request missing documents",
        "Take payment",
    ]
    assert diff["added_steps"] == ["Circulate for review"]
    # as-is pairs: Lic>Fire, Fire>P&Z, P&Z>Lic, Lic>P&Z, P&Z>Fin, Fin>Lic
    # option A pairs: Lic>Fire, Lic>P&Z, Fire>Fin, P&Z>Fin, Fin>Lic
    assert diff["removed_handoffs"] == [[FIRE, PZ], [PZ, LIC]]
    assert diff["added_handoffs"] == [[FIRE, FIN]]
    changed = {c["name"]: c["changes"] for c in diff["changed_steps"]}
    assert sorted(changed) == [
        "Confirm zoning compliance",
        "Inspect premises",
        "Issue licence",
        "Post payment",
        "Receive renewal application",
    ]
    assert changed["Post payment"] == {
        "system": ["Financial system", "Online payment, financial system"],
        "manual_entry": [True, False],
        "minutes": [4, 1],
        "cost": [3.6, 0.9],
    }


def test_road_as_is_versus_each_option() -> None:
    as_is = version_graph(ROAD, "as-is")
    crm = compare_versions(as_is, version_graph(ROAD, "option-a-crm"))
    # 7-10, 2-5, 2-3, 1-5, 0-1, 0-3, 130-162, 117-145.8
    assert crm["delta"] == {
        "steps": -3,
        "handoffs": -3,
        "departments": -1,
        "manual_entry_steps": -4,
        "duplicate_steps": -1,
        "unowned_handoffs": -3,
        "hands_on_minutes": -32,
        "cost": -28.8,
    }
    assert crm["diff"]["removed_steps"] == ["Update work order", "Verify road jurisdiction"]
    assert crm["diff"]["added_steps"] == []
    # as-is pairs CC>R&S, R&S>Eng, Eng>R&S, R&S>CC; option A keeps CC>R&S and R&S>CC
    assert crm["diff"]["removed_handoffs"] == [[ENG, RS], [RS, ENG]]
    assert crm["diff"]["added_handoffs"] == []
    changed = {c["name"]: c["changes"] for c in crm["diff"]["changed_steps"]}
    # "Close request" moved from the Contact Centre to Roads; minutes and cost unchanged
    assert changed["Close request"] == {
        "department": [CC, RS],
        "owner": ["Customer Service Representative", "Roads Dispatch Supervisor"],
        "system": ["Excel tracking sheet", "Work order system, CRM"],
        "manual_entry": [True, False],
    }
    # keyed in by two departments before, by one after
    assert changed["Enter request details"] == {"departments": [[CC, RS], [CC]]}

    web = compare_versions(as_is, version_graph(ROAD, "option-b-web-form"))
    # 7-10, 2-5, 2-3, 0-5, 0-1, 0-3, 119-162, 107.1-145.8
    assert web["delta"] == {
        "steps": -3,
        "handoffs": -3,
        "departments": -1,
        "manual_entry_steps": -5,
        "duplicate_steps": -1,
        "unowned_handoffs": -3,
        "hands_on_minutes": -43,
        "cost": -38.7,
    }
    assert web["diff"]["removed_steps"] == [
        "Call back resident",
        "Enter request details",
        "Receive call",
        "Update work order",
        "Verify road jurisdiction",
    ]
    assert web["diff"]["added_steps"] == [
        "Notify resident",
        "Review request",
        "Submit online request",
    ]


def test_expected_cycle_figures_join_the_metrics_and_the_delta() -> None:
    as_is = version_graph(ROAD, "as-is")
    option = version_graph(ROAD, "option-a-crm")
    document = compare_versions(
        as_is,
        option,
        expected_cycle=(
            {"median_hours": 200.5, "p90_hours": 400},
            {"median_hours": 150.25, "p90_hours": 300},
        ),
    )
    assert document["from"]["metrics"]["expected_cycle_hours"] == 200.5
    assert document["to"]["metrics"]["expected_cycle_p90_hours"] == 300
    assert document["delta"]["expected_cycle_hours"] == -50.25
    assert document["delta"]["expected_cycle_p90_hours"] == -100
    unknown = compare_versions(
        as_is, option, expected_cycle=(None, {"median_hours": 1, "p90_hours": 2})
    )
    assert unknown["from"]["metrics"]["expected_cycle_hours"] is None
    assert unknown["delta"]["expected_cycle_hours"] is None
    assert "expected_cycle_hours" not in compare_versions(as_is, option)["delta"]


def test_a_version_with_no_steps_has_zero_metrics_and_contract_keys() -> None:
    empty = ProcessGraph("p", "empty")
    one = ProcessGraph(
        "p", "one", [GraphStep("a", "A", "X"), GraphStep("b", "B", "X")], [GraphFlow("a", "b")]
    )
    document = compare_versions(empty, one)
    assert list(document) == ["from", "to", "delta", "diff"]
    assert document["from"]["metrics"]["steps"] == 0 and document["delta"]["steps"] == 2
    assert document["diff"]["added_steps"] == ["A", "B"]
    assert document["diff"]["added_handoffs"] == []
