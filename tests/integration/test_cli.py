"""The handoff command: processes import/export round trips, clashes and bad files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.cli import main
from app.db.engine import make_engine, migrate
from app.db.models import Flow, Process, Step
from tests.conftest import DATA, ROOT

TEST_PROCESSES = DATA / "processes"


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI reads its settings from the environment, as a user's shell would give them."""
    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(tmp_path / "data"))
    return database_url


def counts(url: str) -> tuple[int, int, int]:
    """Processes, steps and flows stored (the schema is created first if a command never ran)."""
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        result = tuple(
            session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Process, Step, Flow)
        )
    engine.dispose()
    return result  # type: ignore[return-value]


def test_import_export_round_trip_gives_identical_bytes(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["processes", "import", str(ROOT / "processes")]) == 0
    lines = capsys.readouterr().out.splitlines()
    samples = sorted((ROOT / "processes").glob("*.yaml"))
    assert [line.split()[:2] for line in lines] == [["created", p.stem] for p in samples]
    for path in samples:
        out = tmp_path / f"{path.stem}.yaml"
        assert main(["processes", "export", path.stem, "-o", str(out)]) == 0
        assert out.read_bytes() == path.read_bytes()
    # importing the exported files again changes nothing
    assert main(["processes", "import", *[str(tmp_path / f"{p.stem}.yaml") for p in samples]]) == 0
    assert all(line.startswith("unchanged") for line in capsys.readouterr().out.splitlines())


def test_export_to_stdout(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["processes", "import", str(TEST_PROCESSES / "permit.yaml")])
    capsys.readouterr()
    assert main(["processes", "export", "permit-question"]) == 0
    assert capsys.readouterr().out == (TEST_PROCESSES / "permit.yaml").read_text()


def test_a_changed_file_clashes_unless_replace(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["processes", "import", str(TEST_PROCESSES)])
    edited = tmp_path / "pothole.yaml"
    edited.write_text(
        (TEST_PROCESSES / "pothole.yaml").read_text().replace("minutes: 120", "minutes: 90")
    )
    capsys.readouterr()
    assert main(["processes", "import", str(edited)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"handoff: {edited}: process 'pothole' already exists with different content; "
        "import with --replace to overwrite it.\n"
    )
    assert main(["processes", "import", "--replace", str(edited)]) == 0
    assert capsys.readouterr().out.startswith("replaced  pothole")
    main(["processes", "export", "pothole", "-o", str(tmp_path / "out.yaml")])
    assert (tmp_path / "out.yaml").read_text() == edited.read_text()


def test_two_files_with_one_slug_are_refused(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twin = tmp_path / "twin.yaml"
    shutil.copy(TEST_PROCESSES / "permit.yaml", twin)
    assert main(["processes", "import", str(TEST_PROCESSES / "permit.yaml"), str(twin)]) == 2
    assert "slug 'permit-question' is also used by" in capsys.readouterr().err
    assert counts(cli_env) == (0, 0, 0)


def test_one_bad_file_in_a_folder_stores_nothing(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "catalogue"
    folder.mkdir()
    shutil.copy(TEST_PROCESSES / "pothole.yaml", folder / "a.yaml")
    shutil.copy(DATA / "bad-processes" / "dangling-flow.yaml", folder / "b.yaml")
    assert main(["processes", "import", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"handoff: {folder / 'b.yaml'}, line 14: versions[0].flows[0].to: "
        "flow to 'inspect' is not a step id of version 'as-is'.\n"
    )
    assert counts(cli_env) == (0, 0, 0)


def test_export_of_an_unknown_slug(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["processes", "export", "nope"]) == 2
    assert capsys.readouterr().err == "handoff: There is no process 'nope'.\n"


def test_export_to_an_unwritable_place(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["processes", "import", str(TEST_PROCESSES / "permit.yaml")])
    capsys.readouterr()
    target = tmp_path / "no" / "such" / "dir.yaml"
    assert main(["processes", "export", "permit-question", "-o", str(target)]) == 2
    assert capsys.readouterr().err.startswith(f"handoff: {target}: cannot be written")


@pytest.mark.sqlite
def test_the_installed_command_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    env = os.environ | {"HANDOFF_DATA_DIR": str(tmp_path)}
    env.pop("HANDOFF_DATABASE_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "processes",
            "import",
            str(DATA / "bad-processes" / "unknown-key.yaml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (
        "line 11: versions[0].steps[0].ownr: unknown key (did you mean 'owner'?)" in result.stderr
    )
    usage = subprocess.run(
        [sys.executable, "-m", "app", "processes", "frobnicate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
