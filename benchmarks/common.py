"""Plumbing of the benchmark driver (benchmarks/bench.py): child processes, logs, machine.

- ``run_child``: one command to completion, its wall seconds and its own peak RSS (from
  ``os.wait4``, so every run reports its own peak, children included);
- ``log_file``: the cached generated CSV for a size (benchmarks/out/, generated once);
- ``PostgresServer``: the test suite's throw-away PostgreSQL cluster, one database per run;
- ``machine``, ``load``: the description of the machine and how busy it was;
- ``text_table``, ``markdown_table``: rows of cells as aligned text or Markdown.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
for _path in (BENCHMARKS, ROOT):  # generate_log, tests.postgres and the app package
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import generate_log  # noqa: E402

__all__ = [
    "BENCHMARKS",
    "ROOT",
    "PostgresServer",
    "Run",
    "failure",
    "free_port",
    "generate_log",
    "handoff_executable",
    "load",
    "log_file",
    "machine",
    "markdown_table",
    "run_child",
    "text_table",
    "warm",
]


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
    """Why a run does not count: its timeout, or its exit status and last line of stderr."""
    if run.timed_out:
        return f"timed out after {run.seconds:.0f} s"
    return f"exit {run.returncode}: {run.last_line('stderr') or '(no stderr)'}"


def handoff_executable() -> Path | None:
    for candidate in (ROOT / ".venv" / "bin" / "handoff", Path(sys.executable).parent / "handoff"):
        if candidate.exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the log files ---------------------------------------------------------------------------


def log_file(
    out: Path, size: int, seed: int, activities: int = generate_log.BASE_ACTIVITIES
) -> tuple[Path, str]:
    """The cached CSV for a size (generated in a child process when missing), and a note.

    Raises:
        SystemExit: the generator failed.
    """
    extra = "" if activities == generate_log.BASE_ACTIVITIES else f"-a{activities}"
    path = out / f"municipal-{size}-seed{seed}{extra}-v{generate_log.VERSION}.csv"
    if path.exists():
        return path, f"{path.name}: cached"
    partial = path.with_name(path.name + f".{os.getpid()}.partial")
    command = [sys.executable, str(BENCHMARKS / "generate_log.py"), "--events", str(size)]
    command += ["--seed", str(seed), "--activities", str(activities), "-o", str(partial)]
    run = run_child(command)
    if run.returncode != 0:
        partial.unlink(missing_ok=True)
        raise SystemExit(f"generating {path.name} failed: {failure(run)}")
    partial.replace(path)
    return path, (
        f"generated {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in {run.seconds:.1f} s "
        f"({size / run.seconds:,.0f} events/s), peak {run.peak_mb:,.0f} MB"
    )


def warm(path: Path) -> None:
    """Read the file once so that every step finds it in the page cache."""
    with path.open("rb") as f:
        while f.read(1 << 23):
            pass


# --- PostgreSQL ------------------------------------------------------------------------------


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
        """A fresh database, dropped afterwards; yields its URL."""
        self._runs += 1
        name = f"bench_{size}_{self._runs}"
        with self.connect("postgres") as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            c = self.cluster
            yield f"postgresql+psycopg://{c.user}@{c.host}:{c.port}/{name}"
        finally:
            with self.connect("postgres") as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.cluster:
            self.cluster.stop()
            self.cluster = None


# --- the machine -----------------------------------------------------------------------------


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load(when: str = "at the start") -> str:
    """The 1-minute load average: other work running skews the figures."""
    one = os.getloadavg()[0]
    busy = " (other work was running: the figures may be off)" if one > 0.5 * cpus() else ""
    return f"1-minute load average {when}: {one:.2f}{busy}"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def graphviz_version() -> str:
    run = run_child(["dot", "-V"], timeout=30)
    text = (run.stderr or run.stdout).strip()
    return text.split("version", 1)[-1].split("(")[0].strip() if run.returncode == 0 else "?"


def machine(postgres_version: str = "") -> str:
    """CPUs, RAM, kernel and the versions that matter, on one line."""
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
    parts = [
        f"{cpus()} CPUs (nproc), {model}",
        f"{kib / 1024**2:.1f} GiB RAM",
        f"Linux {platform.release()}",
        f"Python {platform.python_version()}",
        f"handoff {version('handoff')}",
        f"polars {version('polars')}",
        f"pandas {version('pandas')}",
        f"pm4py {version('pm4py')}",
        f"SQLite {sqlite3.sqlite_version}",
        f"graphviz (dot) {graphviz_version()}",
    ]
    if postgres_version:
        parts.append(f"PostgreSQL {postgres_version} (test cluster: fsync=off)")
    return ", ".join(parts)


# --- tables ----------------------------------------------------------------------------------


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Rows of cells as an aligned plain-text table (columns in `right` right-aligned)."""
    table = [list(header), *[list(r) for r in rows]]
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


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Rows of cells as a Markdown table (columns in `right` right-aligned)."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
