#!/usr/bin/env python3
"""Generate a realistic, seeded municipal service-request event log (a 311/CRM export) as CSV.

    python benchmarks/generate_log.py --events 1000000 -o log.csv [--seed 7] [--activities 300]

or, from Python (from the repository root)::

    from benchmarks.generate_log import generate
    generate(1_000_000, "log.csv", seed=7)

The file has the columns ``Case ID,Activity,Timestamp,Department,Resource,Channel``, exactly
``events`` data rows, sorted by timestamp over the whole file (cases interleave, as in a real
export), timestamps in ISO 8601 UTC (``2024-03-05T14:02:11+00:00``). The same seed and size
give byte-identical files.

What is in it:

- 12 departments, 60 activities (an activity is a name done by one department; eight names
  are done by two departments, e.g. "Enter request details" by the Contact Centre and again
  by Roads & Sidewalks: the duplicate data entry that handoffs cause);
- 7 process types (road repair, missed garbage collection, by-law complaint, building
  permit inquiry, water billing dispute, business licence renewal, park maintenance) with
  their own routes, drawn as Markov chains; cases have 3 to 15 events (the few that would
  run longer are cut at 15, as still-open cases);
- rework (an activity repeated in a case: re-inspections, re-notifying a contractor),
  ping-pong between departments (A -> B -> A -> B: a misrouted request sent back and forth);
- waits: the time since the previous event is lognormal per activity (the work), plus, on
  a handoff to another department, a lognormal queue time whose median depends on the
  receiving department (minutes to weeks); both count working time only (Mon-Fri
  08:00-17:00, city clock UTC-5, no holidays), except ~3% of events done after hours;
  requests arrive over 2022-2024 with weekday, hour-of-day (by channel) and seasonal
  patterns;
- 326 resources (324 staff user ids, each in one department, some much busier than others, often the
  same person for consecutive steps in a department, plus the web portal and mobile app);
- about 0.2% exact duplicate rows (next to their original) and 0.5% blank departments;
- with ``--activities N`` (N > 52), (N - 52) / 8 more process types of eight new activities
  each ("Verify drainage plan", ...) spread over two or three departments with rework and
  sends back, taking half of the cases between them (the default keeps the bytes above).

It runs in bounded memory: routes are simulated for all cases at once (15 bytes a case),
then timestamps, resources and CSV bytes are produced chunk by chunk with numpy only.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["BASE_ACTIVITIES", "COLUMNS", "VERSION", "extra_processes", "generate"]

# Bump when the bytes written for a given (events, seed) change: benchmarks/common.py caches
# generated files under a name that includes it.
VERSION = 1

COLUMNS = ("Case ID", "Activity", "Timestamp", "Department", "Resource", "Channel")

MAX_EVENTS_PER_CASE = 15
DUPLICATE_SHARE = 0.002
BLANK_DEPARTMENT_SHARE = 0.005
AFTER_HOURS_SHARE = 0.03
SAME_RESOURCE_SHARE = 0.65  # next step in the same department done by the same person
CASE_NUMBER_BASE = 10_000_001  # Case IDs are SR10000001, SR10000002, ... in order of arrival

HOUR = 3600
DAY = 86400
UTC_OFFSET_HOURS = -5  # the city's clock (no daylight saving, for simplicity)
OPEN, CLOSE = 8 * HOUR, 17 * HOUR
WORKDAY = CLOSE - OPEN
MONDAY = 4  # 1970-01-05, day 4 since the epoch, was a Monday
FIRST_DAY = np.datetime64("2022-01-01", "D")
LAST_DAY = np.datetime64("2025-01-01", "D")  # exclusive: requests arrive over three years
MIN_WAIT_SECONDS = 30
MAX_WAIT_SECONDS = 60 * WORKDAY  # twelve working weeks

CC = "Contact Centre"
ROADS = "Roads & Sidewalks"
ENG = "Engineering"
BYLAW = "By-law Enforcement"
WASTE = "Waste Management"
BUILDING = "Building Services"
PLANNING = "Planning & Zoning"
FINANCE = "Finance"
WATER = "Water Utility"
PARKS = "Parks"
LEGAL = "Legal Services"
LICENSING = "Licensing"

# department: (staff, median working hours a case waits in its queue after a handoff to it)
DEPARTMENTS: dict[str, tuple[int, float]] = {
    CC: (70, 1.0),
    ROADS: (40, 6.0),
    ENG: (16, 14.0),
    BYLAW: (30, 8.0),
    WASTE: (24, 3.0),
    BUILDING: (30, 10.0),
    PLANNING: (14, 20.0),
    FINANCE: (26, 12.0),
    WATER: (24, 7.0),
    PARKS: (30, 12.0),
    LEGAL: (8, 35.0),
    LICENSING: (12, 5.0),
}
HANDOFF_SIGMA = 1.2
WORK_SIGMA = 1.0

CHANNELS = ("Phone", "Web", "Mobile App", "Email", "Walk-in")
ONLINE_CHANNELS = (1, 2)
SYSTEM_RESOURCES = {1: "web-portal", 2: "mobile-app"}  # channel index: resource
ONLINE_ACTIVITY = "Submit online request"

# Arrivals by hour of the city's day: by phone, email or at a counter; online.
HOURS_STAFFED = (0, 0, 0, 0, 0, 0, 0, 0.02, 0.6, 1, 1, 0.9, 0.75, 0.9, 0.95, 0.85, 0.6, 0.15)
HOURS_STAFFED += (0.05, 0.02, 0, 0, 0, 0)
HOURS_ONLINE = (0.1, 0.05, 0.03, 0.03, 0.05, 0.1, 0.3, 0.6, 0.9, 1, 1, 1, 1, 1, 1, 0.95)
HOURS_ONLINE += (0.9, 0.9, 0.95, 1, 0.9, 0.7, 0.45, 0.25)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.3, 0.2)  # Monday first

END = "end"


@dataclass(frozen=True)
class Process:
    """One type of request: its steps, its routes and how residents reach it."""

    name: str
    weight: float  # share of cases
    channels: tuple[float, float, float, float, float]  # P(Phone, Web, Mobile App, Email, Walk-in)
    steps: dict[str, tuple[str, str, float]]  # id: (activity, dept, median working hours)
    flows: dict[str, tuple[tuple[str, float], ...]]  # id: ((next id or END, probability), ...)
    start: str  # first step by phone, email or at a counter
    online_start: str  # first step by web or app


PROCESSES: tuple[Process, ...] = (
    Process(
        name="Road repair request",
        weight=0.22,
        channels=(0.45, 0.25, 0.20, 0.07, 0.03),
        steps={
            "call": ("Receive call", CC, 0),
            "web": (ONLINE_ACTIVITY, CC, 0),
            "enter": ("Enter request details", CC, 0.1),
            "enter-roads": ("Enter request details", ROADS, 0.5),
            "verify": ("Verify road jurisdiction", ENG, 3),
            "assign": ("Assign to crew", ROADS, 2),
            "inspect": ("Inspect site", ROADS, 10),
            "repair": ("Repair defect", ROADS, 20),
            "callback": ("Call back resident", CC, 1),
            "close": ("Close request", CC, 0.3),
        },
        flows={
            "call": (("enter", 1.0),),
            "web": (("enter-roads", 0.55), ("enter", 0.30), ("verify", 0.15)),
            "enter": (("enter-roads", 0.75), ("verify", 0.13), ("close", 0.12)),
            # Roads <-> Engineering ping-pong over whose road it is.
            "enter-roads": (("assign", 0.62), ("verify", 0.33), ("close", 0.05)),
            "verify": (("assign", 0.55), ("enter-roads", 0.30), ("close", 0.15)),
            "assign": (("inspect", 0.85), ("repair", 0.15)),
            "inspect": (("repair", 0.72), ("assign", 0.13), ("callback", 0.15)),
            "repair": (("callback", 0.55), ("close", 0.35), ("inspect", 0.10)),
            "callback": (("close", 1.0),),
            "close": ((END, 1.0),),
        },
        start="call",
        online_start="web",
    ),
    Process(
        name="Missed garbage collection",
        weight=0.24,
        channels=(0.50, 0.25, 0.15, 0.08, 0.02),
        steps={
            "call": ("Receive call", CC, 0),
            "web": (ONLINE_ACTIVITY, CC, 0),
            "check": ("Check collection schedule", CC, 0.1),
            "log": ("Log request", CC, 0.1),
            "log-waste": ("Log request", WASTE, 0.5),
            "notify": ("Notify contractor", WASTE, 1),
            "collect": ("Collect missed waste", WASTE, 7),
            "confirm": ("Confirm collection", WASTE, 4),
            "deduct": ("Apply contract deduction", FINANCE, 8),
            "callback": ("Call back resident", CC, 1),
            "close": ("Close request", CC, 0.3),
        },
        flows={
            "call": (("check", 0.8), ("log", 0.2)),
            "web": (("check", 0.4), ("log", 0.6)),
            "check": (("log", 0.85), ("close", 0.15)),
            "log": (("log-waste", 0.7), ("notify", 0.3)),
            # Waste Management sends misrouted requests back to the Contact Centre.
            "log-waste": (("notify", 0.85), ("log", 0.15)),
            "notify": (("collect", 0.85), ("notify", 0.10), ("close", 0.05)),
            "collect": (("confirm", 0.8), ("callback", 0.1), ("notify", 0.1)),
            "confirm": (("deduct", 0.3), ("callback", 0.4), ("close", 0.3)),
            "deduct": (("callback", 0.5), ("close", 0.5)),
            "callback": (("close", 1.0),),
            "close": ((END, 1.0),),
        },
        start="call",
        online_start="web",
    ),
    Process(
        name="By-law complaint",
        weight=0.14,
        channels=(0.55, 0.25, 0.08, 0.10, 0.02),
        steps={
            "call": ("Receive complaint", CC, 0),
            "web": (ONLINE_ACTIVITY, CC, 0),
            "log": ("Log complaint", CC, 0.15),
            "log-bylaw": ("Log complaint", BYLAW, 0.5),
            "assign": ("Assign to officer", BYLAW, 4),
            "inspect": ("Inspect site", BYLAW, 14),
            "order": ("Issue order to comply", BYLAW, 6),
            "reinspect": ("Re-inspect site", BYLAW, 70),
            "prosecute": ("Prepare prosecution file", BYLAW, 14),
            "legal": ("Review prosecution file", LEGAL, 30),
            "close": ("Close complaint", BYLAW, 2),
            "callback": ("Call back resident", CC, 4),
        },
        flows={
            "call": (("log", 1.0),),
            "web": (("log", 0.6), ("assign", 0.4)),
            "log": (("log-bylaw", 0.75), ("assign", 0.25)),
            "log-bylaw": (("assign", 1.0),),
            "assign": (("inspect", 0.9), ("close", 0.1)),
            "inspect": (("order", 0.45), ("close", 0.40), ("assign", 0.15)),
            "order": (("reinspect", 1.0),),
            "reinspect": (("close", 0.55), ("reinspect", 0.20), ("prosecute", 0.25)),
            "prosecute": (("legal", 1.0),),
            # Legal Services returns files for more evidence.
            "legal": (("close", 0.7), ("prosecute", 0.3)),
            "close": (("callback", 0.5), (END, 0.5)),
            "callback": ((END, 1.0),),
        },
        start="call",
        online_start="web",
    ),
    Process(
        name="Building permit inquiry",
        weight=0.09,
        channels=(0.45, 0.20, 0.02, 0.18, 0.15),
        steps={
            "call": ("Receive inquiry", CC, 0),
            "web": (ONLINE_ACTIVITY, CC, 0),
            "log": ("Log inquiry", CC, 0.15),
            "log-building": ("Log inquiry", BUILDING, 0.5),
            "review": ("Review inquiry", BUILDING, 8),
            "zoning": ("Confirm zoning", PLANNING, 6),
            "grading": ("Review grading and servicing", ENG, 8),
            "more": ("Request more information", BUILDING, 2),
            "response": ("Prepare response", BUILDING, 6),
            "callback": ("Call back customer", BUILDING, 4),
            "close": ("Close inquiry", CC, 1),
        },
        flows={
            "call": (("log", 1.0),),
            "web": (("log-building", 0.6), ("log", 0.4)),
            "log": (("log-building", 0.7), ("review", 0.3)),
            "log-building": (("review", 1.0),),
            "review": (("zoning", 0.4), ("grading", 0.2), ("more", 0.15), ("response", 0.25)),
            # Building Services <-> Planning & Zoning / Engineering back and forth.
            "zoning": (("response", 0.5), ("review", 0.35), ("grading", 0.15)),
            "grading": (("response", 0.7), ("review", 0.3)),
            "more": (("review", 0.8), ("close", 0.2)),
            "response": (("callback", 1.0),),
            "callback": (("close", 1.0),),
            "close": ((END, 1.0),),
        },
        start="call",
        online_start="web",
    ),
    Process(
        name="Water billing dispute",
        weight=0.10,
        channels=(0.60, 0.15, 0.03, 0.17, 0.05),
        steps={
            "call": ("Receive billing dispute", CC, 0),
            "web": (ONLINE_ACTIVITY, CC, 0),
            "log": ("Log dispute", CC, 0.15),
            "log-finance": ("Log dispute", FINANCE, 0.5),
            "history": ("Review account history", FINANCE, 6),
            "work-order": ("Create work order", WATER, 4),
            "read": ("Read meter", WATER, 14),
            "test": ("Test meter accuracy", WATER, 20),
            "reading-water": ("Enter meter reading", WATER, 2),
            "reading-finance": ("Enter meter reading", FINANCE, 1),
            "adjust": ("Adjust bill", FINANCE, 8),
            "letter": ("Send decision letter", FINANCE, 8),
            "callback": ("Call back customer", CC, 4),
        },
        flows={
            "call": (("log", 1.0),),
            "web": (("log", 0.5), ("log-finance", 0.5)),
            "log": (("log-finance", 0.7), ("history", 0.3)),
            "log-finance": (("history", 1.0),),
            "history": (("work-order", 0.55), ("letter", 0.30), ("adjust", 0.15)),
            "work-order": (("read", 1.0),),
            "read": (("reading-water", 0.7), ("test", 0.3)),
            "test": (("reading-water", 1.0),),
            # Finance <-> Water Utility: readings re-keyed, work orders sent back.
            "reading-water": (("reading-finance", 0.8), ("history", 0.2)),
            "reading-finance": (("adjust", 0.5), ("letter", 0.35), ("work-order", 0.15)),
            "adjust": (("letter", 1.0),),
            "letter": (("callback", 0.5), (END, 0.5)),
            "callback": ((END, 1.0),),
        },
        start="call",
        online_start="web",
    ),
    Process(
        name="Business licence renewal",
        weight=0.07,
        channels=(0.15, 0.45, 0.00, 0.15, 0.25),
        steps={
            "counter": ("Receive renewal application", LICENSING, 0),
            "web": (ONLINE_ACTIVITY, CC, 0),
            "enter": ("Enter application details", LICENSING, 0.3),
            "documents": ("Request missing documents", LICENSING, 2),
            "inspect": ("Inspect premises", BUILDING, 20),
            "zoning": ("Confirm zoning", PLANNING, 8),
            "pay": ("Take payment", FINANCE, 8),
            "post": ("Post payment", FINANCE, 8),
            "issue": ("Issue licence", LICENSING, 8),
        },
        flows={
            "counter": (("enter", 1.0),),
            "web": (("enter", 1.0),),
            "enter": (("zoning", 0.45), ("inspect", 0.30), ("documents", 0.20), ("pay", 0.05)),
            "documents": (("enter", 0.8), (END, 0.2)),
            "inspect": (("pay", 0.45), ("zoning", 0.40), ("inspect", 0.15)),
            "zoning": (("pay", 0.65), ("inspect", 0.25), ("enter", 0.10)),
            "pay": (("post", 1.0),),
            "post": (("issue", 0.9), ("pay", 0.1)),
            "issue": ((END, 1.0),),
        },
        start="counter",
        online_start="web",
    ),
    Process(
        name="Park maintenance request",
        weight=0.14,
        channels=(0.45, 0.25, 0.20, 0.08, 0.02),
        steps={
            "call": ("Receive call", CC, 0),
            "web": (ONLINE_ACTIVITY, CC, 0),
            "log": ("Log request", CC, 0.15),
            "misrouted": ("Enter request details", ROADS, 0.5),
            "assess": ("Assess site", PARKS, 8),
            "schedule": ("Schedule maintenance", PARKS, 8),
            "prune": ("Prune or remove tree", PARKS, 35),
            "complete": ("Complete maintenance", PARKS, 35),
            "repair": ("Repair defect", ROADS, 20),
            "callback": ("Call back resident", CC, 2),
            "close": ("Close request", CC, 0.5),
        },
        flows={
            "call": (("log", 1.0),),
            "web": (("assess", 0.6), ("log", 0.4)),
            # Sent to Roads & Sidewalks by mistake, and from there sometimes back.
            "log": (("assess", 0.8), ("misrouted", 0.2)),
            "misrouted": (("assess", 0.85), ("log", 0.15)),
            "assess": (("schedule", 0.55), ("prune", 0.25), ("close", 0.2)),
            "schedule": (("complete", 1.0),),
            "prune": (("close", 0.6), ("schedule", 0.3), ("repair", 0.1)),
            "complete": (("close", 0.65), ("callback", 0.25), ("assess", 0.1)),
            "repair": (("close", 1.0),),
            "callback": (("close", 1.0),),
            "close": ((END, 1.0),),
        },
        start="call",
        online_start="web",
    ),
)

BASE_ACTIVITIES = 52  # distinct activity names in PROCESSES

# Extra process types for --activities above BASE_ACTIVITIES: each is an intake at the
# Contact Centre, a chain of new activities (names "verb object") across two or three
# departments with rework and sends back, and a close; together they take EXTRA_SHARE of
# the cases, so the original processes keep their shape.
EXTRA_STEPS = 8  # new activities per extra process type
EXTRA_SHARE = 0.5
EXTRA_VERBS = (  # noqa: SIM905
    "Review Verify Approve Schedule Inspect Record Assess Prepare Update Confirm Issue "
    "Assign Estimate Order Validate Audit Escalate Document Reconcile File"
).split()
EXTRA_OBJECTS = (  # noqa: SIM905
    "drainage plan|sidewalk permit|tree survey|meter reading|noise complaint|signage request|"
    "streetlight outage|encroachment notice|fence variance|pothole claim|snow clearing|"
    "hydrant flushing|graffiti report|dog licence|parking appeal|tax adjustment|"
    "sewer backup|heritage permit|event permit|curb cut"
).split("|")

SURNAMES = (  # noqa: SIM905
    "smith tremblay nguyen singh patel wong chen roy gagnon martin brown wilson taylor lee "
    "campbell anderson macdonald li kim ahmed khan ali santos silva garcia rodriguez lopez "
    "murphy kelly obrien thompson white harris clark lewis walker young king scott green "
    "baker adams nelson hill mitchell roberts carter phillips evans turner torres parker "
    "collins edwards stewart morris rogers reed cook morgan bell cooper richardson cox "
    "ward peterson gray james watson brooks sanders price bennett wood ross henderson "
    "jenkins perry powell hughes flores butler foster bryant russell griffin diaz hayes "
    "okafor mensah haddad kowalski novak schmidt bouchard cote leblanc pelletier lavoie "
    "fortin"
).split()


@dataclass(frozen=True)
class _Model:
    """The processes flattened into arrays: node = one step of one process."""

    n_nodes: int  # END is node n_nodes
    node_activity: np.ndarray  # activity index, for writing
    node_department: np.ndarray
    node_mu: np.ndarray  # log of the median seconds before the step
    node_system: np.ndarray  # done by the portal or app, not staff
    successors: np.ndarray  # (nodes + 1, K)
    cumulative: np.ndarray  # (nodes + 1, K), padded with 1.0
    start: np.ndarray  # (processes, 2): staffed, online
    process_cum: np.ndarray
    channel_cum: np.ndarray  # (processes, channels)
    activities: list[tuple[str, str]]  # (name, department)
    departments: list[str]


def extra_processes(activities: int) -> tuple[Process, ...]:
    """Process types that bring the distinct activity names up to ``activities``.

    Deterministic for a given count (its own random generator), so the same seed and size
    give the same file; none for the default BASE_ACTIVITIES.
    """
    extra = activities - BASE_ACTIVITIES
    if extra < 0:
        raise ValueError(f"activities must be at least {BASE_ACTIVITIES}")
    if extra > len(EXTRA_VERBS) * len(EXTRA_OBJECTS):
        raise ValueError(f"activities must be at most {BASE_ACTIVITIES + 400}")
    if extra == 0:
        return ()
    rng = np.random.default_rng(activities)
    names = [f"{v} {o}" for o in EXTRA_OBJECTS for v in EXTRA_VERBS]
    names = [names[i] for i in rng.permutation(len(names))[:extra]]
    others = [d for d in DEPARTMENTS if d != CC]
    groups = [names[i : i + EXTRA_STEPS] for i in range(0, extra, EXTRA_STEPS)]
    processes = []
    for g, group in enumerate(groups):
        owners = [others[int(i)] for i in rng.choice(len(others), 3, replace=False)]
        k = len(group)
        steps: dict[str, tuple[str, str, float]] = {
            "call": ("Receive call", CC, 0),
            "web": (ONLINE_ACTIVITY, CC, 0),
        }
        lane = 0
        for i, name in enumerate(group):
            if i and rng.random() < 0.35:  # the case moves on to another department
                lane = (lane + 1 + int(rng.random() < 0.3)) % 3
            hours = float(np.round(np.exp(rng.normal(np.log(4), 1.0)), 1))
            steps[f"s{i}"] = (name, owners[lane], hours)
        steps["close"] = ("Close request", CC, 0.3)
        flows: dict[str, tuple[tuple[str, float], ...]] = {
            "call": (("s0", 1.0),),
            "web": (("s0", 1.0),),
            "close": ((END, 1.0),),
        }
        for i in range(k):
            odds: dict[str, float] = {}
            ahead = f"s{i + 1}" if i + 1 < k else "close"
            skip = f"s{i + 2}" if i + 2 < k else "close"
            back = f"s{i - 1}" if i else "s0"  # sent back (ping-pong), or done again
            for target, prob in ((ahead, 0.72), (skip, 0.10), (back, 0.12), ("close", 0.06)):
                odds[target] = odds.get(target, 0.0) + prob
            flows[f"s{i}"] = tuple(odds.items())
        processes.append(
            Process(
                name=f"Service request type {g + 1}",
                weight=EXTRA_SHARE / len(groups),
                channels=(0.45, 0.25, 0.20, 0.07, 0.03),
                steps=steps,
                flows=flows,
                start="call",
                online_start="web",
            )
        )
    return tuple(processes)


def _build_model(activities: int = BASE_ACTIVITIES) -> _Model:
    departments = list(DEPARTMENTS)
    processes = PROCESSES + extra_processes(activities)
    activities_: list[tuple[str, str]] = []
    node_ids: dict[tuple[int, str], int] = {}
    for p, process in enumerate(processes):
        for step, (activity, department, _hours) in process.steps.items():
            assert department in DEPARTMENTS, department
            if (activity, department) not in activities_:
                activities_.append((activity, department))
            node_ids[(p, step)] = len(node_ids)
    n = len(node_ids)
    node_type = np.uint8 if n < 255 else np.uint16
    width = max(len(f) for process in processes for f in process.flows.values())
    successors = np.full((n + 1, width), n, dtype=node_type)
    cumulative = np.ones((n + 1, width))
    node_activity = np.zeros(n + 1, dtype=np.int64)
    node_department = np.zeros(n + 1, dtype=np.int64)
    node_mu = np.zeros(n + 1)
    node_system = np.zeros(n + 1, dtype=bool)
    start = np.zeros((len(processes), 2), dtype=node_type)
    for p, process in enumerate(processes):
        assert set(process.flows) == set(process.steps), process.name
        for step, (activity, department, hours) in process.steps.items():
            node = node_ids[(p, step)]
            node_activity[node] = activities_.index((activity, department))
            node_department[node] = departments.index(department)
            node_mu[node] = np.log(max(hours, 1e-3) * HOUR)
            node_system[node] = activity == ONLINE_ACTIVITY
            flows = process.flows[step]
            assert abs(sum(prob for _, prob in flows) - 1) < 1e-9, (process.name, step)
            total = 0.0
            for k, (target, prob) in enumerate(flows):
                successors[node, k] = n if target == END else node_ids[(p, target)]
                total += prob
                cumulative[node, k] = total
            cumulative[node, len(flows) - 1 :] = 1.0
        start[p] = node_ids[(p, process.start)], node_ids[(p, process.online_start)]
        _check_route_lengths(process)
    assert len({name for name, _ in activities_}) == activities, "activity names collide"
    weights = np.array([process.weight for process in processes])
    channels = np.array([process.channels for process in processes])
    channel_cum = np.cumsum(channels / channels.sum(axis=1, keepdims=True), axis=1)
    channel_cum[:, -1] = 1.0
    process_cum = np.cumsum(weights / weights.sum())
    process_cum[-1] = 1.0
    return _Model(
        n_nodes=n,
        node_activity=node_activity,
        node_department=node_department,
        node_mu=node_mu,
        node_system=node_system,
        successors=successors,
        cumulative=cumulative,
        start=start,
        process_cum=process_cum,
        channel_cum=channel_cum,
        activities=activities_,
        departments=departments,
    )


def _check_route_lengths(process: Process) -> None:
    """Every way through a process has at least three events."""
    shortest = {step: 10**9 for step in process.steps}
    shortest[END] = 0
    for _ in range(len(process.steps) + 1):
        for step, flows in process.flows.items():
            shortest[step] = min(shortest[step], 1 + min(shortest[t] for t, _ in flows))
    for first in (process.start, process.online_start):
        assert shortest[first] >= 3, (process.name, first, shortest[first])


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise inverse CDF: cum is (n, K) cumulative probabilities ending in 1.0."""
    return (u[:, None] >= cum).sum(axis=1)


def _simulate_routes(
    rng: np.random.Generator, model: _Model, target: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Routes (cases x 15 node ids, END-padded) and channels for cases totalling >= target."""
    routes, channels, lengths = [], [], []
    total = 0
    batch = 1 << 17
    while total < target:
        process = np.searchsorted(model.process_cum, rng.random(batch), side="right")
        channel = _pick(model.channel_cum[process], rng.random(batch)).astype(np.uint8)
        online = np.isin(channel, ONLINE_CHANNELS)
        route = np.full((batch, MAX_EVENTS_PER_CASE), model.n_nodes, dtype=model.start.dtype)
        current = model.start[process, online.astype(np.int64)]
        route[:, 0] = current
        for j in range(1, MAX_EVENTS_PER_CASE):
            k = _pick(model.cumulative[current], rng.random(batch))
            current = model.successors[current, k]
            route[:, j] = current
        length = (route != model.n_nodes).sum(axis=1)
        routes.append(route)
        channels.append(channel)
        lengths.append(length)
        total += int(length.sum())
    return np.concatenate(routes), np.concatenate(channels), np.concatenate(lengths)


def _arrivals(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """Arrival times (seconds, city clock) for cases with these channels."""
    n = len(channel)
    days = np.arange(FIRST_DAY, LAST_DAY)
    day_numbers = days.astype(np.int64)
    weekday = (day_numbers + 3) % 7  # 1970-01-01 was a Thursday
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
    weights = np.array(WEEKDAY_WEIGHTS)[weekday] * (
        1 + 0.2 * np.sin(2 * np.pi * (day_of_year - 80) / 365.25)
    )
    day_cum = np.cumsum(weights / weights.sum())
    day_cum[-1] = 1.0
    day = day_numbers[np.searchsorted(day_cum, rng.random(n), side="right")]
    hour = np.empty(n, dtype=np.int64)
    online = np.isin(channel, ONLINE_CHANNELS)
    u = rng.random(n)
    for mask, profile in ((~online, HOURS_STAFFED), (online, HOURS_ONLINE)):
        cum = np.cumsum(profile) / np.sum(profile)
        cum[-1] = 1.0
        hour[mask] = np.searchsorted(cum, u[mask], side="right")
    return day * DAY + hour * HOUR + rng.integers(0, HOUR, n)


def _working_seconds(t: np.ndarray) -> np.ndarray:
    """Working seconds (Mon-Fri 08:00-17:00) from the epoch's first Monday up to time t."""
    day = t // DAY
    week, weekday = np.divmod(day - MONDAY, 7)
    into_day = np.where(weekday < 5, np.clip(t - day * DAY - OPEN, 0, WORKDAY), 0)
    return (week * 5 + np.minimum(weekday, 5)) * WORKDAY + into_day


def _from_working_seconds(w: np.ndarray) -> np.ndarray:
    """The time at which the working-seconds clock reads w (inverse of _working_seconds)."""
    workday, into_day = np.divmod(w, WORKDAY)
    week, weekday = np.divmod(workday, 5)
    return (MONDAY + week * 7 + weekday) * DAY + OPEN + into_day


@dataclass(frozen=True)
class _Staff:
    first: np.ndarray  # per department: index of its first resource
    count: np.ndarray  # per department: how many
    names: list[str]
    department: list[int]  # per resource


def _staff(rng: np.random.Generator, model: _Model) -> _Staff:
    names: list[str] = []
    department: list[int] = []
    first, count = [], []
    taken: set[str] = set()
    for d, (staff, _hours) in enumerate(DEPARTMENTS.values()):
        first.append(len(names))
        count.append(staff)
        initials = rng.integers(0, 26, staff)
        surnames = rng.integers(0, len(SURNAMES), staff)
        for i, s in zip(initials, surnames, strict=True):
            base = chr(ord("a") + int(i)) + SURNAMES[int(s)]
            name, suffix = base, 2
            while name in taken:
                name, suffix = f"{base}{suffix}", suffix + 1
            taken.add(name)
            names.append(name)
            department.append(d)
    cc = model.departments.index(CC)
    for name in SYSTEM_RESOURCES.values():
        names.append(name)
        department.append(cc)
    return _Staff(np.array(first), np.array(count), names, department)


class _Writer:
    """Turns event arrays into CSV bytes with table look-ups (no Python loop per row)."""

    def __init__(self, model: _Model, staff: _Staff) -> None:
        pieces = [f",{model.activities[a][0]},".encode() for a in model.node_activity]
        self.activity, self.activity_width = _table(pieces)
        tails = []
        for name, d in zip(staff.names, staff.department, strict=True):
            for blank in (False, True):
                department = "" if blank else model.departments[d]
                for channel in CHANNELS:
                    tails.append(f",{department},{name},{channel}\n".encode())
        self.tail, self.tail_width = _table(tails)
        for text in [*pieces, *tails]:
            assert b'"' not in text and text.count(b",") <= 3, text
        # "YYYY-MM-DDT" per day and "HH:MM:SS" per second of the day.
        self.first_day = int((FIRST_DAY - 2).astype(np.int64))
        days = np.arange(FIRST_DAY - 2, LAST_DAY + 4000)
        self.days = (
            np.char.add(np.datetime_as_string(days, unit="D"), "T")
            .astype("S11")
            .view(np.uint8)
            .reshape(-1, 11)
        )
        s = np.arange(DAY)
        digits = np.stack(
            [s // 36000, s // 3600 % 10, s % 3600 // 600, s % 600 // 60, s % 60 // 10, s % 10],
            axis=1,
        ).astype(np.uint8) + ord("0")
        self.clock = np.full((DAY, 8), ord(":"), dtype=np.uint8)
        self.clock[:, [0, 1, 3, 4, 6, 7]] = digits
        n = np.arange(10000)
        self.four = np.stack([n // 1000, n // 100 % 10, n // 10 % 10, n % 10], axis=1).astype(
            np.uint8
        ) + ord("0")

    def encode(self, case: np.ndarray, node: np.ndarray, t: np.ndarray, tail: np.ndarray) -> bytes:
        a = 10 + self.activity_width
        width = a + 25 + self.tail_width
        rows = np.zeros((len(case), width), dtype=np.uint8)
        number = case.astype(np.int64) + CASE_NUMBER_BASE
        rows[:, 0] = ord("S")
        rows[:, 1] = ord("R")
        rows[:, 2:6] = self.four[number // 10000]
        rows[:, 6:10] = self.four[number % 10000]
        rows[:, 10:a] = self.activity[node]
        utc = t - UTC_OFFSET_HOURS * HOUR
        day = utc // DAY
        rows[:, a : a + 11] = self.days[day - self.first_day]
        rows[:, a + 11 : a + 19] = self.clock[utc - day * DAY]
        rows[:, a + 19 : a + 25] = np.frombuffer(b"+00:00", dtype=np.uint8)
        rows[:, a + 25 :] = self.tail[tail]
        return rows[rows != 0].tobytes()


def _table(pieces: list[bytes]) -> tuple[np.ndarray, int]:
    width = max(len(p) for p in pieces)
    table = np.zeros((len(pieces), width), dtype=np.uint8)
    for i, piece in enumerate(pieces):
        assert 0 not in piece
        table[i, : len(piece)] = np.frombuffer(piece, dtype=np.uint8)
    return table, width


def generate(
    events: int, path: str | Path, seed: int = 7, activities: int = BASE_ACTIVITIES
) -> dict[str, float]:
    """Write a log of exactly ``events`` rows to ``path``; returns counts and timings.

    ``activities`` above the default 52 adds process types with new activity names (see
    ``extra_processes``) until the log has that many distinct names; the default gives the
    same bytes as before the option existed.

    Returns:
        ``events``, ``cases``, ``duplicates``, ``bytes``, ``seconds`` and ``peak_rss_mb`` (the
        whole process's peak, including whatever it held before the call).
    """
    if events < 100:
        raise ValueError("events must be at least 100")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    model = _build_model(activities)
    staff = _staff(rng, model)
    writer = _Writer(model, staff)

    # 1. Routes for just enough cases; the shortfall (>= 0.2%) becomes duplicate rows.
    min_duplicates = round(events * DUPLICATE_SHARE)
    routes, channel, length = _simulate_routes(rng, model, events - min_duplicates)
    n_cases = int(np.searchsorted(np.cumsum(length), events - min_duplicates, side="right"))
    routes, channel, length = routes[:n_cases], channel[:n_cases], length[:n_cases]
    base_events = int(length.sum())
    assert CASE_NUMBER_BASE + n_cases < 10**8, "Case IDs have eight digits"
    n_duplicates = events - base_events
    duplicates = np.sort(rng.choice(base_events, size=n_duplicates, replace=False))

    # 2. Arrival times; cases are numbered in order of arrival.
    arrival = _arrivals(rng, channel)
    order = np.argsort(arrival, kind="stable")
    routes, channel, length, arrival = routes[order], channel[order], length[order], arrival[order]
    del order

    # 3. Chunks of cases in arrival order; every event before the next chunk's first arrival
    #    is final and is written, the rest waits in `carry`.
    path = Path(path)
    chunk_events = 1 << 20
    bounds = np.searchsorted(np.cumsum(length), np.arange(chunk_events, base_events, chunk_events))
    bounds = [0, *sorted(set(int(b) + 1 for b in bounds) - {0, n_cases}), n_cases]
    carry = _empty()
    event_offset = 0
    written = 0
    with path.open("wb") as out:
        out.write((",".join(COLUMNS) + "\n").encode())
        for lo, hi in itertools.pairwise(bounds):
            chunk = _chunk_events(
                rng, model, staff, lo, routes[lo:hi], channel[lo:hi], length[lo:hi], arrival[lo:hi]
            )
            n = len(chunk["t"])
            mine = duplicates[
                np.searchsorted(duplicates, event_offset) : np.searchsorted(
                    duplicates, event_offset + n
                )
            ]
            repeat = np.ones(n, dtype=np.int64)
            repeat[mine - event_offset] = 2
            event_offset += n
            merged = {k: np.concatenate([carry[k], np.repeat(chunk[k], repeat)]) for k in carry}
            order = np.argsort(merged["t"], kind="stable")
            merged = {k: v[order] for k, v in merged.items()}
            cut = len(order) if hi == n_cases else int(np.searchsorted(merged["t"], arrival[hi]))
            for s in range(0, cut, 1 << 18):
                e = min(cut, s + (1 << 18))
                out.write(
                    writer.encode(
                        merged["case"][s:e],
                        merged["node"][s:e],
                        merged["t"][s:e],
                        merged["tail"][s:e],
                    )
                )
            written += cut
            carry = {k: v[cut:] for k, v in merged.items()}
        size = out.tell()
    assert written == events and event_offset == base_events, (written, events)
    return {
        "events": events,
        "cases": n_cases,
        "duplicates": n_duplicates,
        "bytes": size,
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _empty() -> dict[str, np.ndarray]:
    return {
        "case": np.empty(0, np.int32),
        "node": np.empty(0, np.uint8),
        "t": np.empty(0, np.int64),
        "tail": np.empty(0, np.int32),
    }


def _chunk_events(
    rng: np.random.Generator,
    model: _Model,
    staff: _Staff,
    first_case: int,
    route: np.ndarray,
    channel: np.ndarray,
    length: np.ndarray,
    arrival: np.ndarray,
) -> dict[str, np.ndarray]:
    """Timestamps and resources for these cases' events, flattened case by case."""
    n, width = route.shape
    times = np.empty((n, width), dtype=np.int64)
    who = np.empty((n, width), dtype=np.int64)
    system = len(staff.names) - len(SYSTEM_RESOURCES)
    system_of = np.full(len(CHANNELS), system, dtype=np.int64)
    for i, c in enumerate(SYSTEM_RESOURCES):
        system_of[c] = system + i

    def pick_staff(node: np.ndarray, u: np.ndarray) -> np.ndarray:
        department = model.node_department[node]
        chosen = staff.first[department] + (staff.count[department] * u**1.6).astype(np.int64)
        return np.where(model.node_system[node], system_of[channel], chosen)

    queue_mu = np.log(np.array([hours for _, hours in DEPARTMENTS.values()]) * HOUR)
    times[:, 0] = arrival
    who[:, 0] = pick_staff(route[:, 0], rng.random(n))
    for j in range(1, int(length.max())):
        node, previous = route[:, j], route[:, j - 1]
        department = model.node_department[node]
        handoff = department != model.node_department[previous]
        work = np.exp(model.node_mu[node] + WORK_SIGMA * rng.standard_normal(n))
        queue = np.exp(queue_mu[department] + HANDOFF_SIGMA * rng.standard_normal(n))
        wait = np.clip(work + np.where(handoff, queue, 0.0), MIN_WAIT_SECONDS, MAX_WAIT_SECONDS)
        wait = wait.astype(np.int64)
        before = times[:, j - 1]
        after_hours = rng.random(n) < AFTER_HOURS_SHARE
        t = np.where(
            after_hours, before + wait, _from_working_seconds(_working_seconds(before) + wait)
        )
        times[:, j] = np.maximum(t, before + MIN_WAIT_SECONDS)
        same = ~handoff & (rng.random(n) < SAME_RESOURCE_SHARE)
        who[:, j] = np.where(same, who[:, j - 1], pick_staff(node, rng.random(n)))
    mask = np.arange(width) < length[:, None]
    case = np.broadcast_to(
        np.arange(first_case, first_case + n, dtype=np.int32)[:, None], mask.shape
    )
    blank = rng.random(int(length.sum())) < BLANK_DEPARTMENT_SHARE
    chan = np.broadcast_to(channel[:, None].astype(np.int64), mask.shape)[mask]
    tail = ((who[mask] * 2 + blank) * len(CHANNELS) + chan).astype(np.int32)
    return {"case": case[mask], "node": route[mask], "t": times[mask], "tail": tail}


def _count(text: str) -> int:
    return int(float(text)) if any(c in text for c in "eE.") else int(text.replace("_", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=_count, default=1_000_000, help="rows (default 1e6)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--activities",
        type=int,
        default=BASE_ACTIVITIES,
        help=f"distinct activity names ({BASE_ACTIVITIES} to {BASE_ACTIVITIES + 400})",
    )
    args = parser.parse_args(argv)
    stats = generate(args.events, args.output, args.seed, args.activities)
    print(
        f"{args.output}: {stats['events']:,} events, {stats['cases']:,} cases, "
        f"{stats['duplicates']:,} duplicate rows, {stats['bytes'] / 1e6:,.0f} MB, "
        f"{stats['seconds']:.1f} s, peak RSS {stats['peak_rss_mb']:,.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
