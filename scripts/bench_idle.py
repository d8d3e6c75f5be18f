"""Idle benchmark: what a `./run dev` left alone with nothing to do costs in CPU.

    ./run bench-idle [--seconds 30] [--settle 10] [--pid PID]

Starts `./run dev` on free ports (or, with --pid, attaches to a running one), waits until it serves
/health and has settled, then samples the CPU time (user + system) of the dev process and of its
child processes over the window and prints their share of one core. The embedded PostgreSQL is
left out: it is kept running between runs on purpose, and `pg_ctl` detaches it from the dev process
anyway. moto runs inside the dev process (a thread, see devtools/aws_local.py), so its share is in
the dev server's.
Target (issue 14): at most 2% of one core.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

READY_LINE = "Buzzi is running on"
START_TIMEOUT_SECONDS = 180
TARGET_PERCENT = 2.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _healthy(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False


@contextmanager
def started_dev_server(workdir: Path) -> Iterator[psutil.Process]:
    """`./run dev` on free ports, with its own vector directory so it can run next to a developer's
    `./run dev` in the same checkout (Qdrant Edge opens lazily, so an idle server never touches it)."""
    from devtools.aws_local import free_port

    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "MOTO_PORT": str(free_port()),
        "QDRANT_PATH": str(workdir / "qdrant"),
    }
    log_path = workdir / "dev.log"
    _log(f"» starting ./run dev on 127.0.0.1:{port} (log: {log_path})")
    with log_path.open("w") as log:
        # Its own session: the dev server is stopped below like a terminal would, with SIGINT.
        dev = subprocess.Popen(
            [sys.executable, "-m", "devtools", "dev"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while READY_LINE not in log_path.read_text() or not _healthy(port):
            if dev.poll() is not None or time.monotonic() > deadline:
                _log(log_path.read_text()[-4000:])
                raise SystemExit(f"./run dev did not become ready (exit code {dev.poll()})")
            time.sleep(0.5)
        yield psutil.Process(dev.pid)
    finally:
        if dev.poll() is None:
            dev.send_signal(signal.SIGINT)
            try:
                dev.wait(timeout=30)
            except subprocess.TimeoutExpired:
                dev.kill()
                dev.wait()


@contextmanager
def _attached(pid: int) -> Iterator[psutil.Process]:
    yield psutil.Process(pid)


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:  # it ended during the window; what it used is lost to the sample
        return 0.0
    return float(times.user + times.system)


def _children(dev: psutil.Process) -> dict[int, psutil.Process]:
    from devtools.lifecycle import child_processes  # leaves the embedded PostgreSQL out

    return {child.pid: child for child in child_processes(dev)}


def sample(dev: psutil.Process, seconds: float) -> tuple[float, float]:
    """CPU seconds used during `seconds` by the dev process and by its child processes."""
    children = _children(dev)
    dev_before = _cpu_seconds(dev)
    children_before = {pid: _cpu_seconds(child) for pid, child in children.items()}
    time.sleep(seconds)
    dev_used = _cpu_seconds(dev) - dev_before
    children_used = 0.0
    for pid, child in {**children, **_children(dev)}.items():
        children_used += max(0.0, _cpu_seconds(child) - children_before.get(pid, 0.0))
    return dev_used, children_used


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="sampling window (default 30)")
    parser.add_argument("--settle", type=float, default=10.0, help="wait after ready (default 10)")
    parser.add_argument("--pid", type=int, help="attach to this running `./run dev` instead of starting one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="buzzi-bench-idle-") as workdir:
        if args.pid:
            _log(f"» attaching to ./run dev (pid {args.pid})")
            context: AbstractContextManager[psutil.Process] = _attached(args.pid)
        else:
            context = started_dev_server(Path(workdir))
        with context as dev:
            _log(f"» ready; settling for {args.settle:g} s, then sampling for {args.seconds:g} s")
            time.sleep(args.settle)
            dev_used, children_used = sample(dev, args.seconds)

    share = 100 * (dev_used + children_used) / args.seconds
    print(
        f"idle CPU: {share:.2f}% of one core over {args.seconds:g} s "
        f"(dev server {100 * dev_used / args.seconds:.2f}%, moto inside it; "
        f"child processes {100 * children_used / args.seconds:.2f}%)   (target <= {TARGET_PERCENT:g}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
