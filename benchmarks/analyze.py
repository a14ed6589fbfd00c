#!/usr/bin/env python3
"""Event-log analysis benchmark: plain pm4py's performance DFG against `handoff analyze --json`.

    python benchmarks/analyze.py [--sizes 100000 1000000 5000000] [--out benchmarks/out]

For each size it takes the CSV that benchmarks/import.py uses (generated once by
benchmarks/generate_log.py, cached in --out), then runs every step in its own process and
measures wall seconds and peak RSS (os.wait4 of that process, so each figure is that run's
own peak):

- pm4py: ``pandas.read_csv`` + ``pm4py.format_dataframe`` + ``pm4py.discover_performance_dfg``
  (the baseline: one directly-follows graph with waits);
- handoff: ``handoff analyze FILE --json`` (the complete analysis document: handoffs,
  ping-pong, rework, duplicates, variants, workload, bottlenecks), stdout to a file, with
  ``HANDOFF_DATA_DIR`` in a scratch folder; the document must parse and its
  ``log.rows_read`` must equal the size.

It prints one table and writes it under "## Analysis" in benchmarks/RESULTS.md (replacing
the section from an earlier run, leaving "## Import" alone). A step that fails (e.g. while
the analysis is being changed) is reported as "not available" with the last line of its
stderr; a missed target is printed as MISSED; the script itself still exits 0.

The plumbing (child processes, the cached logs, the machine line, the table) is import.py's,
imported from it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

# `import` is a keyword, so import.py is loaded by name; it puts generate_log on the path.
bench: Any = importlib.import_module("import")
generate_log: Any = bench.generate_log

STEPS = ("pm4py", "handoff")
STEP_LABELS = {"pm4py": "plain pm4py", "handoff": "handoff analyze"}
# import.py's cells() and notes() name the steps through its STEP_LABELS.
bench.STEP_LABELS.update(STEP_LABELS)

TARGET_RATIO_SIZE = 1_000_000  # the size the seconds target is stated for
TARGET_RATIO = 0.5  # handoff's complete document in <= 0.5x plain pm4py's seconds
TARGET_PEAK_SIZE = 5_000_000  # the size the memory target is stated for
TARGET_PEAK_MB = 3 * 1024  # peak RSS under 3 GiB
DEFAULT_SIZES = [100_000, 1_000_000, 5_000_000]
DEFAULT_RESULTS = BENCHMARKS / "RESULTS.md"
SECTION = "## Analysis"


@dataclass
class Row(bench.Row):
    """One line of the results table; `checked` is False when handoff's document failed a check."""

    checked: bool = True


# --- the steps -------------------------------------------------------------------------------


def pm4py_child(path: str) -> None:
    """Child process of the pm4py step: load, format, DFG; print figures as JSON (last line)."""
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
    dfg, start_activities, end_activities = pm4py.discover_performance_dfg(df)
    discovered = time.perf_counter()
    figures = {
        "import_s": imported - started,
        "read_s": read - imported,
        "format_s": formatted - read,
        "dfg_s": discovered - formatted,
        "rows": len(df),
        "cases": int(df["case:concept:name"].nunique()),
        "activities": int(df["concept:name"].nunique()),
        "edges": len(dfg),
        "start_activities": len(start_activities),
        "end_activities": len(end_activities),
    }
    print(json.dumps(figures))


def step_pm4py(row: Row, path: Path, timeout: float) -> None:
    run = bench.run_child([sys.executable, __file__, "--pm4py-child", str(path)], timeout=timeout)
    if run.returncode != 0:
        row.notes.append(f"not available ({bench.failure(run)})")
        return
    row.seconds, row.peak_mb = run.seconds, run.peak_mb
    try:
        f = json.loads(run.last_line("stdout"))
        row.notes.append(
            f"import pandas+pm4py {f['import_s']:.1f} s, read_csv {f['read_s']:.1f} s, "
            f"format_dataframe {f['format_s']:.1f} s, discover_performance_dfg "
            f"{f['dfg_s']:.1f} s; {f['rows']:,} rows, {f['cases']:,} cases, "
            f"{f['activities']} activities, {f['edges']:,} DFG edges"
        )
    except (ValueError, KeyError, TypeError):
        row.notes.append(f"unexpected output: {run.last_line('stdout')!r}")
        return
    if f["rows"] != row.size:
        row.notes.append(f"WARNING: pm4py kept {f['rows']:,} of {row.size:,} rows")


def figure(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else repr(value)


def count(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    return f"{len(value):,}" if isinstance(value, list) else "missing"


def step_handoff(row: Row, path: Path, scratch: Path, timeout: float) -> None:
    executable = bench.handoff_executable()
    if executable is None:
        row.notes.append("not available (no handoff command in .venv/bin: run `make run` first)")
        return
    with tempfile.TemporaryDirectory(dir=scratch, prefix="analyze-") as directory:
        env = {**os.environ, "HANDOFF_DATA_DIR": str(Path(directory) / "data")}
        # run_child sends stdout to a temporary file; the document is read after the exit.
        command = [str(executable), "analyze", str(path), "--json"]
        run = bench.run_child(command, env=env, timeout=timeout)
    if run.returncode != 0:
        row.notes.append(f"not available ({bench.failure(run)})")
        return
    try:
        document = json.loads(run.stdout)
    except ValueError as error:
        row.notes.append(f"not available (exit 0 but stdout is not a JSON document: {error})")
        return
    if not isinstance(document, dict) or not isinstance(document.get("log"), dict):
        row.notes.append("not available (exit 0 but the document has no `log` object)")
        return
    row.seconds, row.peak_mb = run.seconds, run.peak_mb
    log = document["log"]
    rows_read = log.get("rows_read")
    row.notes.append(
        f"document {len(run.stdout.encode()) / 1e3:,.0f} kB, {len(document)} sections; "
        f"rows_read {figure(rows_read)}, {figure(log.get('events'))} events after "
        f"{figure(log.get('exact_duplicate_rows_dropped'))} exact duplicate rows dropped, "
        f"{figure(log.get('cases'))} cases, {figure(log.get('activities'))} activities; "
        f"{count(document, 'handoffs')} handoffs, {count(document, 'variants')} variants"
    )
    missing = [k for k in ("handoffs", "variants") if not isinstance(document.get(k), list)]
    if rows_read != row.size or missing:
        row.checked = False
        if rows_read != row.size:
            row.notes.append(f"WARNING: log.rows_read is {rows_read!r}, not {row.size:,}")
        if missing:
            row.notes.append(f"WARNING: the document lacks {', '.join(missing)}")


# --- targets, RESULTS.md ---------------------------------------------------------------------


def mib(mb: float) -> str:
    return f"{mb / 1024:g} GiB"


def verdicts(r: Row) -> tuple[str, str]:
    """The seconds and memory verdicts of a handoff row: met, MISSED or n/a."""
    if r.seconds is None or not r.checked:
        return "n/a", "n/a"
    speed = "n/a" if r.ratio is None else ("met" if r.ratio <= TARGET_RATIO else "MISSED")
    memory = "n/a" if r.peak_mb is None else ("met" if r.peak_mb < TARGET_PEAK_MB else "MISSED")
    return speed, memory


def judge(rows: list[Row]) -> None:
    """Ratios to pm4py and the targets, per size."""
    by = {(r.size, r.step): r for r in rows}
    for r in rows:
        base = by.get((r.size, "pm4py"))
        if r.step == "pm4py":
            r.ratio = 1.0 if r.seconds else None
            r.target = "baseline"
            continue
        if r.seconds and base and base.seconds:
            r.ratio = r.seconds / base.seconds
        speed, memory = verdicts(r)
        parts = [f"<= {TARGET_RATIO:g}x: {speed}", f"< {mib(TARGET_PEAK_MB)}: {memory}"]
        if r.size != TARGET_RATIO_SIZE:
            parts[0] += f" (for {TARGET_RATIO_SIZE // 1_000_000}M)"
        if r.size != TARGET_PEAK_SIZE:
            parts[1] += f" (for {TARGET_PEAK_SIZE // 1_000_000}M)"
        if not r.checked:
            parts.append("document failed its checks")
        r.target = "; ".join(parts)


def summary(rows: list[Row]) -> list[str]:
    """One line per target at the size it is stated for: met, MISSED, n/a or not measured."""
    by = {(r.size, r.step): r for r in rows}
    lines = []
    speed_row = by.get((TARGET_RATIO_SIZE, "handoff"))
    aim = (
        f"at {TARGET_RATIO_SIZE:,} events, handoff's complete document in at most "
        f"{TARGET_RATIO:g}x plain pm4py's seconds"
    )
    if speed_row is None or (TARGET_RATIO_SIZE, "pm4py") not in by:
        lines.append(f"{aim}: not measured (run --sizes {TARGET_RATIO_SIZE})")
    else:
        speed, _ = verdicts(speed_row)
        shown = f" ({speed_row.ratio:.2f}x)" if speed_row.ratio is not None else ""
        lines.append(f"{aim}: {speed}{shown}")
    peak_row = by.get((TARGET_PEAK_SIZE, "handoff"))
    aim = f"at {TARGET_PEAK_SIZE:,} events, handoff's peak RSS under {mib(TARGET_PEAK_MB)}"
    if peak_row is None:
        lines.append(f"{aim}: not measured (run --sizes {TARGET_PEAK_SIZE})")
    else:
        _, memory = verdicts(peak_row)
        shown = f" ({peak_row.peak_mb:,.0f} MB)" if peak_row.peak_mb is not None else ""
        lines.append(f"{aim}: {memory}{shown}")
    return lines


def replace_section(path: Path, body: list[str]) -> None:
    """Put `body` (starting with its "## " heading) in place of that section, or at the end."""
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    lines = text.splitlines()
    if body[0] in lines:
        start = lines.index(body[0])
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = body
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", *body]
    path.write_text("\n".join(lines).rstrip() + "\n")


def write_results(path: Path, rows: list[Row], extra: list[str], argv: list[str]) -> None:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        SECTION,
        "",
        f"Measured {when} with `python benchmarks/analyze.py {' '.join(argv)}`".rstrip() + ".",
        "",
        f"Machine: {bench.machine('')}, handoff {bench.version('handoff')}.",
        "",
        bench.markdown_table(rows),
        "",
        "Targets: " + "; ".join(summary(rows)) + ".",
        "",
        "Plain pm4py is pandas.read_csv + pm4py.format_dataframe + "
        "pm4py.discover_performance_dfg (one directly-follows graph with waits); handoff is "
        "`handoff analyze FILE --json`, the complete analysis document. Seconds are wall time "
        "of the whole command (interpreter start, imports, work); peak MB is the command's "
        "own peak RSS in MiB; events/s is the size divided by the seconds.",
        "",
        "Notes:",
        "",
        *[f"- {n}" for n in bench.notes(rows, extra)],
        "",
    ]
    replace_section(path, body)


# --- main ------------------------------------------------------------------------------------


def measure(step: str, size: int, path: Path, scratch: Path, args: argparse.Namespace) -> Row:
    """The fastest of --repeat runs of one step (the first failure ends the repeats)."""
    best: Row | None = None
    for _ in range(max(1, args.repeat)):
        row = Row(size, step)
        if step == "pm4py":
            step_pm4py(row, path, args.timeout)
        else:
            step_handoff(row, path, scratch, args.timeout)
        if row.seconds is None:
            return best or row
        if best is None or row.seconds < best.seconds:
            best = row
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--pm4py-child"]:
        pm4py_child(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench.add_common_arguments(parser, list(DEFAULT_SIZES), tuple(STEPS))
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=args.out, prefix="scratch-"))
    rows: list[Row] = []
    extra: list[str] = [bench.load()]
    try:
        for size in args.sizes:
            path, generated = bench.log_file(args.out, size, args.seed)
            extra.append(generated or f"{path.name}: cached")
            print(extra[-1], flush=True)
            bench.warm(path)
            for step in args.steps:
                best = measure(step, size, path, scratch, args)
                rows.append(best)
                shown = f"{best.seconds:.2f} s, peak {best.peak_mb:,.0f} MB" if best.seconds else ""
                print(f"{size:>12,}  {STEP_LABELS[step]:<20} {shown or best.notes[-1]}", flush=True)
    finally:
        for leftover in sorted(scratch.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        scratch.rmdir()

    judge(rows)
    print()
    print(bench.text_table(rows))
    print()
    for line in summary(rows):
        print(f"Target {line}")
    for note in bench.notes(rows, extra):
        print(f"- {note}")
    if not args.no_results:
        write_results(args.results, rows, extra, argv)
        shown = args.results.resolve()
        print(f"\nwrote {shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
