"""The dependency audit's verdict (.ci/audit.py) on canned pip-audit reports: a known
vulnerability fails; packages that could not be audited warn with their numbers, and fail
when strict; a clean report passes; pip-audit failing before any report is never a pass
in silence."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ci_audit"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


audit = _load()

EDITABLE = {"name": "handoff", "skip_reason": "distribution marked as editable"}
CLEAN = {
    "dependencies": [
        EDITABLE,
        {"name": "litestar", "version": "2.25.0", "vulns": []},
        {"name": "lxml", "version": "6.1.0", "vulns": []},
        {"name": "pyyaml", "version": "6.0.3", "vulns": []},
    ],
    "fixes": [],
}
VULNERABLE = {
    "dependencies": [
        EDITABLE,
        {"name": "litestar", "version": "2.25.0", "vulns": []},
        {
            "name": "jinja2",
            "version": "3.1.2",
            "vulns": [
                {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": []},
                {"id": "PYSEC-2024-139", "fix_versions": [], "aliases": []},
            ],
        },
    ],
    "fixes": [],
}
MIRROR = {  # what this machine's PyPI mirror gives: no per-version JSON, every one skipped
    "dependencies": [EDITABLE]
    + [
        {
            "name": name,
            "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)",
        }
        for name in ("alembic", "anyio", "litestar", "lxml")
    ],
    "fixes": [],
}


def test_a_clean_report_passes() -> None:
    verdict = audit.decide(CLEAN, strict=True)
    assert verdict.status == 0
    assert verdict.lines == ["No known vulnerabilities in the 3 packages audited."]


def test_a_vulnerable_package_fails_strict_or_not() -> None:
    for strict in (False, True):
        verdict = audit.decide(VULNERABLE, strict=strict)
        assert verdict.status == 1
        assert "VULNERABLE: jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in verdict.lines
        assert "VULNERABLE: jinja2 3.1.2: PYSEC-2024-139" in verdict.lines
        assert "2 known vulnerabilities in 1 of the 2 packages" in verdict.lines[-1]


def test_packages_not_audited_warn_with_the_numbers_and_fail_when_strict() -> None:
    lenient = audit.decide(MIRROR, strict=False)
    assert lenient.status == 0 and len(lenient.lines) == 1
    line = lenient.lines[0]
    assert line.startswith("WARNING: 4 of 4 packages were not audited, because the ")
    assert "vulnerability service did not answer" in line and "and 3 more" in line
    assert "No known vulnerabilities" not in line
    strict = audit.decide(MIRROR, strict=True)
    assert strict.status == 1 and strict.lines[0].startswith("FAILED: 4 of 4 packages")


def test_some_audited_some_not_and_a_vulnerability() -> None:
    mixed = {"dependencies": VULNERABLE["dependencies"] + MIRROR["dependencies"][1:2]}
    verdict = audit.decide(mixed, strict=False)
    assert verdict.status == 1  # the vulnerability fails even when not strict
    assert any(line.startswith("WARNING: 1 of 3 packages were not") for line in verdict.lines)
    partial = {"dependencies": CLEAN["dependencies"] + MIRROR["dependencies"][1:2]}
    assert audit.decide(partial, strict=False).status == 0
    assert audit.decide(partial, strict=True).status == 1


def test_an_empty_report_is_not_a_pass_in_silence() -> None:
    assert audit.decide({"dependencies": [EDITABLE]}, strict=True).status == 1
    lenient = audit.decide({"dependencies": []}, strict=False)
    assert lenient.status == 0 and lenient.lines[0].startswith("WARNING: pip-audit listed no")


def _runner(stdout: str, stderr: str = "", status: int = 0) -> Any:
    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        assert command[0] == sys.executable and "--skip-editable" in command
        assert command[command.index("--format") + 1] == "json"
        return subprocess.CompletedProcess(command, status, stdout, stderr)

    return run


def test_main_reads_pip_audit_and_the_strict_switch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HANDOFF_AUDIT_STRICT", raising=False)
    assert audit.main([], _runner(json.dumps(CLEAN))) == 0
    assert "No known vulnerabilities in the 3" in capsys.readouterr().out
    assert audit.main([], _runner(json.dumps(VULNERABLE), status=1)) == 1
    assert "GHSA-h5c8-rqwp-cp95" in capsys.readouterr().err
    assert audit.main([], _runner(json.dumps(MIRROR))) == 0
    assert "4 of 4 packages were not audited" in capsys.readouterr().err
    assert audit.main(["--strict"], _runner(json.dumps(MIRROR))) == 1
    monkeypatch.setenv("HANDOFF_AUDIT_STRICT", "1")
    assert audit.main([], _runner(json.dumps(MIRROR))) == 1
    assert "FAILED: 4 of 4" in capsys.readouterr().err


def test_pip_audit_failing_without_a_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HANDOFF_AUDIT_STRICT", raising=False)
    crash = _runner("", "Traceback ...\nrequests.exceptions.ConnectionError: api.osv.dev", 1)
    assert audit.main([], crash) == 0
    assert "WARNING: pip-audit failed before auditing anything" in capsys.readouterr().err
    assert audit.main(["--strict"], crash) == 1
    missing = _runner("", "/x/python: No module named pip_audit", 1)
    assert audit.main([], missing) == 2

    def timeout(command: list[str]) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(command, 600)

    assert audit.main(["--strict"], timeout) == 1
    assert "no answer within 600 s" in capsys.readouterr().err
