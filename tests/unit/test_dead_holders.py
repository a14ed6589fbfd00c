"""Telling whether the process named by a worker id (``host:pid:tag``) has stopped, from
real child processes: running, exited and reaped, exited and not yet reaped (a zombie),
and ids naming a reused pid, an earlier boot, another machine."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db.workers import holder_gone, holder_state, new_worker_id
from tests.conftest import ROOT

CHILD = (
    "import sys; from app.db.workers import new_worker_id; "
    "print(new_worker_id(), flush=True); sys.stdin.read()"
)


class Child:
    """A Python process that makes its worker id and runs until its stdin is closed."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.worker = self.process.stdout.readline().strip()

    def end(self, reap: bool = True) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        if reap:
            self.process.wait(timeout=30)


@pytest.fixture
def child() -> Iterator[Child]:
    started = Child()
    yield started
    if started.process.poll() is None:
        started.end()


def _state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()[0]


def test_a_running_process_is_not_gone_and_a_stopped_one_is(child: Child) -> None:
    _, pid, tag = child.worker.rsplit(":", 2)
    assert pid == str(child.process.pid) and "." in tag  # the start is in the tag
    assert not holder_gone(child.worker)
    assert not holder_gone(new_worker_id())  # this process
    child.end()
    assert holder_gone(child.worker)


def test_an_exited_process_not_yet_reaped_is_gone(child: Child) -> None:
    child.end(reap=False)
    deadline = time.monotonic() + 30
    while _state(child.process.pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _state(child.process.pid) == "Z"  # its pid still exists, as a zombie
    assert holder_gone(child.worker)
    child.process.wait()


def test_a_reused_pid_means_gone_and_an_earlier_boot_is_left_to_the_heartbeat() -> None:
    host, pid, tag = new_worker_id().rsplit(":", 2)
    machine, _, random = tag.partition(".")
    boot, namespace, started = machine[:6], machine[6:10], machine[10:]
    other_start = f"{int(started, 16) ^ 1:08x}"
    # this very pid, but a process that started at another moment: the pid was reused
    assert holder_gone(f"{host}:{pid}:{boot}{namespace}{other_start}.{random}")
    assert holder_state(f"{host}:{pid}:{boot}{namespace}{started}.{random}") == "alive"
    # another boot under the same host name: a reboot, or a machine cloned from one image
    # (whose processes run): not proof either way
    other_boot = f"{int(boot, 16) ^ 1:06x}"
    assert holder_state(f"{host}:{pid}:{other_boot}{namespace}{started}.{random}") == "unknown"
    assert not holder_gone(f"{host}:{pid}:{other_boot}{namespace}{other_start}.{random}")


def test_what_cannot_be_told_is_left_to_the_heartbeat(child: Child) -> None:
    host, pid, tag = child.worker.rsplit(":", 2)
    child.end()
    machine, _, random = tag.partition(".")
    assert holder_gone(child.worker)
    assert not holder_gone(f"elsewhere.example:{pid}:{tag}")  # another machine
    assert not holder_gone(f"{host}:{pid}:{random}")  # an id without its start
    other_namespace = f"{machine[:6]}{int(machine[6:10], 16) ^ 1:04x}{machine[10:]}"
    assert not holder_gone(f"{host}:{pid}:{other_namespace}.{random}")  # a container
    assert not holder_gone(None) and not holder_gone("gone") and not holder_gone(f"{host}:0:x")
