"""How long-running dev commands (`./run dev`) stop: Ctrl-C and SIGTERM alike, leaving no child behind.

A terminal's Ctrl-C sends SIGINT; process managers, IDEs and `kill` send SIGTERM, which by default
ends Python on the spot, without cleanup. Both are turned into the same orderly stop here.

The embedded PostgreSQL is never stopped: it is kept running between runs on purpose, and `pg_ctl`
detaches it from the process that started it, so it is no child of ours anyway.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psutil

from chatapp.observability import logger

_EMBEDDED_POSTGRES = {"postgres", "pg_ctl"}
CHILD_STOP_SECONDS = 5.0


def child_processes(process: psutil.Process | None = None) -> list[psutil.Process]:
    """The processes `process` (default: this one) started, and theirs, except the embedded PostgreSQL."""
    try:
        found = (process or psutil.Process()).children(recursive=True)
    except psutil.Error:  # the process has just ended
        return []
    children = []
    for child in found:
        try:
            if child.name() not in _EMBEDDED_POSTGRES:
                children.append(child)
        except psutil.Error:  # it has just ended
            continue
    return children


def stop_child_processes(timeout: float = CHILD_STOP_SECONDS) -> None:
    """End every child process still running: SIGTERM, then SIGKILL for those still there after `timeout`."""
    children = child_processes()
    if not children:
        return
    for child in children:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            continue
    logger.info(
        "stopped child processes",
        extra={"pids": [child.pid for child in children], "killed": [child.pid for child in alive]},
    )


@contextmanager
def stopped_by_signals() -> Iterator[ExitStack]:
    """Run a command until SIGINT or SIGTERM, during start-up too. Register the cleanup of what it
    starts on the yielded stack: it runs last-in first-out on stop, then any child process left is
    ended. The signal is handled, not raised: the command then ends normally."""
    # SIGINT is set explicitly too: a script that starts `./run dev &` hands it down ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    with ExitStack() as running:
        running.callback(stop_child_processes)
        try:
            yield running
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
