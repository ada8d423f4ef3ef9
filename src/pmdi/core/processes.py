"""Isolated execution of CPU-heavy stage work: every call runs in its own short-lived subprocess.

Parsing hostile files must not block the event loop, exhaust memory, hang forever or crash the worker. Each
call forks from a forkserver (cheap, and safe in a process that runs threads and an event loop), runs under an
address-space limit, and is killed at its deadline. A crash only loses that one call.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

import anyio.to_thread

from pmdi.jobs.errors import PermanentStageError, StageError, TransientStageError

T = TypeVar("T")
MB = 1024 * 1024
_context = multiprocessing.get_context("forkserver")


class SandboxTimeout(PermanentStageError):
    pass


class SandboxCrashed(PermanentStageError):
    pass


class SandboxInterrupted(TransientStageError):
    pass


# A service manager or Ctrl+C signals the whole process group. A child that died of one of these, or whose
# exit status was lost because the same signal stopped the forkserver (multiprocessing then reports 255),
# was stopped along with its worker, not crashed by its file: the work is retried after the restart.
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
_STATUS_LOST = 255

# multiprocessing relaunches a forkserver that died (a signal to the group, the OOM killer) only once it has
# been reaped; while it is still exiting, connecting to it fails. Starting again shortly gets the new one.
_START_ATTEMPTS = 100
_START_PAUSE_SECONDS = 0.05


def _stopped(exitcode: int | None) -> bool:
    return exitcode == _STATUS_LOST or (exitcode is not None and -exitcode in _STOP_SIGNALS)


def _child(connection: Connection, fn: Callable[..., Any], args: tuple[Any, ...], memory_bytes: int) -> None:
    # Ctrl+C then ends the child by the signal, which says "stopped", rather than by a KeyboardInterrupt exit.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        connection.send(("ok", fn(*args)))
    except StageError as exc:
        connection.send(("error", exc))
    except MemoryError:
        connection.send(("error", PermanentStageError("The file needs more memory than allowed to process.")))
    except Exception as exc:  # anything a parser throws on a malformed file becomes a readable reason
        connection.send(("error", PermanentStageError(f"The file could not be read ({type(exc).__name__}).")))
    finally:
        connection.close()


# The offline analyzer (rules, nupunkt) is the default, so it is preloaded too.
PRELOAD = (
    "pmdi.extraction.stage",
    "pmdi.extraction.builtin",
    "pmdi.analysis.stage",
    "pmdi.analysis.rules.analyzer",
)


class Sandbox:
    def __init__(self, timeout_seconds: float, memory_mb: int, preload: Sequence[str] = PRELOAD) -> None:
        self.timeout = timeout_seconds
        self.memory_bytes = memory_mb * MB
        # Modules imported once by the forkserver, so each forked call starts with them loaded.
        _context.set_forkserver_preload(list(preload))

    async def run(self, fn: Callable[..., T], *args: Any, limit_seconds: float | None = None) -> T:
        return await anyio.to_thread.run_sync(self.run_blocking, fn, args, limit_seconds)

    def run_blocking(self, fn: Callable[..., T], args: tuple[Any, ...], timeout: float | None = None) -> T:
        """`timeout` overrides the sandbox's own for work known to wait on the network (LLM calls)."""
        limit = timeout or self.timeout
        receiver, sender = _context.Pipe(duplex=False)
        try:
            process = _started(sender, fn, args, self.memory_bytes)
        except BaseException:
            receiver.close()
            raise
        finally:
            sender.close()
        try:
            if not receiver.poll(limit):
                raise SandboxTimeout(f"Processing took longer than {limit:g} seconds and was stopped.")
            status, value = receiver.recv()
        except EOFError as exc:
            process.join(5)
            if _stopped(process.exitcode):
                raise SandboxInterrupted("Processing was stopped by a shutdown.") from exc
            raise SandboxCrashed("The file crashed the processing subprocess.") from exc
        finally:
            receiver.close()
            if process.is_alive():
                process.kill()
            process.join(5)
        if status == "error":
            raise value
        result: T = value
        return result


def _started(*child_args: Any) -> BaseProcess:
    for _ in range(_START_ATTEMPTS):
        process = _context.Process(target=_child, args=child_args, daemon=True)
        try:
            process.start()
        except (ConnectionError, FileNotFoundError, EOFError):
            time.sleep(_START_PAUSE_SECONDS)
        else:
            return process
    raise SandboxInterrupted("The processing service could not be started; the work will be retried.")
