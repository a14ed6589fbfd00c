#!/usr/bin/env python3
"""Event-log import benchmark: plain pm4py against `handoff import-log` into SQLite and PostgreSQL.

    python benchmarks/import.py [--sizes 100000 1000000] [--out benchmarks/out]

For each size it generates the CSV once (benchmarks/generate_log.py, cached in --out), then
runs every step in its own process and measures wall seconds and peak RSS (os.wait4 of that
process, so each figure is that run's own peak):

- pm4py: ``pandas.read_csv`` + ``pm4py.format_dataframe`` (the baseline);
- sqlite: ``handoff import-log FILE --name bench`` into a fresh SQLite file;
- postgresql: the same into a fresh database on a throw-away PostgreSQL 15 cluster
  (tests/postgres.py, started once, stopped at the end).

It prints one table and writes it under "## Import" in benchmarks/RESULTS.md (replacing the
section from an earlier run). A step that fails (e.g. before the importer exists) is reported
as "not available" with the last line of its stderr; the script itself still exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
for _path in (BENCHMARKS, ROOT):  # generate_log, and tests.postgres
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import generate_log  # noqa: E402

STEPS = ("pm4py", "sqlite", "postgresql")
STEP_LABELS = {
    "pm4py": "plain pm4py",
    "sqlite": "handoff SQLite",
    "postgresql": "handoff PostgreSQL",
}
TARGET_SIZE = 1_000_000  # the size the targets are stated for
TARGET_RATIO = 3.0  # SQLite import <= 3x plain pm4py seconds
TARGET_PEAK_MB = 1.5 * 1024  # and peak RSS < 1.5 GiB
DEFAULT_RESULTS = BENCHMARKS / "RESULTS.md"
SECTION = "## Import"


@dataclass
class Run:
    """One child process: how it ended and what it cost."""

    returncode: int
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str
    timed_out: bool = False

    def last_line(self, stream: str) -> str:
        lines = [line for line in getattr(self, stream).splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""


@dataclass
class Row:
    """One line of the results table."""

    size: int
    step: str
    seconds: float | None = None
    peak_mb: float | None = None
    ratio: float | None = None
    target: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def events_per_second(self) -> float | None:
        return self.size / self.seconds if self.seconds else None


def run_child(
    command: Sequence[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> Run:
    """Run a command to completion; wall seconds and its own peak RSS (with its children)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=out, stderr=err, env=env, cwd=ROOT, start_new_session=True
        )
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            kill()
            process.wait()
            raise
        finally:
            if timer:
                timer.cancel()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            returncode=process.returncode,
            seconds=seconds,
            peak_mb=usage.ru_maxrss / 1024,  # KiB on Linux
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            timed_out=expired.is_set(),
        )


def failure(run: Run) -> str:
    if run.timed_out:
        return f"timed out after {run.seconds:.0f} s"
    return f"exit {run.returncode}: {run.last_line('stderr') or '(no stderr)'}"


# --- the log files ---------------------------------------------------------------------------


def log_file(out: Path, size: int, seed: int) -> tuple[Path, str | None]:
    """The cached CSV for a size, generated (in a child process) when missing."""
    path = out / f"municipal-{size}-seed{seed}-v{generate_log.VERSION}.csv"
    if path.exists():
        return path, None
    partial = path.with_suffix(".partial")
    run = run_child(
        [
            sys.executable,
            str(BENCHMARKS / "generate_log.py"),
            "--events",
            str(size),
            "--seed",
            str(seed),
            "-o",
            str(partial),
        ]
    )
    if run.returncode != 0:
        partial.unlink(missing_ok=True)
        raise SystemExit(f"generating {path.name} failed: {failure(run)}")
    partial.replace(path)
    return path, (
        f"generated {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in {run.seconds:.1f} s, "
        f"peak {run.peak_mb:,.0f} MB"
    )


def warm(path: Path) -> None:
    """Read the file once so that every step finds it in the page cache."""
    with path.open("rb") as f:
        while f.read(1 << 23):
            pass


# --- the steps -------------------------------------------------------------------------------


def pm4py_child(path: str) -> None:
    """Child process of the pm4py step: load and format, print figures as JSON (last line)."""
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
    timestamps = df["time:timestamp"]
    figures = {
        "import_s": imported - started,
        "read_s": read - imported,
        "format_s": formatted - read,
        "rows": len(df),
        "cases": int(df["case:concept:name"].nunique()),
        "activities": int(df["concept:name"].nunique()),
        "timestamp_dtype": str(timestamps.dtype),
        "timestamps_missing": int(timestamps.isna().sum()),
    }
    print(json.dumps(figures))


def step_pm4py(row: Row, path: Path, timeout: float) -> None:
    run = run_child([sys.executable, __file__, "--pm4py-child", str(path)], timeout=timeout)
    if run.returncode != 0:
        row.notes.append(f"not available ({failure(run)})")
        return
    row.seconds, row.peak_mb = run.seconds, run.peak_mb
    try:
        f = json.loads(run.last_line("stdout"))
    except ValueError:
        row.notes.append(f"unexpected output: {run.last_line('stdout')!r}")
        return
    row.notes.append(
        f"import pandas+pm4py {f['import_s']:.1f} s, read_csv {f['read_s']:.1f} s, "
        f"format_dataframe {f['format_s']:.1f} s; {f['rows']:,} rows, {f['cases']:,} cases, "
        f"{f['activities']} activities, time:timestamp {f['timestamp_dtype']}, "
        f"{f['timestamps_missing']} missing"
    )
    if f["rows"] != row.size or f["timestamps_missing"]:
        row.notes.append("WARNING: pm4py dropped rows or timestamps")


def handoff_executable() -> Path | None:
    for candidate in (ROOT / ".venv" / "bin" / "handoff", Path(sys.executable).parent / "handoff"):
        if candidate.exists():
            return candidate
    return None


def run_handoff(row: Row, path: Path, url: str, data_dir: Path, timeout: float) -> str | None:
    """`handoff import-log`; the log id when it kept the contract (exit 0, id on stdout)."""
    executable = handoff_executable()
    if executable is None:
        row.notes.append("not available (no handoff command in .venv/bin: run `make run` first)")
        return None
    env = {**os.environ, "HANDOFF_DATABASE_URL": url, "HANDOFF_DATA_DIR": str(data_dir)}
    command = [str(executable), "import-log", str(path), "--name", "bench"]
    run = run_child(command, env=env, timeout=timeout)
    if run.returncode != 0:
        row.notes.append(f"not available ({failure(run)})")
        return None
    log_id = run.last_line("stdout")
    if not log_id:
        row.notes.append("not available (exit 0 but no log id on the last line of stdout)")
        return None
    row.seconds, row.peak_mb = run.seconds, run.peak_mb
    return log_id


def largest_table(counts: dict[str, int]) -> str:
    if not counts:
        return "no tables"
    name = max(counts, key=lambda k: counts[k])
    return f"largest table {name} ({counts[name]:,} rows)"


def step_sqlite(row: Row, path: Path, scratch: Path, timeout: float) -> None:
    with tempfile.TemporaryDirectory(dir=scratch, prefix="sqlite-") as directory:
        database = Path(directory) / "bench.sqlite3"
        log_id = run_handoff(row, path, f"sqlite:///{database}", Path(directory) / "data", timeout)
        if log_id is None:
            return
        row.notes.append(f"log id {log_id}")
        size = sum(p.stat().st_size for p in Path(directory).glob("bench.sqlite3*"))
        with suppress(sqlite3.Error), closing(sqlite3.connect(database)) as connection:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%'"
                )
            ]
            counts = {
                t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables
            }
            row.notes[-1] += f"; database {size / 1e6:,.0f} MB, {largest_table(counts)}"


class PostgresServer:
    """The test suite's throw-away cluster, started on first use, one database per run."""

    def __init__(self) -> None:
        self.cluster: Any = None
        self.error: str | None = None
        self.version = ""
        self._runs = 0

    def start(self) -> bool:
        if self.cluster or self.error:
            return self.cluster is not None
        from tests import postgres

        if not postgres.available():
            self.error = f"PostgreSQL 15 binaries not found under {postgres.PG_BIN}"
            return False
        try:
            self.cluster = postgres.start()
        except Exception as error:  # report, do not crash the whole benchmark
            self.error = f"PostgreSQL did not start: {str(error).strip().splitlines()[-1]}"
            return False
        with self.connect("postgres") as connection:
            self.version = str(connection.execute("SHOW server_version").fetchone()[0]).split()[0]
        return True

    def connect(self, database: str) -> Any:
        import psycopg

        c = self.cluster
        return psycopg.connect(
            f"host={c.host} port={c.port} user={c.user} dbname={database}", autocommit=True
        )

    @contextmanager
    def database(self, size: int) -> Iterator[str]:
        self._runs += 1
        name = f"bench_{size}_{self._runs}"
        with self.connect("postgres") as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            with self.connect("postgres") as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, database: str) -> str:
        c = self.cluster
        return f"postgresql+psycopg://{c.user}@{c.host}:{c.port}/{database}"

    def stop(self) -> None:
        if self.cluster:
            self.cluster.stop()
            self.cluster = None


def step_postgresql(
    row: Row, path: Path, scratch: Path, server: PostgresServer, timeout: float
) -> None:
    if not server.start():
        row.notes.append(f"not available ({server.error})")
        return
    with (
        server.database(row.size) as name,
        tempfile.TemporaryDirectory(dir=scratch, prefix="pg-") as directory,
    ):
        log_id = run_handoff(row, path, server.url(name), Path(directory) / "data", timeout)
        if log_id is None:
            return
        row.notes.append(f"log id {log_id}")
        from psycopg import sql

        with suppress(Exception), server.connect(name) as connection:
            size = connection.execute("SELECT pg_database_size(current_database())").fetchone()
            tables = connection.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_type = 'BASE TABLE'"
                " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
            ).fetchall()
            counts = {
                table: connection.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
                ).fetchone()[0]
                for schema, table in tables
            }
            row.notes[-1] += f"; database {size[0] / 1e6:,.0f} MB, {largest_table(counts)}"


# --- targets, table, RESULTS.md --------------------------------------------------------------


def judge(rows: list[Row]) -> None:
    """Ratios to pm4py and the targets, per size."""
    by = {(r.size, r.step): r for r in rows}
    for r in rows:
        base = by.get((r.size, "pm4py"))
        if r.step != "pm4py" and r.seconds and base and base.seconds:
            r.ratio = r.seconds / base.seconds
        if r.step == "pm4py":
            r.ratio = 1.0 if r.seconds else None
            r.target = "baseline"
        elif r.step == "sqlite":
            aim = f"<= {TARGET_RATIO:g}x, < {TARGET_PEAK_MB / 1024:g} GiB"
            if r.ratio is None or r.peak_mb is None:
                r.target = f"{aim}: n/a"
            else:
                ok = r.ratio <= TARGET_RATIO and r.peak_mb < TARGET_PEAK_MB
                r.target = f"{aim}: {'met' if ok else 'MISSED'}"
        elif r.step == "postgresql":
            lite = by.get((r.size, "sqlite"))
            aim = "<= SQLite s"
            if r.seconds is None or lite is None or lite.seconds is None:
                r.target = f"{aim}: n/a"
            else:
                verdict = "met" if r.seconds <= lite.seconds else "MISSED"
                r.target = f"{aim}: {verdict} ({r.seconds / lite.seconds:.2f}x SQLite)"
        if r.size != TARGET_SIZE and r.step != "pm4py":
            r.target += " (target is for 1M)"


def cells(r: Row) -> list[str]:
    def num(value: float | None, fmt: str) -> str:
        return "—" if value is None else format(value, fmt)

    return [
        f"{r.size:,}",
        STEP_LABELS[r.step] + ("" if r.seconds is not None else " (not available)"),
        num(r.seconds, ".2f"),
        num(r.events_per_second, ",.0f"),
        num(r.peak_mb, ",.0f"),
        num(r.ratio, ".2f"),
        r.target,
    ]


HEADER = ["size", "step", "seconds", "events/s", "peak MB", "ratio to pm4py", "target"]
RIGHT = {0, 2, 3, 4, 5}


def text_table(
    rows: Sequence[Any],
    header: Sequence[str] | None = None,
    right: set[int] | None = None,
    cells: Any = None,
) -> str:
    """Rows as an aligned plain-text table (this script's columns unless given)."""
    header, right, cells = header or HEADER, right or RIGHT, cells or globals()["cells"]
    table = [list(header)] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = []
    for n, line in enumerate(table):
        lines.append(
            "  ".join(
                cell.rjust(w) if i in right else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(
    rows: Sequence[Any],
    header: Sequence[str] | None = None,
    right: set[int] | None = None,
    cells: Any = None,
) -> str:
    """Rows as a Markdown table (this script's columns unless given)."""
    header, right, cells = header or HEADER, right or RIGHT, cells or globals()["cells"]
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def notes(rows: list[Row], extra: list[str]) -> list[str]:
    out = list(extra)
    for r in rows:
        out += [f"{r.size:,} {STEP_LABELS[r.step]}: {note}" for note in r.notes]
    return out


def load() -> str:
    """The 1-minute load average before the first run: other work skews the figures."""
    one = os.getloadavg()[0]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = " (other work was running: the figures may be off)" if one > 0.5 * (cpus or 1) else ""
    return f"1-minute load average at the start: {one:.2f}{busy}"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine(postgres_version: str) -> str:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    kib = next(
        (int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0
    )
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parts = [
        f"{cpus} CPUs (nproc), {model}",
        f"{kib / 1024**2:.1f} GiB RAM",
        f"Linux {platform.release()}",
        f"Python {platform.python_version()}",
        f"polars {version('polars')}",
        f"pandas {version('pandas')}",
        f"pm4py {version('pm4py')}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if postgres_version:
        parts.append(f"PostgreSQL {postgres_version} (test cluster: fsync=off)")
    return ", ".join(parts)


def write_results(path: Path, rows: list[Row], extra: list[str], argv: list[str], pg: str) -> None:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        SECTION,
        "",
        f"Measured {when} with `python benchmarks/import.py {' '.join(argv)}`".rstrip() + ".",
        "",
        f"Machine: {machine(pg)}.",
        "",
        markdown_table(rows),
        "",
        f"Targets (at {TARGET_SIZE:,} events): handoff into SQLite takes at most "
        f"{TARGET_RATIO:g}x the seconds of plain pm4py (pandas.read_csv + "
        f"pm4py.format_dataframe) with a peak RSS under {TARGET_PEAK_MB / 1024:g} GiB; "
        "into PostgreSQL it is no slower than into SQLite.",
        "",
        "Seconds are wall time of the whole command (interpreter start, imports, work); "
        "peak MB is the command's own peak RSS in MiB (the PostgreSQL server is not "
        "included); events/s is the size divided by the seconds.",
        "",
        "Notes:",
        "",
        *[f"- {n}" for n in notes(rows, extra)],
        "",
    ]
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    lines = text.splitlines()
    if SECTION in lines:
        start = lines.index(SECTION)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = body
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", *body]
    path.write_text("\n".join(lines).rstrip() + "\n")


# --- main ------------------------------------------------------------------------------------


def add_common_arguments(
    parser: argparse.ArgumentParser, default_sizes: list[int], steps: tuple[str, ...]
) -> None:
    """The options both benchmark scripts take."""
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=generate_log._count,
        default=default_sizes,
        help=f"event counts (default: {' '.join(str(s) for s in default_sizes)})",
    )
    parser.add_argument(
        "--out", type=Path, default=BENCHMARKS / "out", help="cache for CSVs and scratch files"
    )
    parser.add_argument("--steps", nargs="+", choices=steps, default=list(steps))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest counts")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, help="Markdown file to update"
    )
    parser.add_argument("--no-results", action="store_true", help="only print the table")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--pm4py-child"]:
        pm4py_child(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, [100_000, 1_000_000], STEPS)
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=args.out, prefix="scratch-"))
    server = PostgresServer()
    rows: list[Row] = []
    extra: list[str] = [load()]
    try:
        for size in args.sizes:
            path, generated = log_file(args.out, size, args.seed)
            extra.append(generated or f"{path.name}: cached")
            print(extra[-1], flush=True)
            warm(path)
            for step in args.steps:
                best: Row | None = None
                for _ in range(max(1, args.repeat)):
                    row = Row(size, step)
                    if step == "pm4py":
                        step_pm4py(row, path, args.timeout)
                    elif step == "sqlite":
                        step_sqlite(row, path, scratch, args.timeout)
                    else:
                        step_postgresql(row, path, scratch, server, args.timeout)
                    if row.seconds is None:
                        best = best or row
                        break
                    if best is None or best.seconds is None or row.seconds < best.seconds:
                        best = row
                assert best is not None
                rows.append(best)
                shown = f"{best.seconds:.2f} s, peak {best.peak_mb:,.0f} MB" if best.seconds else ""
                print(f"{size:>12,}  {STEP_LABELS[step]:<20} {shown or best.notes[-1]}", flush=True)
    finally:
        server.stop()
        for leftover in sorted(scratch.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        scratch.rmdir()

    judge(rows)
    print()
    print(text_table(rows))
    print()
    print(
        f"Targets at {TARGET_SIZE:,} events: SQLite <= {TARGET_RATIO:g}x pm4py seconds and "
        f"peak < {TARGET_PEAK_MB / 1024:g} GiB; PostgreSQL no slower than SQLite."
    )
    for note in notes(rows, extra):
        print(f"- {note}")
    if not args.no_results:
        write_results(args.results, rows, extra, argv, server.version)
        shown = args.results.resolve()
        print(f"\nwrote {shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
