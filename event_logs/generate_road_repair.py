#!/usr/bin/env python3
"""Write road-repair-requests.csv: a synthetic 311/CRM export of the road repair process.

The data are invented. They follow the as-is version of
processes/road-repair-request.yaml: the activity and department values are exactly
that version's step `name`s and `department`s, and "Handled By" holds staff ids
whose prefix names the step `owner`:

    CSR-nn     Customer Service Representative   (Contact Centre)
    RCLK-nn    Roads Clerk                       (Roads & Sidewalks)
    DISP-nn    Roads Dispatch Supervisor         (Roads & Sidewalks)
    PATROL-nn  Road Patrol Supervisor            (Roads & Sidewalks)
    CREW-nn    Roads Crew Lead                   (Roads & Sidewalks)
    ENGT-nn    Engineering Technologist          (Engineering)
    COUNC-Wnn  staff of the ward councillor      (Councillor Office, not in the YAML)

Run it with only the standard library (Python 3.11+, time-zone data for
America/Toronto from the OS or the `tzdata` package):

    python event_logs/generate_road_repair.py    # writes event_logs/road-repair-requests.csv

The seed is fixed, so every run writes the same bytes (rows are sorted by timestamp,
ties by request id and position in the case; lines end in LF).

Shape of the data
-----------------
* 2,500 requests received in calendar year 2025; the export holds every event dated
  2025, so requests received in late December are still open (cut off mid-process).
* Columns: Request ID, Activity, Timestamp, Department, Handled By, Channel, Ward,
  Location. Timestamps are ISO 8601 local time with the city's UTC offset (-05:00 in
  winter, -04:00 from 9 March to 2 November 2025). Channel is Phone, Email, Walk-in or
  Web; Ward is 1..10. Location is where the defect is, the same on every row of a
  request: a street block ("1200 block King St E", blocks 100..4900 of 48 street names)
  or, for about 15% of fresh requests, an intersection ("King St E & James St N"). Each
  street is cut into runs of blocks, and each run and each intersection lies in one ward.
* Staff work 08:00-16:30 on weekdays that are not Ontario statutory holidays. Phone
  calls and walk-ins arrive in those hours; web and email requests arrive at any time
  and are picked up ("Receive call") when the Contact Centre opens. Only emergencies
  (about 1.5% of requests, all by phone) have events in the evening or at weekends.
* Waits: minutes inside the Contact Centre; hours to days at each handoff. The
  Contact Centre -> Roads & Sidewalks handoff (a scanned paper form waiting to be keyed
  in) is the biggest bottleneck: median about 2 days, long tail to 2-3 weeks, and
  longer in the March-May pothole season, when requests peak. No wait is longer than
  14 working days (10 for the other steps, apart from a failed patch's second repair).

Planted behaviours (target shares; the exact counts for this seed are in SOURCES.md)
------------------------------------------------------------------------------------
* Duplicate data entry: "Enter request details" by Contact Centre and again by
  Roads & Sidewalks in every request that reaches Roads & Sidewalks (all but the
  requests still open at export time).
* Ping-pong, ~8% of requests: Engineering sends an unclear location back, Roads &
  Sidewalks re-keys it ("Enter request details") and sends it again, so the request
  goes Roads & Sidewalks -> Engineering two or more times ("Verify road jurisdiction"
  2 or 3 times). About a quarter of these bounce twice. Most likely in wards 9 and 10
  (on the boundary with the Region: about 1 request in 5 there).
* Rework, ~10% of requests: the same activity by the same department repeated outside
  the ping-pong loop: "Inspect site" twice (about half), "Repair defect" twice (a
  temporary patch that failed), "Update work order" twice (a correction) or
  "Assign to crew" twice (reassigned to another crew).
* Undocumented step, ~3% of requests: "Escalate to councillor" by "Councillor Office"
  (not in the YAML), raised in requests that have waited about a week or more for
  their next step; that step then follows within hours.
* Duplicate requests, ~6% of requests: the same road defect reported again as a new
  request. In order of start (first event), each request has a 6% chance of taking the
  Location of a random earlier request of its ward that started 1 to 14 days before (if
  there is one). Chains occur (a duplicate of a duplicate). Every other request draws a
  Location of its ward, redrawn while a request that started within the previous 30 days
  has it, so no request repeats another within 30 days by accident (with a few dozen
  streets, accidental repeats would otherwise be common). Locations do recur after longer
  gaps. The locations use their own generator (seed 20250402), so adding them changed no
  other value in the file. The script counts the ground truth from the finished cases and
  prints it: requests whose Location is that of another request that started at most 30
  days before (cases chain).
* ~0.5% of rows have a blank Department.
* ~0.3% of rows are written twice (exact duplicate rows, adjacent in the file).

Other variants that are in the data but not planted as "problems": ~4% of requests
stop after "Verify road jurisdiction" because the road is Regional (call back and
close); ~4% find no defect at inspection (no "Repair defect"). In about 25% of the
requests the Contact Centre only learns of the repair from its Monday check of the
work order system, so "Call back resident" clusters on Mondays. One of the two Roads
Clerks keys most requests.

Counts for the default seed, measured from the CSV (definitions in SOURCES.md):
2,500 requests; 25,009 rows = 24,934 events + 75 exact duplicate rows; 125 rows with a
blank Department; ping-pong 202 requests (8.1%); rework 257 (10.3%); "Escalate to
councillor" 76 (3.0%); both "Enter request details" in 2,476 requests; 79 requests
open at export time; 33 emergencies; 162 planted duplicate requests (6.5%), and exactly
162 requests that repeat the Location of a request started at most 30 days before.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SEED = 20250311
N_CASES = 2500
YEAR = 2025
TZ = ZoneInfo("America/Toronto")
EXPORT_END = datetime(YEAR + 1, 1, 1)  # local wall time, exclusive
OUT = Path(__file__).resolve().parent / "road-repair-requests.csv"
COLUMNS = [
    "Request ID",
    "Activity",
    "Timestamp",
    "Department",
    "Handled By",
    "Channel",
    "Ward",
    "Location",
]

DAY_START = time(8, 0)
DAY_END = time(16, 30)
# Ontario statutory holidays observed by the City in 2025.
HOLIDAYS = {
    date(2025, 1, 1),
    date(2025, 2, 17),
    date(2025, 4, 18),
    date(2025, 5, 19),
    date(2025, 7, 1),
    date(2025, 8, 4),
    date(2025, 9, 1),
    date(2025, 10, 13),
    date(2025, 12, 25),
    date(2025, 12, 26),
}

CC = "Contact Centre"
RS = "Roads & Sidewalks"
ENG = "Engineering"
CO = "Councillor Office"

RECEIVE = "Receive call"
ENTER = "Enter request details"
VERIFY = "Verify road jurisdiction"
ASSIGN = "Assign to crew"
INSPECT = "Inspect site"
REPAIR = "Repair defect"
UPDATE = "Update work order"
CALLBACK = "Call back resident"
CLOSE = "Close request"
ESCALATE = "Escalate to councillor"  # undocumented: not in the YAML

# Touch time in minutes: the `minutes` of each as-is step.
MINUTES = {
    (RECEIVE, CC): 4,
    (ENTER, CC): 6,
    (ENTER, RS): 7,
    (VERIFY, ENG): 10,
    (ASSIGN, RS): 8,
    (INSPECT, RS): 25,
    (REPAIR, RS): 90,
    (UPDATE, RS): 5,
    (CALLBACK, CC): 5,
    (CLOSE, CC): 2,
    (ESCALATE, CO): 15,
}

CHANNELS = {"Phone": 0.58, "Web": 0.22, "Email": 0.12, "Walk-in": 0.08}
WARD_WEIGHTS = [1.3, 1.1, 0.9, 1.0, 1.4, 0.8, 1.0, 1.2, 0.9, 0.8]  # wards 1..10
MONTH_WEIGHTS = [1.0, 1.3, 1.9, 1.8, 1.2, 0.8, 0.7, 0.7, 0.7, 0.8, 0.9, 0.9]
WEEKDAY_WEIGHTS = [1.3, 1.1, 1.0, 0.95, 0.85, 0.45, 0.4]  # Mon..Sun (web/email only at weekends)
# Backlog at Roads & Sidewalks by month: waits stretch in the pothole season.
LOAD = [1.0, 1.15, 1.5, 1.6, 1.25, 0.9, 0.85, 0.85, 0.9, 0.95, 1.0, 1.05]

P_EMERGENCY = 0.015
P_PINGPONG = 0.06  # wards 1-8
P_PINGPONG_BOUNDARY = 0.19  # wards 9-10
P_SECOND_BOUNCE = 0.25
P_REWORK = 0.115  # of the requests that are not Regional roads
REWORK_KINDS = {INSPECT: 0.5, REPAIR: 0.25, UPDATE: 0.15, ASSIGN: 0.10}
P_REGIONAL = 0.04
P_NO_DEFECT = 0.04
ESCALATION_AFTER_HOURS = 40.0  # working hours waited at one handoff
MAX_WAIT_HOURS = 85.0  # 10 working days: requests are chased before then
MAX_KEYING_WAIT_HOURS = 119.0  # 14 working days for the paper form to be keyed in
P_ESCALATE = 0.15
P_MONDAY_CHECK = 0.25
SHARE_BLANK_DEPARTMENT = 0.005
SHARE_DUPLICATE_ROWS = 0.003

# Locations come from their own generator, so that adding them changed no other value.
LOCATION_SEED = 20250402
P_DUPLICATE_REQUEST = 0.06  # the same defect reported again as a new request
DUPLICATE_AFTER_DAYS = (1.0, 14.0)  # ... by a request starting this long after the earlier one
REPEAT_WINDOW_DAYS = 30.0  # the window of the ground-truth count (and of the redraw)
P_INTERSECTION = 0.15
BLOCKS = range(100, 5000, 100)  # "100 block" .. "4900 block"
EAST_WEST = [
    "King St E", "King St W", "Main St E", "Main St W", "Barton St E", "Barton St W",
    "Cannon St E", "Cannon St W", "Wilson St", "York Blvd", "Hunter St E", "Hunter St W",
    "Aberdeen Ave", "Charlton Ave E", "Herkimer St", "Mohawk Rd E", "Mohawk Rd W",
    "Fennell Ave E", "Fennell Ave W", "Concession St", "Stone Church Rd E", "Rymal Rd E",
    "Limeridge Rd E", "Burlington St E", "Queenston Rd",
]  # fmt: skip
NORTH_SOUTH = [
    "James St N", "James St S", "John St N", "John St S", "Bay St N", "Bay St S",
    "Queen St N", "Queen St S", "Locke St S", "Dundurn St S", "Garth St", "Upper James St",
    "Upper Wentworth St", "Upper Gage Ave", "Wellington St N", "Victoria Ave N",
    "Sherman Ave N", "Gage Ave N", "Ottawa St N", "Kenilworth Ave N", "Parkdale Ave N",
    "Centennial Pkwy N", "Lawrence Rd",
]  # fmt: skip

CSRS = [f"CSR-{i:02d}" for i in range(1, 13)]
CSR_WEIGHTS = [1.2, 1.2, 1.1, 1.1, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.5, 0.4]
CLERKS = ["RCLK-01", "RCLK-02"]
CLERK_WEIGHTS = [0.72, 0.28]
DISPATCH = ["DISP-01", "DISP-02"]
ENG_TECHS = ["ENGT-01", "ENGT-02", "ENGT-03"]


def patrol_for(ward: int) -> str:
    return "PATROL-01" if ward <= 4 else "PATROL-02" if ward <= 7 else "PATROL-03"


def crews_for(ward: int) -> list[str]:
    return ["CREW-01", "CREW-02", "CREW-03"] if ward <= 5 else ["CREW-04", "CREW-05", "CREW-06"]


# --- working calendar (naive local wall time) ------------------------------------------


def is_workday(d: date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def next_work_moment(t: datetime) -> datetime:
    """The first moment at or after t inside working hours."""
    d = t.date()
    if is_workday(d) and t.time() < DAY_END:
        return max(t, datetime.combine(d, DAY_START))
    d += timedelta(days=1)
    while not is_workday(d):
        d += timedelta(days=1)
    return datetime.combine(d, DAY_START)


def add_work(t: datetime, hours: float) -> datetime:
    """t plus `hours` of working time."""
    t = next_work_moment(t)
    remaining = timedelta(hours=hours)
    while True:
        end = datetime.combine(t.date(), DAY_END)
        if remaining <= end - t:
            return t + remaining
        remaining -= end - t
        t = next_work_moment(end)


def next_monday_check(t: datetime, rng: random.Random) -> datetime:
    """The Contact Centre's weekly look at the work order system (Monday morning)."""
    d = t.date() + timedelta(days=1)
    while d.weekday() != 0:
        d += timedelta(days=1)
    while not is_workday(d):
        d += timedelta(days=1)
    return datetime.combine(d, time(9, 0)) + timedelta(minutes=rng.uniform(0, 180))


# --- one request -------------------------------------------------------------------------


@dataclass
class Case:
    rid: str
    arrival: datetime
    channel: str
    ward: int
    emergency: bool
    events: list[tuple[datetime, str, str, str]] = field(default_factory=list)
    truth: dict[str, object] = field(default_factory=dict)
    location: str = ""


class Sim:
    def __init__(self, rng: random.Random, case: Case) -> None:
        self.rng = rng
        self.c = case
        self.t = case.arrival
        self.escalated = False

    def lognorm(self, median: float, sigma: float) -> float:
        return self.rng.lognormvariate(math.log(median), sigma)

    def minutes(self, act: str, dept: str) -> timedelta:
        return timedelta(minutes=MINUTES[(act, dept)] * self.lognorm(1.0, 0.35))

    def emit(self, t: datetime, act: str, dept: str, who: str) -> None:
        t = t.replace(microsecond=0)
        if self.c.events and t <= self.c.events[-1][0]:
            t = self.c.events[-1][0] + timedelta(seconds=self.rng.randint(20, 90))
        self.c.events.append((t, act, dept, who))
        self.t = t

    def work(
        self,
        wait_hours: float,
        act: str,
        dept: str,
        who: str,
        *,
        cap: float = MAX_WAIT_HOURS,
        may_escalate: bool = False,
    ) -> None:
        """Wait `wait_hours` (at most `cap`) of working time after the last event, then act."""
        wait_hours = min(wait_hours, cap)
        if (
            may_escalate
            and not self.escalated
            and wait_hours > ESCALATION_AFTER_HOURS
            and self.rng.random() < P_ESCALATE
        ):
            self.escalate(wait_hours)
            wait_hours = self.lognorm(3.0, 0.7)
        dur = self.minutes(act, dept)
        start = add_work(self.t, wait_hours)
        if dur > timedelta(minutes=15) and start + dur > datetime.combine(start.date(), DAY_END):
            start = next_work_moment(datetime.combine(start.date(), DAY_END))
        self.emit(start + dur, act, dept, who)

    def escalate(self, wait_hours: float) -> None:
        """The resident calls the ward councillor, whose office escalates the request."""
        self.escalated = True
        t = add_work(self.t, wait_hours * self.rng.uniform(0.45, 0.75))
        self.emit(t + self.minutes(ESCALATE, CO), ESCALATE, CO, f"COUNC-W{self.c.ward:02d}")

    def urgent(self, minutes_median: float, act: str, dept: str, who: str) -> None:
        """Emergency step: calendar time, any day, between 06:00 and 22:00."""
        t = self.t + timedelta(minutes=self.lognorm(minutes_median, 0.5)) + self.minutes(act, dept)
        if t.hour >= 22:
            t = datetime.combine(t.date() + timedelta(days=1), time(6)) + timedelta(
                minutes=self.rng.uniform(0, 45)
            )
        self.emit(t, act, dept, who)

    def csr(self) -> str:
        return self.rng.choices(CSRS, CSR_WEIGHTS)[0]

    def clerk(self) -> str:
        return self.rng.choices(CLERKS, CLERK_WEIGHTS)[0]

    def run(self) -> None:
        rng, c = self.rng, self.c
        load = LOAD[c.arrival.month - 1]
        p_pp = P_PINGPONG_BOUNDARY if c.ward >= 9 else P_PINGPONG
        bounces = 0
        if not c.emergency and rng.random() < p_pp:
            bounces = 2 if rng.random() < P_SECOND_BOUNCE else 1
        u = rng.random()
        variant = (
            "regional" if u < P_REGIONAL else "no-defect" if u < P_REGIONAL + P_NO_DEFECT else ""
        )
        if c.emergency:
            variant = ""
        rework = None
        if variant != "regional" and rng.random() < P_REWORK:
            rework = rng.choices(list(REWORK_KINDS), list(REWORK_KINDS.values()))[0]
        if variant == "no-defect" and rework == REPAIR:
            variant = ""
        c.truth.update(bounces=bounces, rework=rework, variant=variant)
        patrol = patrol_for(c.ward)
        crew = rng.choice(crews_for(c.ward))

        # Contact Centre: receive and write the paper form (minutes).
        agent = self.csr()
        if c.channel in ("Phone", "Walk-in"):
            self.emit(c.arrival + self.minutes(RECEIVE, CC), RECEIVE, CC, agent)
        else:  # web form or email waiting in the shared inbox
            self.work(self.lognorm(1.2, 0.9), RECEIVE, CC, agent)
        if c.emergency or rng.random() < 0.8:
            gap = timedelta(minutes=self.lognorm(3, 0.6))
            self.emit(self.t + gap + self.minutes(ENTER, CC), ENTER, CC, agent)
        else:  # forms batched at the end of the day
            day_end = datetime.combine(self.t.date(), DAY_END)
            if day_end - self.t > timedelta(minutes=50):
                t = day_end - timedelta(minutes=rng.uniform(5, 45))
            else:
                t = add_work(self.t, rng.uniform(0.1, 1.0))
            self.emit(t, ENTER, CC, agent)

        if c.emergency:
            self.run_emergency(patrol, crew)
            return

        # Handoff 1: scanned form emailed to Roads & Sidewalks, keyed in again.
        wait = self.lognorm(12.5, 1.0) * load
        self.work(wait, ENTER, RS, self.clerk(), cap=MAX_KEYING_WAIT_HOURS, may_escalate=True)
        self.work(self.lognorm(4.5, 0.9), VERIFY, ENG, rng.choice(ENG_TECHS))
        for _ in range(bounces):  # unclear location: back to Roads & Sidewalks
            self.work(self.lognorm(7.0, 0.8), ENTER, RS, self.clerk())
            self.work(self.lognorm(4.5, 0.9), VERIFY, ENG, rng.choice(ENG_TECHS))
        if variant == "regional":  # Regional road: the Contact Centre tells the resident
            self.work(self.lognorm(9.0, 0.9), CALLBACK, CC, self.csr())
            self.close()
            return
        self.work(self.lognorm(4.0, 0.9), ASSIGN, RS, rng.choice(DISPATCH))
        if rework == ASSIGN:  # reassigned to another crew
            self.work(self.lognorm(4.0, 0.8), ASSIGN, RS, rng.choice(DISPATCH))
            crew = rng.choice([x for x in crews_for(c.ward) if x != crew])
        self.work(self.lognorm(7.0, 0.9) * load, INSPECT, RS, patrol, may_escalate=True)
        if rework == INSPECT:  # defect not found or measurements missing: inspect again
            self.work(self.lognorm(12.0, 0.7), INSPECT, RS, patrol)
        if variant != "no-defect":
            self.work(self.lognorm(6.5, 0.9) * load, REPAIR, RS, crew, may_escalate=True)
            if rework == REPAIR:  # the temporary patch failed
                self.work(self.lognorm(45.0, 0.6), REPAIR, RS, crew, cap=150.0)
        self.work(self.lognorm(5.0, 0.8), UPDATE, RS, self.clerk())
        if rework == UPDATE:  # correction of the work order
            self.work(self.lognorm(3.0, 0.8), UPDATE, RS, self.clerk())
        self.call_back()

    def run_emergency(self, patrol: str, crew: str) -> None:
        rng = self.rng
        self.urgent(45, ENTER, RS, self.clerk())
        self.urgent(30, VERIFY, ENG, rng.choice(ENG_TECHS))
        self.urgent(15, ASSIGN, RS, rng.choice(DISPATCH))
        self.urgent(60, INSPECT, RS, patrol)
        self.urgent(90, REPAIR, RS, crew)
        self.work(self.lognorm(5.0, 0.8), UPDATE, RS, self.clerk())
        self.call_back()

    def call_back(self) -> None:
        # Nobody tells the Contact Centre: either a clerk happens to email it, or the
        # Monday check of the work order system finds the closed work order.
        if self.rng.random() < P_MONDAY_CHECK:
            t = next_monday_check(self.t, self.rng)
            self.emit(add_work(t, 0) + self.minutes(CALLBACK, CC), CALLBACK, CC, self.csr())
        else:
            self.work(self.lognorm(4.0, 0.9), CALLBACK, CC, self.csr())
        self.close()

    def close(self) -> None:
        if self.rng.random() < 0.75:
            self.work(self.lognorm(0.3, 0.8), CLOSE, CC, self.c.events[-1][3])
        else:  # Excel tracking sheet updated at the end of the day
            end = datetime.combine(self.t.date(), DAY_END)
            t = end - timedelta(minutes=self.rng.uniform(1, 30))
            if t <= self.t:
                t = add_work(self.t, self.rng.uniform(0.2, 1.0))
            self.emit(t, CLOSE, CC, self.c.events[-1][3])


# --- arrivals ----------------------------------------------------------------------------


def arrivals(rng: random.Random) -> list[tuple[datetime, str, bool]]:
    days = [date(YEAR, 1, 1) + timedelta(days=i) for i in range(365)]
    weights_any = [MONTH_WEIGHTS[d.month - 1] * WEEKDAY_WEIGHTS[d.weekday()] for d in days]
    weights_work = [w if is_workday(d) else 0.0 for d, w in zip(days, weights_any, strict=True)]
    out = []
    for _ in range(N_CASES):
        emergency = rng.random() < P_EMERGENCY
        channel = "Phone" if emergency else rng.choices(list(CHANNELS), list(CHANNELS.values()))[0]
        if emergency:
            d = rng.choices(days, weights_any)[0]
            minute = rng.uniform(6 * 60, 21 * 60)
        elif channel in ("Phone", "Walk-in"):
            d = rng.choices(days, weights_work)[0]
            # busiest mid-morning and just after lunch
            minute = rng.choice([rng.triangular(480, 990, 600), rng.triangular(480, 990, 790)])
        else:
            d = rng.choices(days, weights_any)[0]
            minute = rng.triangular(7 * 60, 23 * 60 + 59, 20 * 60)
        t = datetime.combine(d, time()) + timedelta(minutes=minute)
        out.append((t.replace(microsecond=0), channel, emergency))
    out.sort()
    return out


# --- locations -------------------------------------------------------------------------


def ward_locations(rng: random.Random) -> dict[int, tuple[list[str], list[str]]]:
    """Each ward's street blocks and intersections: every street is cut into runs of
    consecutive blocks, and each run and each intersection lies in one ward."""
    blocks: dict[int, list[str]] = {w: [] for w in range(1, 11)}
    crossings: dict[int, list[str]] = {w: [] for w in range(1, 11)}
    for street in EAST_WEST + NORTH_SOUTH:
        numbers = list(BLOCKS)
        while numbers:
            size = rng.randint(8, 20)
            run, numbers = numbers[:size], numbers[size:]
            ward = rng.randint(1, 10)
            blocks[ward] += [f"{n} block {street}" for n in run]
    for a in EAST_WEST:
        for b in NORTH_SOUTH:
            crossings[rng.randint(1, 10)].append(f"{a} & {b}")
    return {w: (blocks[w], crossings[w]) for w in blocks}


def case_start(case: Case) -> datetime:
    """The request's first event, in UTC (what an analysis takes as its start)."""
    return min(t.replace(tzinfo=TZ).astimezone(UTC) for t, *_ in case.events)


def assign_locations(cases: list[Case], seed: int) -> None:
    """Give every request a Location, constant within the request, in order of start.

    About P_DUPLICATE_REQUEST of the requests are duplicate requests: they take the
    Location of a random earlier request of the same ward that started 1-14 days before
    (truth["duplicate_of"]). The others draw a block or an intersection of their ward,
    redrawn while it is the Location of a request that started within the previous
    REPEAT_WINDOW_DAYS, so that no request repeats another by accident in that window.
    """
    rng = random.Random(seed)
    pools = ward_locations(rng)
    window = timedelta(days=REPEAT_WINDOW_DAYS)
    low, high = (timedelta(days=d) for d in DUPLICATE_AFTER_DAYS)
    ordered = sorted((case_start(c), c.rid, c) for c in cases if c.events)
    last_start: dict[str, datetime] = {}
    done: list[tuple[datetime, Case]] = []
    for start, _, case in ordered:
        case.truth["duplicate_of"] = None
        if rng.random() < P_DUPLICATE_REQUEST:
            earlier = [c for s, c in done if c.ward == case.ward and low <= start - s <= high]
            if earlier:
                original = rng.choice(earlier)
                case.location = original.location
                case.truth["duplicate_of"] = original.rid
        if not case.location:
            blocks, crossings = pools[case.ward]
            while True:
                pool = crossings if rng.random() < P_INTERSECTION else blocks
                location = rng.choice(pool)
                seen = last_start.get(location)
                if seen is None or start - seen > window:
                    break
            case.location = location
        last_start[case.location] = start
        done.append((start, case))


def repeat_requests(cases: list[Case], days: float = REPEAT_WINDOW_DAYS) -> int:
    """Ground truth: requests whose Location (trimmed, any case) is that of another
    request that started at most `days` before them (cases chain, as in a group of
    three reports of one pothole a week apart: two repeats)."""
    by_location: dict[str, list[datetime]] = {}
    for case in cases:
        if case.events:
            by_location.setdefault(case.location.strip().lower(), []).append(case_start(case))
    window = timedelta(days=days)
    repeats = 0
    for starts in by_location.values():
        starts.sort()
        repeats += sum(1 for a, b in itertools.pairwise(starts) if b - a <= window)
    return repeats


# --- the export --------------------------------------------------------------------------


def generate(
    seed: int = SEED, location_seed: int = LOCATION_SEED
) -> tuple[list[list[str]], list[Case]]:
    rng = random.Random(seed)
    cases = []
    number = 4000
    for arrival, channel, emergency in arrivals(rng):
        number += rng.randint(1, 45)  # other 311 request types take the numbers between
        ward = rng.choices(range(1, 11), WARD_WEIGHTS)[0]
        case = Case(f"25-{number:06d}", arrival, channel, ward, emergency)
        Sim(rng, case).run()
        case.events = [e for e in case.events if e[0] < EXPORT_END]
        case.truth["open"] = not case.events or case.events[-1][1] != CLOSE
        case.truth["escalated"] = any(e[1] == ESCALATE for e in case.events)
        cases.append(case)
    assign_locations(cases, location_seed)

    rows = []
    for case in cases:
        for seq, (t, act, dept, who) in enumerate(case.events):
            stamp = t.replace(tzinfo=TZ)
            key = (stamp.astimezone(UTC), case.rid, seq)
            rows.append(
                (
                    key,
                    [
                        case.rid,
                        act,
                        stamp.isoformat(timespec="seconds"),
                        dept,
                        who,
                        case.channel,
                        str(case.ward),
                        case.location,
                    ],
                )
            )
    rows.sort(key=lambda r: r[0])

    n = len(rows)
    picked = rng.sample(
        range(n), round(n * SHARE_BLANK_DEPARTMENT) + round(n * SHARE_DUPLICATE_ROWS)
    )
    blank = set(picked[: round(n * SHARE_BLANK_DEPARTMENT)])
    doubled = set(picked[round(n * SHARE_BLANK_DEPARTMENT) :])
    out = []
    for i, (_, row) in enumerate(rows):
        if i in blank:
            row[3] = ""
        out.append(row)
        if i in doubled:
            out.append(list(row))
    return out, cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--location-seed", type=int, default=LOCATION_SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows, cases = generate(args.seed, args.location_seed)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    truth = [c.truth for c in cases]
    print(f"wrote {args.out}: {len(cases)} requests, {len(rows)} rows")
    print(
        "planted:",
        f"ping-pong {sum(1 for t in truth if t['bounces'])}",
        f"rework {sum(1 for t in truth if t['rework'])}",
        f"escalated {sum(1 for t in truth if t['escalated'])}",
        f"emergency {sum(1 for c in cases if c.emergency)}",
        f"regional {sum(1 for t in truth if t['variant'] == 'regional')}",
        f"no-defect {sum(1 for t in truth if t['variant'] == 'no-defect')}",
        f"open {sum(1 for t in truth if t['open'])}",
        f"duplicate requests {sum(1 for t in truth if t.get('duplicate_of'))}",
    )
    print(
        f"ground truth: {repeat_requests(cases)} requests repeat the Location of a request",
        f"that started at most {REPEAT_WINDOW_DAYS:g} days before",
    )


if __name__ == "__main__":
    main()
