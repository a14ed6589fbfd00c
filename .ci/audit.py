#!/usr/bin/env python3
"""Dependency audit: pip-audit on the virtual environment this runs in (the project
itself, installed editable, left out), with a verdict that never passes in silence.

- A package with a known vulnerability fails the audit (exit 1), listing each one.
- A package pip-audit could not check (the vulnerability service did not answer for it,
  as with a PyPI mirror that serves no per-version JSON, or no network) is a warning
  naming how many of how many were not audited; with ``HANDOFF_AUDIT_STRICT=1`` (``make
  audit``) it fails too. pip-audit itself reports such packages as skipped and then says
  "No known vulnerabilities found", which is why its own exit status is not enough.

Run as ``.venv/bin/python .ci/audit.py [--strict]``; ``make lint`` runs it, ``make audit``
runs it strictly.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

EDITABLE = "distribution marked as editable"
TIMEOUT_S = 600
PIP_AUDIT = [
    "-m", "pip_audit", "--local", "--skip-editable", "--format", "json",
    "--progress-spinner", "off", "--timeout", "20",
]  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """The exit status and the lines to print."""

    status: int
    lines: list[str] = field(default_factory=list)


def decide(report: dict[str, Any] | None, *, strict: bool, failure: str = "") -> Verdict:
    """The verdict on pip-audit's JSON report (None: pip-audit printed none).

    Args:
        report: ``{"dependencies": [{"name", "version", "vulns": [...]} or {"name",
            "skip_reason"}], "fixes": [...]}`` as ``pip-audit --format json`` writes it.
        strict: packages that could not be audited fail the audit.
        failure: why pip-audit printed no report (its last line of errors).
    """
    if report is None:
        return _unaudited(
            strict,
            f"pip-audit failed before auditing anything ({failure or 'no report'}); no "
            "package was audited.",
        )
    dependencies = [d for d in report.get("dependencies", []) if d.get("skip_reason") != EDITABLE]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    lines = [
        f"VULNERABLE: {d['name']} {d.get('version', '?')}: {v.get('id', '?')}"
        + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
        for d in vulnerable
        for v in d["vulns"]
    ]
    total, audited = len(dependencies), len(dependencies) - len(skipped)
    if vulnerable:
        count = len(lines)
        lines.append(
            f"{count} known vulnerabilit{'y' if count == 1 else 'ies'} in {len(vulnerable)} "
            f"of the {total} packages: upgrade them (or pin a fixed version in pyproject.toml)."
        )
    if not dependencies:
        return _unaudited(strict, "pip-audit listed no package at all; nothing was audited.")
    if skipped:
        reason = str(skipped[0].get("skip_reason", ""))
        warning = _unaudited(
            strict,
            f"{len(skipped)} of {total} packages were not audited, because the vulnerability "
            f"service did not answer for them (pip-audit: {reason!r}"
            + (f" and {len(skipped) - 1} more" if len(skipped) > 1 else "")
            + ").",
        )
        return Verdict(max(warning.status, 1 if vulnerable else 0), lines + warning.lines)
    if not vulnerable:
        lines.append(f"No known vulnerabilities in the {audited} packages audited.")
    return Verdict(1 if vulnerable else 0, lines)


def _unaudited(strict: bool, sentence: str) -> Verdict:
    if strict:
        return Verdict(1, [f"FAILED: {sentence} (HANDOFF_AUDIT_STRICT=1)"])
    note = "The audit is incomplete; `make audit` fails on this."
    return Verdict(0, [f"WARNING: {sentence} {note}"])


Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def audit(strict: bool, run: Runner = _run) -> Verdict:
    """Run pip-audit with this interpreter (so on this virtual environment) and decide."""
    try:
        done = run([sys.executable, *PIP_AUDIT])
    except subprocess.TimeoutExpired:
        return decide(None, strict=strict, failure=f"no answer within {TIMEOUT_S} s")
    except OSError as error:
        return Verdict(2, [f"pip-audit could not be started: {error}."])
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        errors = [line for line in done.stderr.splitlines() if line.strip()]
        if any("No module named pip_audit" in line for line in errors):
            return Verdict(2, ["pip-audit is not installed: pip install -e '.[test]'."])
        return decide(None, strict=strict, failure=errors[-1] if errors else "")
    if not isinstance(report, dict):
        return decide(None, strict=strict, failure="its report is not a JSON object")
    return decide(report, strict=strict)


def main(argv: Sequence[str] | None = None, run: Runner = _run) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--strict",
        action="store_true",
        default=os.environ.get("HANDOFF_AUDIT_STRICT", "") == "1",
        help="fail when a package could not be audited (also HANDOFF_AUDIT_STRICT=1)",
    )
    args = parser.parse_args(argv)
    verdict = audit(args.strict, run)
    for line in verdict.lines:
        loud = verdict.status or line.startswith(("WARNING", "FAILED", "VULNERABLE"))
        print(f"audit: {line}", file=sys.stderr if loud else sys.stdout)
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
