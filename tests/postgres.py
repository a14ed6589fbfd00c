"""A throw-away PostgreSQL 15 cluster started from the Debian binaries for the test run.

``pg_ctl`` refuses to run as root, so as root the cluster runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass
class Cluster:
    """A running cluster: where it listens and where its files are."""

    host: str
    port: int
    user: str
    directory: Path

    def stop(self) -> None:
        """Stop the server and delete its files."""
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "stop"])
        shutil.rmtree(self.directory, ignore_errors=True)


def available() -> bool:
    """Whether the PostgreSQL server binaries are installed."""
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(command: list[str]) -> None:
    subprocess.run(
        [*_as_postgres(), *command], check=True, capture_output=True, text=True, timeout=120
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start() -> Cluster:
    """Initialise and start a cluster on a free loopback port, trusting local connections."""
    directory = Path(tempfile.mkdtemp(prefix="handoff-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    port = _free_port()
    try:
        _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -k {directory} -c fsync=off"
        _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(directory / "server.log"),
                "start",
            ]
        )
    except subprocess.CalledProcessError as error:
        log = directory / "server.log"
        detail = log.read_text() if log.exists() else error.stderr
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail}") from error
    return Cluster(host="127.0.0.1", port=port, user="postgres", directory=directory)
