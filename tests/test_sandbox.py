"""The processing sandbox under the signals and deaths a real deployment sees."""

from __future__ import annotations

import operator
import os
import resource
import signal
from collections.abc import Callable

import pytest

from pmdi.core.processes import Sandbox, SandboxCrashed, SandboxInterrupted
from pmdi.jobs.errors import StageError


def stopped_with_its_service(signum: int) -> None:
    os.kill(os.getpid(), signum)


def stopped_with_the_forkserver(signum: int) -> None:
    """The group's signal reaches the forkserver too, which then cannot report how its child ended."""
    os.kill(os.getppid(), signum)
    os.kill(os.getpid(), signum)


def crashed_by_its_file(signum: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core dump would only slow the test down
    os.kill(os.getpid(), signal.SIGSEGV)


@pytest.mark.parametrize(
    ("work", "signum", "outcome"),
    [
        (stopped_with_its_service, signal.SIGTERM, SandboxInterrupted),
        (stopped_with_its_service, signal.SIGINT, SandboxInterrupted),
        (stopped_with_the_forkserver, signal.SIGTERM, SandboxInterrupted),
        (crashed_by_its_file, signal.SIGTERM, SandboxCrashed),
    ],
)
def test_work_stopped_with_the_worker_is_retried_but_a_crash_is_final(
    work: Callable[[int], None], signum: int, outcome: type[StageError]
) -> None:
    """A service manager or Ctrl+C signals the whole process group: processing subprocesses die with the
    worker. That must leave the document to be retried after the restart, not failed for good."""
    with pytest.raises(outcome) as raised:
        Sandbox(timeout_seconds=30, memory_mb=1024).run_blocking(work, (signum,))
    assert raised.value.permanent is (outcome is SandboxCrashed)


def test_work_started_while_a_killed_forkserver_is_still_exiting_runs_on_a_new_one() -> None:
    """The OOM killer or a stray signal can end the forkserver between two documents. Until it is reaped,
    connecting to it is refused; the next document must wait for a new forkserver instead of failing."""
    sandbox = Sandbox(timeout_seconds=30, memory_mb=1024)
    for _ in range(3):
        forkserver = sandbox.run_blocking(os.getppid, ())
        os.kill(forkserver, signal.SIGKILL)
        assert sandbox.run_blocking(operator.add, (2, 3)) == 5
        assert sandbox.run_blocking(os.getppid, ()) != forkserver
