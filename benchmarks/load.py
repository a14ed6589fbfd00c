#!/usr/bin/env python3
"""A bounded load test: simulated people browsing a real ``handoff serve`` while a log imports.

    python benchmarks/load.py [--users 20] [--seconds 60] [--database sqlite|postgresql|both]
        [--events 1000000] [--seed 7] [--think 0.5 2.0] [--timeout 30] [--no-results]
        [--samples FILE.csv]

For each database (SQLite; PostgreSQL 15 on the test suite's throw-away cluster) it starts
``handoff serve`` on a free port of 127.0.0.1 with a fresh data folder, as a city would on
its first day: the sample processes and the demo event logs are loaded at start and the
first ``admin`` password is read from the console. The admin makes the accounts (analysts,
branch leads, viewers, and one more analyst who imports); nothing else is asked before the
run, so whatever a first visitor computes (analyses, maps) is computed during it.

Then, for ``--seconds``, ``--users`` threads each open the page, sign in through
``POST /api/auth/login`` (session cookie and CSRF token) and browse as their role would,
one page after another with a seeded random think time between pages, each page asking
what the web UI asks (the catalogue, a process with its swimlane map, a log's dashboard with
the analysis, the mined map and the customer map, a scorecard, the actions register,
two versions compared with the diff map, a department's page); two analysts also edit a
process owner, make an action and comment on actions, branch leads comment on the actions
of their department. Meanwhile the importer previews and uploads a generated log of
``--events`` events (benchmarks/generate_log.py) through ``POST /api/event-logs`` and
follows its job every 300 ms, as the Event logs page does, until it is done.

Every request is timed on the client to its last byte. An error is any answer outside
200-399 (a 202 while an analysis is computed is followed after its Retry-After, as the UI
does), a map that is not SVG, an exception or a timeout. It prints, and writes into the
``load`` section of benchmarks/RESULTS.md (bench.py keeps that section), per database: the
requests, errors by endpoint, p50/p95/p99/max latency overall and per endpoint, requests/s,
the import's duration and events/s, and the server's peak RSS. Exit status 1 when any
error occurred (or the server or the import failed), else 0.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from common import ROOT, Server, handoff_env, percentile

DATABASES = ("sqlite", "postgresql")
IMPORT_POLL_S = 0.3  # the Event logs page follows a job every 300 ms
PREVIEW_BYTES = 1 << 20  # ... after previewing the file's first MiB
IMPORT_AFTER_S = 5.0  # the importer starts this long after the people
IMPORT_TIMEOUT_S = 1800.0
ADMIN_PASSWORD = re.compile(r"Sign in as 'admin' with the password\s+(\S+)")
STATIC = ("/", "/css/app.css", "/js/app.js", "/js/api.js", "/js/session.js", "/js/ui.js")
IMPORTER = "importer"


# --- what was asked and how it went ----------------------------------------------------------


@dataclass
class Sample:
    at: float  # seconds since the people started
    who: str  # the role, or "importer"
    group: str  # "GET /api/processes/{slug}/map"
    status: int  # 0: no answer (an exception or a timeout)
    ms: float
    error: str = ""  # why it counts as an error; "" when it does not


class Recorder:
    """Every request of one run (list.append is atomic: threads append without a lock)."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.started = time.perf_counter()

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)

    def now(self) -> float:
        return time.perf_counter() - self.started


def describe(response: httpx.Response) -> str:
    """A problem answer in one line: status, title and detail."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        text = " ".join(str(body.get(k) or "") for k in ("title", "detail")).strip()
    else:
        text = response.text[:200]
    return f"{response.status_code}: {' '.join(text.split())[:200]}"


class Browser:
    """One person's browser: its own connections, cookie jar and CSRF token."""

    def __init__(self, base: str, who: str, recorder: Recorder, timeout: float) -> None:
        self.who = who
        self.recorder = recorder
        self.timeout = timeout
        self.csrf = ""
        self.me: dict[str, Any] = {}
        self.client = httpx.Client(
            base_url=base, timeout=timeout, headers={"User-Agent": f"handoff-load ({who})"}
        )

    def close(self) -> None:
        self.client.close()

    def call(
        self,
        method: str,
        url: str,
        group: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        svg: bool = False,
        timeout: float | None = None,
        **extra: Any,
    ) -> httpx.Response | None:
        """One request, recorded; the response, or None when it counts as an error."""
        headers = {"Accept": "application/json"} if not svg else {}
        if method != "GET" and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        started = time.perf_counter()
        at = self.recorder.now()
        try:
            response = self.client.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=timeout or self.timeout,
                **extra,
            )
        except httpx.HTTPError as error:
            ms = (time.perf_counter() - started) * 1000
            kind = "timeout" if isinstance(error, httpx.TimeoutException) else "exception"
            text = f"{kind}: {type(error).__name__} {error}".strip()
            self.recorder.add(Sample(at, self.who, f"{method} {group}", 0, ms, text[:200]))
            return None
        ms = (time.perf_counter() - started) * 1000
        problem = ""
        if not 200 <= response.status_code < 400:
            problem = describe(response)
        elif svg and response.status_code == 200 and b"<svg" not in response.content[:4000]:
            problem = f"{response.status_code}: not SVG ({response.headers.get('content-type')})"
        sample = Sample(at, self.who, f"{method} {group}", response.status_code, ms, problem)
        self.recorder.add(sample)
        return None if problem else response

    def get(self, url: str, group: str, **kwargs: Any) -> Any:
        """GET a JSON document; None when it failed."""
        response = self.call("GET", url, group, **kwargs)
        return response.json() if response is not None else None

    def ready(self, url: str, group: str, params: dict[str, Any] | None = None) -> Any:
        """GET, following 202 answers after their Retry-After (1..30 s) as the UI does."""
        started = time.perf_counter()
        while True:
            response = self.call("GET", url, group, params=params)
            if response is None:
                return None
            if response.status_code != 202:
                return response.json()
            if time.perf_counter() - started > self.timeout * 4:
                self.recorder.add(
                    Sample(self.recorder.now(), self.who, f"GET {group}", 202, 0.0, "still 202")
                )
                return None
            try:
                wait = float(response.headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
            time.sleep(min(max(wait, 1.0), 30.0))

    def sign_in(self, username: str, password: str) -> bool:
        for path in STATIC:  # the page and its scripts, as a first visit loads them
            self.call("GET", path, "/" if path == "/" else "/css, /js (static files)")
        response = self.call(
            "POST",
            "/api/auth/login",
            "/api/auth/login",
            json={"username": username, "password": password},
        )
        if response is None:
            return False
        self.me = response.json()
        self.csrf = str(self.me.get("csrf_token") or "")
        return True


# --- the people ------------------------------------------------------------------------------


@dataclass
class Demo:
    """What the people find in the demo: processes, logs, departments, owners."""

    processes: list[dict[str, Any]]
    logs: list[dict[str, Any]]
    departments: list[dict[str, Any]]
    owners: list[dict[str, Any]]  # name, department
    leads: dict[str, str] = field(default_factory=dict)  # department: a lead's username

    def log_for(self, rng: random.Random, department: str | None = None) -> dict[str, Any]:
        """The demo log a person opens: the first (the city's own) three times out of four."""
        if department:
            holding = [x for x in self.logs if department in (x.get("departments") or [])]
            if holding:
                return rng.choice(holding)
        return self.logs[0] if rng.random() < 0.75 or len(self.logs) == 1 else rng.choice(self.logs)


@dataclass
class Person:
    username: str
    role: str  # analyst, branch-lead or viewer
    departments: list[str] = field(default_factory=list)
    writer: bool = False
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def who(self) -> str:
        return f"{self.role} (writes)" if self.writer else self.role


def cast(users: int, lead_departments: list[str]) -> list[Person]:
    """The mix of roles: about 30% analysts (the first two also write), 25% branch leads
    (each leading one department of the demo log, in turn), the rest viewers."""
    analysts = max(1, round(users * 0.3)) if users > 1 else 1
    leads = round(users * 0.25) if users > 2 else 0
    people = []
    for n in range(users):
        if n < analysts:
            people.append(Person(f"analyst{n + 1}", "analyst", writer=n < 2))
        elif n < analysts + leads:
            k = n - analysts
            department = lead_departments[k % len(lead_departments)] if lead_departments else ""
            people.append(Person(f"lead{k + 1}", "branch-lead", [department] if department else []))
        else:
            people.append(Person(f"viewer{n - analysts - leads + 1}", "viewer"))
    return people


class Visit:
    """One person's pages; each asks what its page in static/js/pages asks."""

    def __init__(self, browser: Browser, person: Person, demo: Demo, rng: random.Random) -> None:
        self.b, self.person, self.demo, self.rng = browser, person, demo, rng

    # pages everyone sees

    def catalogue(self) -> None:
        self.b.get("/api/processes", "/api/processes")
        self.b.get("/api/who-does-what", "/api/who-does-what")

    def process(self) -> None:
        slug = self.rng.choice(self.demo.processes)["slug"]
        process = self.b.get(f"/api/processes/{quote(slug)}", "/api/processes/{slug}")
        self.b.get("/api/event-logs", "/api/event-logs")
        self.b.get("/api/departments", "/api/departments")
        self.b.get("/api/owners", "/api/owners")
        if process is None:
            return
        label = process["versions"][0]["label"]
        params: dict[str, Any] = {"version": label}
        if self.rng.random() < 0.25:  # "Overlay an event log"
            params["log"] = self.demo.log_for(self.rng)["id"]
        self.b.call(
            "GET",
            f"/api/processes/{quote(slug)}/map",
            "/api/processes/{slug}/map" + ("?log=" if "log" in params else ""),
            params=params,
            svg=True,
        )

    def dashboard(self, measure: str = "frequency") -> None:
        log = self.demo.log_for(self.rng)
        base = f"/api/event-logs/{log['id']}"
        self.b.get(base, "/api/event-logs/{id}")
        self.b.get("/api/processes", "/api/processes")
        self.b.ready(f"{base}/analysis", "/api/event-logs/{id}/analysis")
        self.mined_map(log, measure)
        self.b.call(
            "GET", f"{base}/customer-map/map", "/api/event-logs/{id}/customer-map/map", svg=True
        )

    def mined_map(self, log: dict[str, Any], measure: str) -> None:
        self.b.call(
            "GET",
            f"/api/event-logs/{log['id']}/map",
            "/api/event-logs/{id}/map",
            params={"measure": measure, "keep": 80},
            svg=True,
        )

    def performance_map(self) -> None:  # the dashboard's "performance" toggle
        self.mined_map(self.demo.log_for(self.rng), "performance")

    def scorecard(self, department: str | None = None) -> None:
        logs = self.b.get("/api/event-logs", "/api/event-logs")
        if not logs:
            return
        log = self.demo.log_for(self.rng, department)
        base = f"/api/event-logs/{log['id']}/scorecards"
        everyone = self.b.ready(base, "/api/event-logs/{id}/scorecards")
        if not everyone or not everyone.get("departments"):
            return
        names = [d["department"] for d in everyone["departments"]]
        name = department if department and department in names else self.rng.choice(names)
        self.b.ready(f"{base}/{quote(name, safe='')}", "/api/event-logs/{id}/scorecards/{dept}")

    def actions(self, department: str | None = None) -> list[dict[str, Any]]:
        params = {"department": department} if department else None
        rows = self.b.get("/api/actions", "/api/actions", params=params) or []
        self.b.get("/api/processes", "/api/processes")
        if rows:
            action = self.rng.choice(rows)
            self.b.get(f"/api/actions/{action['id']}", "/api/actions/{id}")
        return list(rows)

    def compare(self) -> None:
        self.b.get("/api/processes", "/api/processes")
        self.b.get("/api/event-logs", "/api/event-logs")
        options = [p for p in self.demo.processes if len(p["versions"]) > 1]
        if not options:
            return
        process = self.rng.choice(options)
        slug, versions = quote(process["slug"]), process["versions"]
        pair = {"from": versions[0]["label"], "to": self.rng.choice(versions[1:])["label"]}
        self.b.get(f"/api/processes/{slug}/compare", "/api/processes/{slug}/compare", params=pair)
        self.b.call(
            "GET",
            f"/api/processes/{slug}/compare/map",
            "/api/processes/{slug}/compare/map",
            params={**pair, "style": "diff"},
            svg=True,
        )

    def departments(self) -> None:
        self.b.get("/api/who-does-what", "/api/who-does-what", params={"kind": "as-is"})
        self.b.call(
            "GET", "/api/customer-map/map", "/api/customer-map/map", params={"kind": "as-is"}
        )

    def logs(self) -> None:
        self.b.get("/api/event-logs", "/api/event-logs")

    # branch leads

    def department(self) -> None:
        name = self.person.departments[0] if self.person.departments else ""
        known = [d for d in self.demo.departments if d["name"] == name]
        if not known:
            self.departments()
            return
        key = quote(known[0]["slug"])
        self.b.get(
            f"/api/departments/{key}/who-does-what",
            "/api/departments/{key}/who-does-what",
            params={"kind": "as-is"},
        )
        self.b.get("/api/event-logs", "/api/event-logs")
        log = self.demo.log_for(self.rng, name)
        if name in (log.get("departments") or []):
            self.b.ready(
                f"/api/event-logs/{log['id']}/analysis",
                "/api/event-logs/{id}/analysis?department=",
                params={"department": name},
            )
        self.b.get(f"/api/departments/{key}/review-queue", "/api/departments/{key}/review-queue")

    def own_scorecard(self) -> None:
        self.scorecard(self.person.departments[0] if self.person.departments else None)

    def own_actions(self) -> None:
        self.actions(self.person.departments[0] if self.person.departments else None)

    # writes

    def comment(self) -> None:
        """Open the register and comment on an action (a branch lead: one of theirs)."""
        department = self.person.departments[0] if self.person.role == "branch-lead" else None
        rows = self.actions(department)
        if department:
            rows = [r for r in rows if r.get("department") == department]
        if not rows and self.person.role == "analyst":
            self.make_action()
            rows = self.b.get("/api/actions", "/api/actions") or []
        if not rows:
            return
        action = self.rng.choice(rows)
        text = f"Checked with the team ({self.person.username}, {dt.date.today():%d %b})."
        self.b.call(
            "POST",
            f"/api/actions/{action['id']}/comments",
            "/api/actions/{id}/comments",
            json={"text": text},
        )
        self.b.get(f"/api/actions/{action['id']}", "/api/actions/{id}")

    def make_action(self) -> None:
        """ "Make an action" on the dashboard's busiest handoff: its median wait, 20% lower."""
        log = self.demo.logs[0]
        base = f"/api/event-logs/{log['id']}"
        document = self.b.ready(f"{base}/analysis", "/api/event-logs/{id}/analysis")
        if not document:
            return
        self.b.get("/api/owners", "/api/owners")
        pairs = [
            h
            for h in document.get("handoffs", [])
            if "(unassigned)" not in (h["from_department"], h["to_department"])
            and h.get("median_wait_s")
        ]
        if not pairs or not self.demo.owners:
            return
        top = pairs[0]
        department = top["to_department"]  # the dialog's default: the receiving side
        theirs = [o["name"] for o in self.demo.owners if o.get("department") == department]
        body: dict[str, Any] = {
            "finding": {
                "kind": "handoff",
                "from_department": top["from_department"],
                "to_department": top["to_department"],
            },
            "log_id": log["id"],
            "metric": "handoff_median_wait",
            "target": round(0.8 * top["median_wait_s"] / 3600, 2),
            "due": (dt.date.today() + dt.timedelta(days=90)).isoformat(),
            "comment": "Made during the load test.",
            "owner": theirs[0] if theirs else self.demo.owners[0]["name"],
        }
        if department in self.demo.leads:
            body["account"] = self.demo.leads[department]
        self.b.call("POST", "/api/actions", "/api/actions", json=body)

    def edit_owner(self) -> None:
        """Change a process's owner on its page, and see the page again."""
        slug = quote(self.rng.choice(self.demo.processes)["slug"])
        if self.b.get(f"/api/processes/{slug}", "/api/processes/{slug}") is None:
            return
        names = sorted({o["name"] for o in self.demo.owners}) or ["Service Manager"]
        owner = self.rng.choice(names)
        self.b.call(
            "PATCH", f"/api/processes/{slug}", "/api/processes/{slug}", json={"owner": owner}
        )
        self.b.get(f"/api/processes/{slug}", "/api/processes/{slug}")

    def pages(self) -> list[tuple[Callable[[], object], int]]:
        """Each page with its weight for this person's role."""
        if self.person.role == "analyst":
            pages: list[tuple[Callable[[], object], int]] = [
                (self.catalogue, 1),
                (self.process, 3),
                (self.dashboard, 3),
                (self.performance_map, 1),
                (self.compare, 2),
                (self.scorecard, 1),
                (self.actions, 1),
                (self.logs, 1),
            ]
            if self.person.writer:
                pages += [(self.edit_owner, 2), (self.comment, 2)]
            return pages
        if self.person.role == "branch-lead":
            return [
                (self.catalogue, 1),
                (self.department, 3),
                (self.own_scorecard, 2),
                (self.own_actions, 2),
                (self.process, 1),
                (self.comment, 1),
            ]
        return [
            (self.catalogue, 3),
            (self.process, 3),
            (self.dashboard, 2),
            (self.compare, 2),
            (self.scorecard, 1),
            (self.actions, 1),
            (self.departments, 1),
        ]


def browse(
    base: str,
    person: Person,
    demo: Demo,
    recorder: Recorder,
    args: argparse.Namespace,
    seed: int,
    until: float,
) -> None:
    """One person: arrive within the first think time, sign in, then page after page."""
    rng = random.Random(seed)
    low, high = args.think
    browser = Browser(base, person.who, recorder, args.timeout)
    visit = Visit(browser, person, demo, rng)
    try:
        time.sleep(rng.uniform(0, high))
        if not browser.sign_in(person.username, person.password):
            return
        if person.writer and person.username == "analyst1":
            visit.dashboard()  # the first analyst makes an action from the dashboard first
            visit.make_action()
        pages, weights = zip(*visit.pages(), strict=True)
        while time.perf_counter() < until:
            page = rng.choices(pages, weights)[0]
            try:
                page()
            except (ValueError, KeyError, TypeError, IndexError) as error:  # a surprising answer
                name = getattr(page, "__name__", "page")
                text = f"client: {type(error).__name__} {error}"[:200]
                recorder.add(Sample(recorder.now(), person.who, f"page {name}", 0, 0.0, text))
            pause = rng.uniform(low, high)
            if time.perf_counter() + pause >= until:
                break
            time.sleep(pause)
    finally:
        browser.close()


# --- the import ------------------------------------------------------------------------------


@dataclass
class Import:
    events: int
    started: float | None = None  # seconds since the people started (upload begins)
    uploaded: float | None = None  # the upload answered 202
    done: float | None = None  # the job was seen done
    log_id: int | None = None
    stored: int | None = None
    dropped: int | None = None
    server_seconds: float | None = None  # the log's import_seconds
    problem: str = ""
    phases: list[tuple[str, float]] = field(default_factory=list)  # each phase, when first seen

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.done is None:
            return None
        return self.done - self.started


def run_import(
    base: str, person: Person, path: Path, recorder: Recorder, args: argparse.Namespace
) -> Import:
    """Preview, upload and follow the job to its end, as the Event logs page does."""
    result = Import(args.events)
    browser = Browser(base, IMPORTER, recorder, args.timeout)
    try:
        if not browser.sign_in(person.username, person.password):
            result.problem = "the importer could not sign in"
            return result
        browser.get("/api/event-logs", "/api/event-logs")
        with path.open("rb") as f:
            head = f.read(PREVIEW_BYTES)
        browser.call(
            "POST",
            "/api/event-logs/preview",
            "/api/event-logs/preview",
            files={"file": (path.name, head, "text/csv")},
            data={"partial": "true"},
        )
        result.started = recorder.now()
        with path.open("rb") as f:
            response = browser.call(
                "POST",
                "/api/event-logs",
                "/api/event-logs (upload)",
                files={"file": (path.name, f, "text/csv")},
                data={"name": f"load test {path.stem}"},
                timeout=IMPORT_TIMEOUT_S,
            )
        result.uploaded = recorder.now()
        if response is None:
            result.problem = "the upload failed (see the errors)"
            return result
        job = response.json()
        if response.status_code != 202:  # a small file is imported within the request
            job = {"state": "done", "log_id": job.get("id"), "phase": "within the upload"}
        deadline = time.perf_counter() + IMPORT_TIMEOUT_S
        while job.get("state") not in ("done", "failed") and time.perf_counter() < deadline:
            time.sleep(IMPORT_POLL_S)
            polled = browser.get(f"/api/import-jobs/{job['id']}", "/api/import-jobs/{id}")
            if polled is not None:
                job = polled
                if not result.phases or result.phases[-1][0] != job.get("phase"):
                    result.phases.append((str(job.get("phase")), recorder.now()))
        result.done = recorder.now()
        if job.get("state") != "done":
            result.problem = f"the job ended {job.get('state')}: {job.get('error')}"
            return result
        result.log_id = job.get("log_id")
        log = browser.get(f"/api/event-logs/{result.log_id}", "/api/event-logs/{id}")
        if log is None:
            result.problem = "the imported log could not be read"
            return result
        result.stored = int(log["events"])
        result.dropped = int(log["exact_duplicate_rows_dropped"])
        result.server_seconds = float(log.get("import_seconds") or 0)
        if result.stored + result.dropped != args.events or log.get("rows_skipped"):
            result.problem = (
                f"{result.stored:,} events stored + {result.dropped:,} duplicates dropped "
                f"of {args.events:,} rows"
            )
        return result
    finally:
        browser.close()


# --- the server's memory and the machine's load ----------------------------------------------


def tree_rss(pid: int) -> list[tuple[int, str, float]]:
    """The process and its descendants now: pid, command line and resident MiB each.

    A child that still has its parent's command line is between fork and exec (a `dot`
    about to start): it shares the parent's pages, and counting them would count the
    server twice, so it is left out.
    """
    found: list[tuple[int, str, float]] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        with suppress(OSError, ValueError):
            status = Path(f"/proc/{current}/status").read_text()
            rss = sum(  # a zombie has no VmRSS
                int(line.split()[1]) / 1024
                for line in status.splitlines()
                if line.startswith("VmRSS:")
            )
            command = Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" ")
            line = command.decode(errors="replace").strip()
            if found and line == found[0][1]:
                continue
            found.append((current, line, rss))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


@dataclass
class Watch:
    """The highest figures seen while watching the server."""

    rss_mb: float = 0.0  # the server and its children together
    load: float = 0.0  # the 1-minute load average
    child: tuple[str, float] = ("", 0.0)  # the largest child seen: command line, MiB


@contextmanager
def watching(pid: int) -> Iterator[Watch]:
    """Sample the server's tree RSS and the load average every half second."""
    peaks = Watch(load=os.getloadavg()[0])
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            tree = tree_rss(pid)
            peaks.rss_mb = max(peaks.rss_mb, sum(rss for _, _, rss in tree))
            peaks.load = max(peaks.load, os.getloadavg()[0])
            for child, command, rss in tree:
                if child != pid and rss > peaks.child[1]:
                    peaks.child = (command, rss)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peaks
    finally:
        stop.set()
        thread.join()


# --- one run ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    database: str
    users: int = 0
    samples: list[Sample] = field(default_factory=list)
    window: float = 0.0  # seconds from the start of the people to the last one's end
    imported: Import | None = None
    peak_mb: float | None = None  # wait4: the server's own peak (or its largest child's)
    tree_peak_mb: float = 0.0  # sampled: the server and its children together
    load_peak: float = 0.0
    child: tuple[str, float] = ("", 0.0)  # the largest child seen: command line, MiB
    setup_s: float = 0.0
    problem: str = ""  # the run did not happen: why
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.error]

    @property
    def failed(self) -> bool:
        return bool(self.problem or self.errors or not self.imported or self.imported.problem)


def setup(
    server: Server, args: argparse.Namespace, recorder: Recorder
) -> tuple[list[Person], Person, Demo]:
    """Sign in as the first admin, look at the demo and make everybody's account.

    Raises:
        RuntimeError: no admin password on the console, or a setup request failed.
    """
    found = ADMIN_PASSWORD.search(server.console())
    if not found:
        raise RuntimeError("no first admin password on the server's console")
    admin = Browser(server.base, "admin", recorder, max(args.timeout, 120))
    try:
        if not admin.sign_in("admin", found[1]):
            raise RuntimeError("the admin could not sign in")
        processes = admin.get("/api/processes", "/api/processes")
        logs = admin.get("/api/event-logs", "/api/event-logs")
        departments = admin.get("/api/departments", "/api/departments")
        owners = admin.get("/api/owners", "/api/owners")
        if not processes or not logs or departments is None or owners is None:
            raise RuntimeError("the demo is not loaded (no processes or no event logs)")
        logs.sort(key=lambda x: x["id"])
        first = logs[0]  # the demo logs are imported in file order: the city's own first
        names = {d["name"] for d in departments}
        leading = [d for d in first.get("departments", []) if d in names]
        people = cast(args.users, leading or sorted(names))
        importer = Person(IMPORTER, "analyst")
        for person in [*people, importer]:
            body = {
                "username": person.username,
                "password": person.password,
                "role": person.role,
                "departments": person.departments,
            }
            if admin.call("POST", "/api/users", "/api/users", json=body) is None:
                raise RuntimeError(f"the account {person.username} was not made: see the errors")
        leads = {p.departments[0]: p.username for p in reversed(people) if p.departments}
        demo = Demo(processes, logs, departments, owners, leads)
        return people, importer, demo
    finally:
        admin.close()


def run(database: str, args: argparse.Namespace, scratch: Path, log: Path) -> Outcome:
    outcome = Outcome(database, args.users)
    with database_url(database, args, outcome) as url:
        if outcome.problem:
            return outcome
        directory = Path(tempfile.mkdtemp(dir=scratch, prefix=f"load-{database}-"))
        data_dir = directory / "data"
        env = handoff_env(data_dir, url)
        env.pop("HANDOFF_ANONYMOUS_ROLE", None)
        env |= {
            "HANDOFF_LOAD_SAMPLES": "true",
            "HANDOFF_SAMPLES_DIR": str(ROOT / "processes"),
            "HANDOFF_EVENT_LOGS_DIR": str(ROOT / "event_logs"),
        }
        server = Server(data_dir, env)
        try:
            started = time.perf_counter()
            if problem := server.start():
                outcome.problem = problem
                return outcome
            outcome.notes.append(
                f"first start (migrations, 6 sample processes, demo logs) "
                f"{time.perf_counter() - started:.1f} s"
            )
            setup_recorder = Recorder()
            started = time.perf_counter()
            try:
                people, importer, demo = setup(server, args, setup_recorder)
            except RuntimeError as error:
                outcome.problem = f"setup: {error}"
                outcome.samples = setup_recorder.samples
                return outcome
            outcome.setup_s = time.perf_counter() - started
            roles = Counter(p.who for p in people)
            outcome.notes.append(
                f"accounts made by the admin in {outcome.setup_s:.1f} s: "
                + ", ".join(f"{n} {role}" for role, n in sorted(roles.items()))
                + "; branch leads lead "
                + (", ".join(sorted({d for p in people for d in p.departments})) or "nothing")
                + "; demo logs: "
                + ", ".join(f"{x['name']} ({x['events']:,} events)" for x in demo.logs)
            )
            assert server.process is not None
            outcome.samples, outcome.window, outcome.imported, peaks = drive(
                server, people, importer, demo, log, args
            )
            outcome.tree_peak_mb, outcome.load_peak = peaks.rss_mb, peaks.load
            outcome.child = peaks.child
            outcome.peak_mb = server.stop()
            if "Traceback" in server.console():
                outcome.notes.append(
                    "the server's console holds a traceback: " + traceback_head(server.console())
                )
        finally:
            server.stop()
    return outcome


def traceback_head(console: str) -> str:
    lines = console[console.index("Traceback") :].splitlines()
    errors = [line for line in lines if re.match(r"^\w[\w.]*(Error|Exception)\b", line)]
    return (errors[0] if errors else lines[-1])[:300]


@contextmanager
def database_url(database: str, args: argparse.Namespace, outcome: Outcome) -> Iterator[str | None]:
    if database == "sqlite":
        yield None
        return
    if not POSTGRES.start():
        outcome.problem = f"n/a ({POSTGRES.error})"
        yield None
        return
    with POSTGRES.database(args.events) as url:
        yield url


POSTGRES = common.PostgresServer()


def drive(
    server: Server,
    people: list[Person],
    importer: Person,
    demo: Demo,
    log: Path,
    args: argparse.Namespace,
) -> tuple[list[Sample], float, Import, Watch]:
    """The people and the importer against the server; every request recorded."""
    assert server.process is not None
    recorder = Recorder()
    until = time.perf_counter() + args.seconds
    threads = [
        threading.Thread(
            target=browse,
            args=(server.base, person, demo, recorder, args, args.seed * 1000 + n, until),
            name=person.username,
            daemon=True,
        )
        for n, person in enumerate(people)
    ]
    imported: list[Import] = []

    def importing() -> None:
        time.sleep(IMPORT_AFTER_S)
        try:
            imported.append(run_import(server.base, importer, log, recorder, args))
        except (ValueError, KeyError, TypeError, OSError) as error:  # a surprising answer
            problem = f"client: {type(error).__name__} {error}"[:200]
            imported.append(Import(args.events, problem=problem))

    loader = threading.Thread(target=importing, name=IMPORTER, daemon=True)
    with watching(server.process.pid) as peaks:
        recorder.started = time.perf_counter()
        for thread in [*threads, loader]:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + args.timeout * 6)
        window = recorder.now()
        loader.join(IMPORT_TIMEOUT_S + 60)
    result = imported[0] if imported else Import(args.events, problem="the importer hung")
    return list(recorder.samples), window, result, peaks


# --- the report ------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def latency(values: list[float]) -> list[str]:
    if not values:
        return ["-"] * 4
    return [ms(percentile(values, p)) for p in (50, 95, 99)] + [ms(max(values))]


ENDPOINT_HEADER = ["endpoint", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"]


def endpoint_rows(samples: list[Sample]) -> list[list[str]]:
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        key = s.group + (" (importer)" if s.who == IMPORTER and "upload" not in s.group else "")
        groups.setdefault(key, []).append(s)
    rows = []
    for name, group in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        errors = sum(1 for s in group if s.error)
        rows.append([name, f"{len(group):,}", f"{errors:,}", *latency([s.ms for s in group])])
    return rows


SUMMARY_HEADER = [
    "database",
    "users",
    "requests",
    "errors",
    "requests/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "p95 ms during the import",
    "import s",
    "import events/s",
    "server peak RSS MB",
]


def summary_row(o: Outcome) -> list[str]:
    if o.problem:
        return [o.database, str(o.users), *["n/a"] * (len(SUMMARY_HEADER) - 2)]
    people = [s for s in o.samples if s.who != IMPORTER]
    imp = o.imported
    during = (
        [s.ms for s in people if imp.started <= s.at <= imp.done]
        if imp and imp.started is not None and imp.done is not None
        else []
    )
    seconds = imp.seconds if imp and not imp.problem else None
    return [
        o.database,
        str(o.users),
        f"{len(o.samples):,}",
        f"{len(o.errors):,}",
        f"{len(people) / o.window:.1f}" if o.window else "n/a",
        *latency([s.ms for s in people]),
        latency(during)[1],
        f"{seconds:.1f}" if seconds else "n/a",
        f"{o.imported.events / seconds:,.0f}" if seconds and o.imported else "n/a",
        f"{max(o.peak_mb or 0, o.tree_peak_mb):,.0f}",
    ]


def error_lines(o: Outcome) -> list[str]:
    by: dict[str, Counter[str]] = {}
    for s in o.errors:
        by.setdefault(s.group, Counter())[s.error] += 1
    lines = []
    for group, reasons in sorted(by.items(), key=lambda kv: -sum(kv[1].values())):
        shown = "; ".join(f"{n} x {reason}" for reason, n in reasons.most_common(3))
        more = f" (and {len(reasons) - 3} other reasons)" if len(reasons) > 3 else ""
        lines.append(f"{group}: {sum(reasons.values())} errors: {shown}{more}")
    return lines


def notes_of(o: Outcome) -> list[str]:
    notes = list(o.notes)
    if o.problem:
        return [*notes, f"not run: {o.problem}", *error_lines(o)]
    people = [s for s in o.samples if s.who != IMPORTER]
    imp = o.imported
    waits = Counter(s.group for s in o.samples if s.status == 202 and s.group.startswith("GET "))
    accepted = ", ".join(f"{n} {group}" for group, n in waits.items())
    notes.append(
        f"{len(people):,} requests of the {o.users} people in {o.window:.1f} s "
        f"({len(o.samples) - len(people):,} more of the importer); "
        f"202 answers followed: {accepted or 'none'}; "
        f"highest 1-minute load average during the run {o.load_peak:.2f}"
    )
    by_role: dict[str, list[float]] = {}
    for s in people:
        by_role.setdefault(s.who, []).append(s.ms)
    notes.append(
        "per role (requests, p50/p95/max ms): "
        + "; ".join(
            f"{who} {len(v):,}, {'/'.join(latency(v)[i] for i in (0, 1, 3))}"
            for who, v in sorted(by_role.items())
        )
    )
    if imp is not None:
        if imp.problem:
            notes.append(f"IMPORT FAILED: {imp.problem}")
        if imp.started is not None and imp.uploaded is not None:
            upload = imp.uploaded - imp.started
            job = f"{imp.done - imp.uploaded:.1f} s" if imp.done is not None else "n/a"
            end = (
                f"{imp.done - o.window:+.1f} s from the end of the browsing"
                if imp.done is not None
                else ""
            )
            notes.append(
                f"import of {imp.events:,} rows: upload started at {imp.started:.1f} s, "
                f"upload (POST until 202) {upload:.1f} s, job {job}, done at "
                f"{imp.done or 0:.1f} s ({end}); server's import_seconds "
                f"{imp.server_seconds or 0:.1f}; {imp.stored or 0:,} events stored, "
                f"{imp.dropped or 0:,} exact duplicates dropped; phases seen: "
                + ", ".join(f"{phase} at {at:.1f} s" for phase, at in imp.phases)
            )
        people_before = [s.ms for s in people if imp.started is None or s.at < imp.started]
        after = [s.ms for s in people if imp.done is not None and s.at > imp.done]
        notes.append(
            "the people's p50/p95/max ms before the upload: "
            + "/".join(latency(people_before)[i] for i in (0, 1, 3))
            + ", after the import: "
            + ("/".join(latency(after)[i] for i in (0, 1, 3)) if after else "none (it ended last)")
        )
    writes = [s for s in people if not s.group.startswith(("GET ", "POST /api/auth/"))]
    if writes:
        notes.append(
            f"writes ({len(writes)}: "
            + ", ".join(f"{n} {g}" for g, n in Counter(s.group for s in writes).most_common())
            + "): p50/p95/max ms "
            + "/".join(latency([s.ms for s in writes])[i] for i in (0, 1, 3))
            + storing_writes(writes, imp)
        )
    slowest = sorted(o.samples, key=lambda s: -s.ms)[:5]
    notes.append(
        "slowest requests: "
        + "; ".join(f"{s.group} ({s.who}) at {s.at:.1f} s took {ms(s.ms)} ms" for s in slowest)
    )
    notes.append(
        f"server peak RSS: {o.tree_peak_mb:,.0f} MB sampled every 0.5 s (the server and its "
        f"children together), {o.peak_mb or 0:,.0f} MB its own peak at exit (os.wait4)"
        + (
            f"; its largest child: {o.child[1]:,.0f} MB, `{o.child[0][:120]}`"
            if o.child[0]
            else "; no child process seen"
        )
    )
    return notes + [f"ERRORS {line}" for line in error_lines(o)]


def storing_writes(writes: list[Sample], imp: Import | None) -> str:
    """The writes made while the import stored its events (SQLite has one writer)."""
    storing = [at for phase, at in imp.phases if phase == "storing"] if imp else []
    if not storing or imp is None or imp.done is None:
        return ""
    start, end = storing[0], imp.done
    during = [s.ms for s in writes if start - 0.3 <= s.at <= end]
    worst = f", max {ms(max(during))} ms" if during else ""
    return f"; {len(during)} of them while the import stored its events{worst}"


def report(outcomes: list[Outcome], args: argparse.Namespace, extra: list[str]) -> tuple[str, str]:
    rows = [summary_row(o) for o in outcomes]
    right = set(range(1, len(SUMMARY_HEADER)))
    text = [common.text_table(SUMMARY_HEADER, rows, right), ""]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = " ".join(["python benchmarks/load.py", *sys.argv[1:]])
    markdown = [
        "## Load test",
        "",
        f"Measured {when} with `{command}` (`make load` runs it): "
        + f"{args.users} people for {args.seconds:g} s, think time {args.think[0]:g}-"
        + f"{args.think[1]:g} s, while a {args.events:,}-event log is uploaded and imported "
        + "(scenario in benchmarks/README.md).",
        "",
        f"Machine: {common.machine(POSTGRES.version)}.",
        "",
        *[f"- {line}" for line in extra],
        "",
        common.markdown_table(SUMMARY_HEADER, rows, right),
        "",
        "Latencies are the simulated people's requests (not the importer's), timed on the "
        "client to the last byte; requests/s is theirs over the browsing window; errors count "
        "every request, the importer's too; server peak RSS is the larger of the sampled "
        "total of the server and its children and its own peak at exit.",
    ]
    for o in outcomes:
        notes = notes_of(o)
        text += [f"{o.database}:", *[f"- {n}" for n in notes], ""]
        markdown += ["", f"### {o.database}", "", *[f"- {n}" for n in notes]]
        if o.samples and not o.problem:
            table = endpoint_rows(o.samples)
            right = set(range(1, len(ENDPOINT_HEADER)))
            text += [common.text_table(ENDPOINT_HEADER, table, right), ""]
            markdown += ["", common.markdown_table(ENDPOINT_HEADER, table, right)]
    return "\n".join(text), "\n".join(markdown) + "\n"


def write_samples(path: Path, outcomes: list[Outcome]) -> None:
    """Every request as a CSV row, with the import's phases as rows of their own."""
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["database", "at_s", "who", "endpoint", "status", "ms", "error"])
        for o in outcomes:
            for phase, at in o.imported.phases if o.imported else []:
                out.writerow([o.database, f"{at:.3f}", IMPORTER, f"phase {phase}", "", "", ""])
            for x in sorted(o.samples, key=lambda x: x.at):
                out.writerow(
                    [o.database, f"{x.at:.3f}", x.who, x.group, x.status, f"{x.ms:.1f}", x.error]
                )


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="simulated people (20)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they browse (60)")
    parser.add_argument("--database", choices=[*DATABASES, "both"], default="both")
    count = common.generate_log._count
    parser.add_argument(
        "--events", type=count, default=1_000_000, help="rows of the imported log (1M)"
    )
    parser.add_argument("--seed", type=int, default=7, help="of the log and the people")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=[0.5, 2.0],
        metavar=("MIN", "MAX"),
        help="seconds between pages (0.5 2)",
    )
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request (30)")
    parser.add_argument("--out", type=Path, default=common.BENCHMARKS / "out")
    parser.add_argument("--results", type=Path, default=common.BENCHMARKS / "RESULTS.md")
    parser.add_argument("--no-results", action="store_true", help="only print")
    parser.add_argument(
        "--samples", type=Path, help="also write every request to this CSV (for a closer look)"
    )
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0 or not 0 <= args.think[0] <= args.think[1]:
        parser.error("--users at least 1, --seconds above 0, --think MIN <= MAX")

    args.out.mkdir(parents=True, exist_ok=True)
    extra = [common.load("at the start")]
    print(extra[0], flush=True)
    path, note = common.log_file(args.out, args.events, args.seed)
    extra.append(note)
    print(note, flush=True)
    common.warm(path)
    scratch = Path(tempfile.mkdtemp(dir=args.out, prefix="scratch-load-"))
    outcomes = []
    try:
        for database in DATABASES if args.database == "both" else [args.database]:
            print(f"{database}: starting the server and the people ...", flush=True)
            outcome = run(database, args, scratch, path)
            outcomes.append(outcome)
            print(
                f"{database}: "
                + (
                    outcome.problem
                    or f"{len(outcome.samples):,} requests, {len(outcome.errors):,} errors"
                ),
                flush=True,
            )
    finally:
        POSTGRES.stop()
        for leftover in sorted(scratch.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() or leftover.is_symlink() else leftover.rmdir()
        scratch.rmdir()
    extra.insert(1, common.load("at the end"))
    text, markdown = report(outcomes, args, extra)
    print()
    print(text)
    if not args.no_results:
        common.write_section(args.results, "load", markdown)
        print(f"wrote the load section of {args.results}")
    if args.samples:
        write_samples(args.samples, outcomes)
        print(f"wrote every request to {args.samples}")
    failed = [o.database for o in outcomes if o.failed]
    if failed:
        print(f"FAILED: errors in {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
