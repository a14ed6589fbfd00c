"""Plumbing of the benchmark scripts (bench.py, load.py): child processes, logs, servers, machine.

- ``run_child``: one command to completion, its wall seconds and its own peak RSS (from
  ``os.wait4``, so every run reports its own peak, children included);
- ``log_file``: the cached generated CSV for a size (benchmarks/out/, generated once);
- ``PostgresServer``: the test suite's throw-away PostgreSQL cluster, one database per run;
- ``Server``: ``handoff serve`` on a free port with its own data folder, its peak RSS at stop;
- ``write_results``, ``write_section``: RESULTS.md, bench.py's text and the marked sections of
  the other scripts, so that neither clobbers the other;
- ``machine``, ``load``: the description of the machine and how busy it was;
- ``text_table``, ``markdown_table``: rows of cells as aligned text or Markdown.
"""

from __future__ import annotations

import http.client
import math
import os
import platform
import re
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
    "Reply",
    "Run",
    "Server",
    "failure",
    "free_port",
    "generate_log",
    "handoff",
    "handoff_env",
    "handoff_executable",
    "load",
    "log_file",
    "machine",
    "markdown_table",
    "percentile",
    "run_child",
    "section",
    "text_table",
    "warm",
    "write_results",
    "write_section",
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


# --- a running server ------------------------------------------------------------------------


def handoff(*arguments: str) -> list[str]:
    """The `handoff` command with its arguments.

    Raises:
        FileNotFoundError: no `handoff` in .venv/bin.
    """
    executable = handoff_executable()
    if executable is None:
        raise FileNotFoundError("no handoff command in .venv/bin: run `make run` first")
    return [str(executable), *arguments]


def handoff_env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of a `handoff` child: its own data folder, no samples, SQLite or URL."""
    env = {**os.environ, "HANDOFF_DATA_DIR": str(data_dir), "HANDOFF_LOAD_SAMPLES": "false"}
    if database_url:
        env["HANDOFF_DATABASE_URL"] = database_url
    else:
        env.pop("HANDOFF_DATABASE_URL", None)
    return env


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float


class Server:
    """`handoff serve` on a free port with its own data folder (by default SQLite, no samples:
    `handoff_env`; pass `env` for anything else). Its console goes to ``serve.log`` next to
    the data folder."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = env if env is not None else handoff_env(data_dir)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / "serve.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> str:
        """Start and wait for /health; '' or why it did not come up."""
        command = handoff("serve", "--host", "127.0.0.1", "--port", str(self.port))
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"handoff serve exited with {self.process.returncode}: {self.last_log()}"
            with suppress(OSError):
                if self.get("/health", timeout=2).status == 200:
                    return ""
            time.sleep(0.2)
        return f"handoff serve did not answer /health within {timeout:.0f} s"

    def console(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def last_log(self) -> str:
        lines = self.console().strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def get(self, path: str, timeout: float = 600) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            ms = (time.perf_counter() - started) * 1000
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, headers, body, ms)
        finally:
            connection.close()

    def when_ready(self, path: str, timeout: float) -> tuple[Reply, float, int]:
        """GET until 200: 202 answers are polled after their Retry-After.

        Returns the final reply, the seconds from the first request, and the 202s seen.

        Raises:
            RuntimeError: another status, or no 200 within the timeout.
        """
        started = time.perf_counter()
        accepted = 0
        while True:
            reply = self.get(path, timeout=timeout)
            if reply.status == 200:
                return reply, time.perf_counter() - started, accepted
            if reply.status != 202:
                raise RuntimeError(f"{path} answered {reply.status}: {reply.body[:200]!r}")
            accepted += 1
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{path} still 202 after {timeout:.0f} s")
            try:
                wait = float(reply.headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
            time.sleep(min(max(wait, 0.1), 5.0))

    def stop(self) -> float | None:
        """Stop the server; its peak RSS in MiB, the processes it started included."""
        if self.process is None or self.process.returncode is not None:
            return None
        pid = self.process.pid
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                self.process.kill()
                _, status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.1)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return usage.ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


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


# --- RESULTS.md ------------------------------------------------------------------------------
# bench.py owns the file's unmarked text and rewrites it whole; other scripts (load.py) own a
# marked section each, which they rewrite alone and which bench.py carries over.

_SECTION = re.compile(
    r"<!-- section (?P<name>[\w.-]+)[^>]*-->\n.*?<!-- end of section (?P=name) -->\n?", re.S
)


def section(name: str, markdown: str) -> str:
    """`markdown` between the markers of section `name`."""
    return (
        f"<!-- section {name}: written by benchmarks/{name}.py, kept by bench.py -->\n"
        f"{markdown.rstrip()}\n<!-- end of section {name} -->\n"
    )


def write_results(path: Path, markdown: str) -> None:
    """Rewrite the file with `markdown`, keeping every marked section already in it."""
    old = path.read_text() if path.exists() else ""
    kept = [m.group(0) for m in _SECTION.finditer(old)]
    path.write_text("\n".join([markdown.rstrip() + "\n", *kept]))


def write_section(path: Path, name: str, markdown: str) -> None:
    """Replace section `name` of the file (append it when missing); leave the rest alone."""
    old = path.read_text() if path.exists() else ""
    new = section(name, markdown)
    for m in _SECTION.finditer(old):
        if m.group("name") == name:
            path.write_text(old[: m.start()] + new + old[m.end() :])
            return
    path.write_text((old.rstrip() + "\n\n" if old.strip() else "") + new)


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
