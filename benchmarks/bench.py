#!/usr/bin/env python3
"""Handoff against plain pm4py on generated city ticket logs: one table, the targets, RESULTS.md.

    python benchmarks/bench.py [--sizes 100000 1000000 5000000 20000000] [--quick]

For each size it takes the seeded generated log (benchmarks/generate_log.py, cached in
benchmarks/out/) and runs, each in its own process (wall seconds and its own peak RSS):

- pm4py: ``pandas.read_csv`` + ``pm4py.format_dataframe`` + ``pm4py.discover_performance_dfg``;
- analysis: ``handoff analyze FILE --json`` (the complete analysis document, checked:
  it parses and ``log.rows_read`` equals the size);
- map: ``handoff map FILE -o map.svg`` (the mined map, file to SVG);
- sqlite, postgresql: ``handoff import-log FILE`` into a fresh SQLite file / a fresh
  database of a throw-away PostgreSQL cluster (checked: every row imported or dropped as
  an exact duplicate).

Then, against a running ``handoff serve`` (its own data folder, SQLite, logs imported with
``handoff import-log``):

- api: the analysis of the stored 1M log computed once (200, or 202 and polled), then
  ``--requests`` cached requests timed (p50, p95, max);
- health: ``/health`` polled every 25 ms while the server computes the analysis of the
  stored 5M log (p50, p95, max, count);
- map300: the mined map (SVG) of a stored 1M log with 300 activities, first request (the
  directly-follows graph computed from the stored events, then drawn) and again (drawn).

It prints one table (a row per size) and the targets with met or MISSED, and rewrites
benchmarks/RESULTS.md with them and the machine. A step that fails is "n/a" with its reason
in the notes; a step whose memory would not fit (its peak at a smaller size, scaled) is
"skipped". It exits 0 either way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from common import ROOT, Server, handoff, handoff_env, percentile, run_child

SIZE_STEPS = ("pm4py", "analysis", "map", "sqlite", "postgresql")
SERVER_STEPS = ("api", "health", "map300")
STEPS = SIZE_STEPS + SERVER_STEPS
DEFAULT_SIZES = [100_000, 1_000_000, 5_000_000, 20_000_000]
QUICK_SIZES = [100_000, 1_000_000]

# The targets of issue 9.
SPEEDUP_SIZE, SPEEDUP = 1_000_000, 3.0  # analysis at least 3x faster than pm4py
PEAK_SIZE, PEAK_MB = 20_000_000, 4 * 1024  # analysis peak RSS under 4 GiB
API_MS = 200.0  # a cached analysis served by the API (p95)
HEALTH_MS = 100.0  # /health while a big analysis runs (every request)
MAP_ACTIVITIES, MAP_SECONDS = 300, 5.0  # a mined map of a 300-activity log

MEMORY_HEADROOM = 0.85  # skip a step whose scaled peak exceeds this share of free memory


# --- one measured step -----------------------------------------------------------------------


@dataclass
class Measure:
    """One step at one size: seconds and peak MB, or why there are none."""

    seconds: float | None = None
    peak_mb: float | None = None
    detail: str = ""
    problem: str = ""  # "n/a (...)" or "skipped (...)": the figures do not count

    @property
    def ok(self) -> bool:
        return self.seconds is not None and not self.problem

    def cell(self, fmt: Callable[[float], str]) -> str:
        if self.ok:
            assert self.seconds is not None
            return fmt(self.seconds)
        return "skipped" if self.problem.startswith("skipped") else "n/a"


@dataclass
class SizeResult:
    size: int
    steps: dict[str, Measure] = field(default_factory=dict)

    def get(self, step: str) -> Measure:
        return self.steps.get(step) or Measure(problem="n/a (not run: see --steps)")


def pm4py_child(path: str) -> None:
    """Child process of the pm4py step: load, format, performance DFG; figures as JSON."""
    started = time.perf_counter()
    import pandas as pd
    import pm4py

    imported = time.perf_counter()
    df = pd.read_csv(path)
    read = time.perf_counter()
    df = pm4py.format_dataframe(
        df, case_id="Case ID", activity_key="Activity", timestamp_key="Timestamp"
    )
    formatted = time.perf_counter()
    dfg, _start, _end = pm4py.discover_performance_dfg(df)
    discovered = time.perf_counter()
    figures = {
        "import_s": imported - started,
        "read_s": read - imported,
        "format_s": formatted - read,
        "dfg_s": discovered - formatted,
        "rows": len(df),
        "activities": int(df["concept:name"].nunique()),
        "edges": len(dfg),
    }
    print(json.dumps(figures))


def step_pm4py(size: int, path: Path, scratch: Path, timeout: float) -> Measure:
    run = run_child([sys.executable, __file__, "--pm4py-child", str(path)], timeout=timeout)
    if run.returncode != 0:
        return Measure(problem=f"n/a ({common.failure(run)})")
    try:
        f = json.loads(run.last_line("stdout"))
        detail = (
            f"import pandas+pm4py {f['import_s']:.1f} s, read_csv {f['read_s']:.1f} s, "
            f"format_dataframe {f['format_s']:.1f} s, discover_performance_dfg "
            f"{f['dfg_s']:.1f} s; {f['rows']:,} rows, {f['activities']} activities, "
            f"{f['edges']:,} DFG edges"
        )
    except (ValueError, KeyError, TypeError):
        return Measure(problem=f"n/a (unexpected output {run.last_line('stdout')!r})")
    measure = Measure(run.seconds, run.peak_mb, detail)
    if f["rows"] != size:
        measure.problem = f"n/a (pm4py kept {f['rows']:,} of {size:,} rows)"
    return measure


def check_document(document: Any, size: int) -> str:
    """Why an analysis document does not count ('' when it does)."""
    if not isinstance(document, dict) or not isinstance(document.get("log"), dict):
        return "the document has no `log` object"
    rows_read = document["log"].get("rows_read")
    if rows_read != size:
        return f"log.rows_read is {rows_read!r}, not {size:,}"
    missing = [k for k in ("handoffs", "variants") if not isinstance(document.get(k), list)]
    return f"the document lacks {', '.join(missing)}" if missing else ""


def describe_document(document: dict[str, Any]) -> str:
    log = document["log"]
    return (
        f"rows_read {log.get('rows_read'):,}, {log.get('events'):,} events, "
        f"{log.get('cases'):,} cases, {log.get('activities')} activities; "
        f"{len(document['handoffs'])} handoffs, {len(document['variants'])} variants"
    )


def step_analysis(size: int, path: Path, scratch: Path, timeout: float) -> Measure:
    with tempfile.TemporaryDirectory(dir=scratch, prefix="analyze-") as directory:
        env = handoff_env(Path(directory) / "data")
        run = run_child(handoff("analyze", str(path), "--json"), env=env, timeout=timeout)
    if run.returncode != 0:
        return Measure(problem=f"n/a ({common.failure(run)})")
    try:
        document = json.loads(run.stdout)
    except ValueError as error:
        return Measure(problem=f"n/a (stdout is not a JSON document: {error})")
    if problem := check_document(document, size):
        return Measure(problem=f"n/a ({problem})")
    detail = f"document {len(run.stdout) / 1e3:,.0f} kB; {describe_document(document)}"
    return Measure(run.seconds, run.peak_mb, detail)


def step_map(size: int, path: Path, scratch: Path, timeout: float) -> Measure:
    with tempfile.TemporaryDirectory(dir=scratch, prefix="map-") as directory:
        svg = Path(directory) / "map.svg"
        env = handoff_env(Path(directory) / "data")
        run = run_child(handoff("map", str(path), "-o", str(svg)), env=env, timeout=timeout)
        head = svg.read_bytes()[:2000] if svg.exists() else b""
        svg_bytes = svg.stat().st_size if svg.exists() else 0
    if run.returncode != 0:
        return Measure(problem=f"n/a ({common.failure(run)})")
    if b"<svg" not in head:
        return Measure(problem="n/a (exit 0 but no SVG written)")
    shown = re.search(r"showing (\d+) of (\d+) transitions", run.stderr)
    edges = f"{shown[1]} of {shown[2]} transitions drawn" if shown else "edges not reported"
    return Measure(run.seconds, run.peak_mb, f"SVG {svg_bytes / 1e3:,.0f} kB, {edges}")


IMPORTED = re.compile(
    r"imported ([\d,]+) events .*\(([\d,]+) exact duplicate rows dropped, ([\d,]+) rows skipped"
)


def run_import(
    size: int, path: Path, data_dir: Path, url: str | None, timeout: float
) -> tuple[Measure, str]:
    """`handoff import-log`, checked; the measure and the log id."""
    command = handoff("import-log", str(path), "--name", path.stem)
    run = run_child(command, env=handoff_env(data_dir, url), timeout=timeout)
    if run.returncode != 0:
        return Measure(problem=f"n/a ({common.failure(run)})"), ""
    found = IMPORTED.search(run.stdout)
    if not found:
        return Measure(problem=f"n/a (unexpected output {run.stdout.strip()[:200]!r})"), ""
    events, dropped, skipped = (int(g.replace(",", "")) for g in found.groups())
    if events + dropped != size or skipped:
        return Measure(problem=f"n/a (imported {events:,} + {dropped:,} dropped of {size:,})"), ""
    detail = f"{events:,} events stored, {dropped:,} exact duplicates dropped"
    return Measure(run.seconds, run.peak_mb, detail), run.last_line("stdout")


def step_sqlite(size: int, path: Path, scratch: Path, timeout: float) -> Measure:
    with tempfile.TemporaryDirectory(dir=scratch, prefix="sqlite-") as directory:
        measure, _ = run_import(size, path, Path(directory), None, timeout)
        database = Path(directory) / "handoff.sqlite3"
        if measure.ok and database.exists():
            mb = sum(p.stat().st_size for p in Path(directory).glob("handoff.sqlite3*")) / 1e6
            measure.detail += f"; database {mb:,.0f} MB"
    return measure


POSTGRES = common.PostgresServer()


def step_postgresql(size: int, path: Path, scratch: Path, timeout: float) -> Measure:
    if not POSTGRES.start():
        return Measure(problem=f"n/a ({POSTGRES.error})")
    with (
        POSTGRES.database(size) as url,
        tempfile.TemporaryDirectory(dir=scratch, prefix="pg-") as directory,
    ):
        measure, _ = run_import(size, path, Path(directory), url, timeout)
    return measure


RUNNERS: dict[str, Callable[[int, Path, Path, float], Measure]] = {
    "pm4py": step_pm4py,
    "analysis": step_analysis,
    "map": step_map,
    "sqlite": step_sqlite,
    "postgresql": step_postgresql,
}


def available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable"):
            return int(line.split()[1]) / 1024
    return float("inf")


def too_big(step: str, size: int, results: list[SizeResult]) -> str:
    """A reason to skip: the step's peak at the largest smaller size, scaled, would not fit."""
    smaller = [r for r in results if r.size < size and r.get(step).peak_mb]
    if not smaller or not Path("/proc/meminfo").exists():
        return ""
    base = max(smaller, key=lambda r: r.size)
    peak = base.get(step).peak_mb
    assert peak is not None
    estimate, free = peak * size / base.size, available_mb()
    if estimate <= MEMORY_HEADROOM * free:
        return ""
    return (
        f"skipped (its peak at {base.size:,} events, {peak:,.0f} MB, scaled to "
        f"{estimate / 1024:,.1f} GB, over {MEMORY_HEADROOM:.0%} of the {free / 1024:,.1f} GB "
        "available)"
    )


# --- against a running server ----------------------------------------------------------------


@contextmanager
def polling(server: Server, every_s: float) -> Iterator[list[tuple[float, float, int]]]:
    """Poll /health from a thread; yields the (started, ms, status) samples as they come."""
    samples: list[tuple[float, float, int]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                reply = server.get("/health", timeout=30)
                samples.append((started, reply.ms, reply.status))
            except OSError:
                samples.append((started, (time.perf_counter() - started) * 1000, 0))
            stop.wait(max(0.0, every_s - (time.perf_counter() - started)))

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join(timeout=60)


@dataclass
class Target:
    """One target of the issue: what, measured how, and the verdict."""

    name: str
    measured: str = "not measured"
    verdict: str = "n/a"
    notes: list[str] = field(default_factory=list)


def judge(ok: bool, miss: str) -> str:
    return "met" if ok else f"MISSED ({miss})"


def server_steps(args: argparse.Namespace, scratch: Path, notes: list[str]) -> list[Target]:
    """The api, health and map300 measurements against one running `handoff serve`."""
    api = Target(f"cached analysis of the stored {args.api_size:,}-event log via the API")
    health = Target(f"/health while the server analyses the stored {args.health_size:,}-event log")
    mapped = Target(f"mined map (SVG) of a stored log with {MAP_ACTIVITIES} activities")
    targets = [
        t
        for t, step in ((api, "api"), (health, "health"), (mapped, "map300"))
        if step in args.steps
    ]
    if not targets:
        return []
    directory = Path(tempfile.mkdtemp(dir=scratch, prefix="serve-"))
    data_dir = directory / "data"
    server = Server(data_dir, {**handoff_env(data_dir), "HANDOFF_ANONYMOUS_ROLE": "viewer"})
    wanted = {
        "api": (args.api_size, common.generate_log.BASE_ACTIVITIES),
        "health": (args.health_size, common.generate_log.BASE_ACTIVITIES),
        "map300": (args.map_size, MAP_ACTIVITIES),
    }
    ids: dict[tuple[int, int], str] = {}
    try:
        for step, target in (("api", api), ("health", health), ("map300", mapped)):
            if step not in args.steps or wanted[step] in ids:
                continue
            size, activities = wanted[step]
            path, note = common.log_file(args.out, size, args.seed, activities)
            if note not in notes:
                notes.append(note)
            measure, log_id = run_import(size, path, data_dir, None, args.timeout)
            if not measure.ok:
                target.measured = f"import failed: {measure.problem}"
                continue
            ids[wanted[step]] = log_id
            notes.append(f"server: imported {path.name} as log {log_id} in {measure.seconds:.1f} s")
            print(notes[-1], flush=True)
        if problem := server.start():
            for t in targets:
                t.measured = f"n/a ({problem})"
            return targets
        # /health first: when both use the same log, its analysis must not be cached yet.
        measures = (
            ("health", health, measure_health),
            ("api", api, measure_api),
            ("map300", mapped, measure_map),
        )
        for step, target, measure_step in measures:
            if (log_id := ids.get(wanted[step], "")) and step in args.steps:
                try:
                    measure_step(server, log_id, args, target)
                except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
                    target.measured = f"n/a ({error}; server log: {server.last_log()})"
                print(f"{step}: {target.measured}", flush=True)
        if peak := server.stop():
            notes.append(
                f"server: peak RSS of `handoff serve` (with any process it started) {peak:,.0f} MB"
            )
    finally:
        server.stop()
    return targets


def analysis_path(log_id: str) -> str:
    return f"/api/event-logs/{log_id}/analysis"


def measure_api(server: Server, log_id: str, args: argparse.Namespace, target: Target) -> None:
    first, seconds, accepted = server.when_ready(analysis_path(log_id), args.timeout)
    if problem := check_document(json.loads(first.body), args.api_size):
        target.measured = f"n/a (first document: {problem})"
        return
    target.notes.append(
        (
            f"first request (computed in the background: {accepted} answers 202, polled)"
            if accepted
            else "first request (cached already by the health step)"
            if first.headers.get("x-handoff-cache") == "hit"
            else "first request (computed within it)"
        )
        + f": {seconds:.2f} s"
        + f"; {describe_document(json.loads(first.body))}"
    )
    times = []
    for _ in range(args.requests):
        reply = server.get(analysis_path(log_id), timeout=60)
        if reply.status != 200 or len(reply.body) != len(first.body):
            target.measured = f"n/a (a cached request answered {reply.status})"
            return
        times.append(reply.ms)
    cache = reply.headers.get("x-handoff-cache", "not reported")
    p50, p95 = statistics.median(times), percentile(times, 95)
    target.measured = (
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms over {len(times)} requests "
        f"({len(first.body) / 1e3:,.0f} kB each, X-Handoff-Cache: {cache})"
    )
    target.verdict = judge(p95 < API_MS, f"p95 {p95 / API_MS:.1f}x the {API_MS:g} ms")
    target.name += f": p95 < {API_MS:g} ms"


def measure_health(server: Server, log_id: str, args: argparse.Namespace, target: Target) -> None:
    with polling(server, args.health_every / 1000) as samples:
        time.sleep(1.0)  # a few answers on an idle server first
        idle = len(samples)
        started = time.perf_counter()
        reply, seconds, accepted = server.when_ready(analysis_path(log_id), args.timeout)
        ended = time.perf_counter()
        during = [(ms, status) for at, ms, status in samples[idle:] if started <= at <= ended]
        idle_ms = [ms for _, ms, _ in samples[:idle]]
    if problem := check_document(json.loads(reply.body), args.health_size):
        target.measured = f"n/a (the document: {problem})"
        return
    if not during:
        target.measured = "n/a (no /health answer during the analysis)"
        return
    times = [ms for ms, _ in during]
    failed = sum(1 for _, status in during if status != 200)
    p50, p95, worst = statistics.median(times), percentile(times, 95), max(times)
    slow = sum(1 for ms in times if ms >= HEALTH_MS)
    target.measured = (
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms over {len(times)} requests "
        f"in {seconds:.1f} s of analysis; {slow} at or over {HEALTH_MS:g} ms"
        + (f", {failed} not 200" if failed else "")
    )
    target.verdict = judge(
        worst < HEALTH_MS and not failed,
        f"max {worst:.0f} ms; {slow} of {len(times)} at or over {HEALTH_MS:g} ms",
    )
    target.name += f": every answer < {HEALTH_MS:g} ms"
    target.notes.append(
        f"analysis of the stored log through the API: {seconds:.1f} s"
        + (f" ({accepted} answers 202, polled)" if accepted else " (one request answered 200)")
        + f"; /health on the idle server before it: max {max(idle_ms, default=0):.1f} ms; "
        f"polled every {args.health_every:g} ms"
    )


def measure_map(server: Server, log_id: str, args: argparse.Namespace, target: Target) -> None:
    path = f"/api/event-logs/{log_id}/map?format=svg"
    first, seconds, accepted = server.when_ready(path, args.timeout)
    if b"<svg" not in first.body[:2000]:
        target.measured = "n/a (the map is not SVG)"
        return
    again = [server.get(path, timeout=args.timeout) for _ in range(3)]
    if any(r.status != 200 for r in again):
        target.measured = "n/a (a repeated map request failed)"
        return
    warm = statistics.median(r.ms for r in again)
    edges = first.headers.get("x-handoff-edges", "?")
    stored = server.get(f"/api/event-logs/{log_id}", timeout=60)
    activities = json.loads(stored.body).get("activities") if stored.status == 200 else "?"
    target.measured = (
        f"first request {seconds:.2f} s (graph from the stored events + drawing), again "
        f"{warm / 1000:.2f} s (drawing); {activities} activities, edges drawn/total {edges}, "
        f"SVG {len(first.body) / 1e3:,.0f} kB"
    )
    target.verdict = judge(
        seconds < MAP_SECONDS,
        f"{seconds / MAP_SECONDS:.1f}x the limit; drawing alone {warm / 1000:.2f} s, the rest "
        "is the directly-follows graph from the stored events",
    )
    target.name += f": first request < {MAP_SECONDS:g} s"
    if activities != MAP_ACTIVITIES:
        target.verdict = f"n/a (the log has {activities} activities, not {MAP_ACTIVITIES})"
    if accepted:
        target.notes.append(f"the first map request answered 202 {accepted} times (polled)")


# --- the report ------------------------------------------------------------------------------

HEADER = [
    "events",
    "pm4py load+format+perf-DFG s",
    "pm4py peak MB",
    "handoff analysis s",
    "speed-up vs pm4py",
    "analysis peak MB",
    "mined map s",
    "import SQLite events/s",
    "import PostgreSQL events/s",
]
RIGHT = set(range(len(HEADER)))


def row_cells(r: SizeResult) -> list[str]:
    pm4py, analysis = r.get("pm4py"), r.get("analysis")
    speedup = "n/a"
    if pm4py.ok and analysis.ok:
        assert pm4py.seconds is not None and analysis.seconds is not None
        speedup = f"{pm4py.seconds / analysis.seconds:.2f}x"

    def peak(m: Measure) -> str:
        return f"{m.peak_mb:,.0f}" if m.ok and m.peak_mb is not None else m.cell(str)

    return [
        f"{r.size:,}",
        pm4py.cell(lambda s: f"{s:.2f}"),
        peak(pm4py),
        analysis.cell(lambda s: f"{s:.2f}"),
        speedup,
        peak(analysis),
        r.get("map").cell(lambda s: f"{s:.2f}"),
        r.get("sqlite").cell(lambda s: f"{r.size / s:,.0f}"),
        r.get("postgresql").cell(lambda s: f"{r.size / s:,.0f}"),
    ]


def size_targets(results: list[SizeResult]) -> list[Target]:
    by = {r.size: r for r in results}
    speed = Target(
        f"full analysis of {SPEEDUP_SIZE:,} events at least {SPEEDUP:g}x faster than pm4py's "
        "load + format + performance DFG"
    )
    if (r := by.get(SPEEDUP_SIZE)) and r.get("pm4py").ok and r.get("analysis").ok:
        pm4py_s, analysis_s = r.get("pm4py").seconds, r.get("analysis").seconds
        assert pm4py_s is not None and analysis_s is not None
        ratio = pm4py_s / analysis_s
        speed.measured = f"{ratio:.2f}x ({analysis_s:.2f} s against {pm4py_s:.2f} s)"
        speed.verdict = judge(
            ratio >= SPEEDUP,
            f"{SPEEDUP / ratio:.2f}x too slow: the analysis would need {pm4py_s / SPEEDUP:.2f} s",
        )
    elif r:
        speed.measured = "n/a (a step failed: see the notes)"
    else:
        speed.measured = f"not measured (--sizes lacks {SPEEDUP_SIZE:,})"
    memory = Target(f"{PEAK_SIZE:,} events analysed with a peak RSS under {PEAK_MB / 1024:g} GiB")
    if (r := by.get(PEAK_SIZE)) and r.get("analysis").ok:
        peak = r.get("analysis").peak_mb
        assert peak is not None
        memory.measured = f"{peak:,.0f} MB"
        memory.verdict = judge(peak < PEAK_MB, f"{peak / PEAK_MB:.1f}x the limit")
    elif r:
        memory.measured = r.get("analysis").problem or "n/a"
    else:
        memory.measured = f"not measured (--sizes lacks {PEAK_SIZE:,})"
    return [speed, memory]


def target_rows(targets: list[Target]) -> list[list[str]]:
    return [[t.name, t.measured, t.verdict] for t in targets]


def notes_of(results: list[SizeResult], targets: list[Target], extra: list[str]) -> list[str]:
    out = list(extra)
    for r in results:
        for step, m in r.steps.items():
            text = "; ".join(x for x in (m.problem, m.detail) if x)
            peak = f"peak {m.peak_mb:,.0f} MB; " if m.peak_mb and m.ok else ""
            seconds = f"{m.seconds:.2f} s, " if m.seconds and m.ok else ""
            out.append(f"{r.size:,} {step}: {seconds}{peak}{text}")
    for t in targets:
        out += [f"{t.name}: {n}" for n in t.notes]
    return out


EXPLAINED = (
    "Columns: pm4py load+format+perf-DFG s is the wall time of one process running "
    "pandas.read_csv + pm4py.format_dataframe + pm4py.discover_performance_dfg (interpreter "
    "start and imports included); handoff analysis s is `handoff analyze FILE --json` (the "
    "complete analysis document, checked: it parses and log.rows_read equals the size); "
    "speed-up is pm4py's seconds over handoff's; peak MB is that process's own peak RSS in "
    "MiB; mined map s is `handoff map FILE -o map.svg` (read, mine, draw at most 200 edges); "
    "import events/s is the size over the wall time of `handoff import-log FILE` into a fresh "
    "SQLite file or a fresh PostgreSQL database (fsync=off, as in the tests), checked: every "
    "row stored or dropped as an exact duplicate. n/a: the step failed (reason in the notes); "
    "skipped: not run (reason in the notes)."
)


def report(
    results: list[SizeResult], targets: list[Target], extra: list[str], started: float
) -> tuple[str, str]:
    """The text printed and the Markdown of RESULTS.md."""
    rows = [row_cells(r) for r in results]
    trows = target_rows(targets)
    theader = ["target", "measured", "verdict"]
    text = "\n".join(
        [
            common.text_table(HEADER, rows, RIGHT),
            "",
            common.text_table(theader, trows, set()),
            "",
            *[f"- {n}" for n in notes_of(results, targets, extra)],
        ]
    )
    minutes = (time.perf_counter() - started) / 60
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    argv = " ".join(sys.argv[1:])
    markdown = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Measured {when} with `python benchmarks/bench.py {argv}`".rstrip()
            + f" (`make bench` runs it), {minutes:.1f} minutes in all.",
            "",
            f"Machine: {common.machine(POSTGRES.version)}.",
            "",
            markdown_escape(common.markdown_table(HEADER, rows, RIGHT)),
            "",
            markdown_escape(common.markdown_table(theader, trows, set())),
            "",
            EXPLAINED,
            "",
            "Notes:",
            "",
            *[f"- {n}" for n in notes_of(results, targets, extra)],
            "",
        ]
    )
    return text, markdown


def markdown_escape(table: str) -> str:
    """Keep the table's shape when a cell holds a backslash (no cell holds a '|')."""
    return table.replace("\\", "\\\\")


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--pm4py-child"]:
        pm4py_child(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    count = common.generate_log._count
    parser.add_argument(
        "--sizes", nargs="+", type=count, help="event counts (default: 100k 1M 5M 20M)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="sizes 100k and 1M, /health during a 1M analysis"
    )
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--api-size", type=count, default=1_000_000, help="stored log for api")
    parser.add_argument("--health-size", type=count, help="stored log for health (default 5M)")
    parser.add_argument("--map-size", type=count, default=1_000_000, help="events of map300's log")
    parser.add_argument("--requests", type=int, default=50, help="cached analysis requests")
    parser.add_argument("--health-every", type=float, default=25, help="ms between /health polls")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument(
        "--out", type=Path, default=common.BENCHMARKS / "out", help="cache of generated logs"
    )
    parser.add_argument(
        "--results", type=Path, default=common.BENCHMARKS / "RESULTS.md", help="file to rewrite"
    )
    parser.add_argument("--no-results", action="store_true", help="only print")
    args = parser.parse_args(argv)
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.health_size = args.health_size or (1_000_000 if args.quick else 5_000_000)

    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=args.out, prefix="scratch-"))
    extra = [common.load("at the start")]
    loads: list[float] = []
    results: list[SizeResult] = []
    targets: list[Target] = []
    print(extra[0], flush=True)
    try:
        for size in sorted(args.sizes) if set(args.steps) & set(SIZE_STEPS) else []:
            path, note = common.log_file(args.out, size, args.seed)
            extra.append(note)
            print(note, flush=True)
            common.warm(path)
            result = SizeResult(size)
            results.append(result)
            for step in (s for s in SIZE_STEPS if s in args.steps):
                loads.append(os.getloadavg()[0])
                skip = too_big(step, size, results)
                try:
                    measure = (
                        Measure(problem=skip)
                        if skip
                        else RUNNERS[step](size, path, scratch, args.timeout)
                    )
                except FileNotFoundError as error:
                    measure = Measure(problem=f"n/a ({error})")
                result.steps[step] = measure
                shown = (
                    f"{measure.seconds:.2f} s, peak {measure.peak_mb:,.0f} MB"
                    if measure.ok and measure.peak_mb is not None
                    else measure.problem
                )
                print(f"{size:>12,}  {step:<11} {shown}", flush=True)
        POSTGRES.stop()
        loads.append(os.getloadavg()[0])
        targets = size_targets(results) if set(args.steps) & {"pm4py", "analysis"} else []
        targets += server_steps(args, scratch, extra)
        loads.append(os.getloadavg()[0])
    finally:
        POSTGRES.stop()
        for leftover in sorted(scratch.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() or leftover.is_symlink() else leftover.rmdir()
        scratch.rmdir()
    extra.insert(
        1,
        common.load("at the end") + f"; highest seen before a step: {max(loads, default=0):.2f}",
    )
    text, markdown = report(results, targets, extra, started)
    print()
    print(text)
    if not args.no_results:
        common.write_results(args.results, markdown)
        shown = args.results.resolve()
        print(f"\nwrote {shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}")
    print(f"{(time.perf_counter() - started) / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
