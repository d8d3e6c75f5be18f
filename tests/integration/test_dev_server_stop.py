"""Ctrl-C (SIGINT) and SIGTERM stop `./run dev` cleanly, and no process it started outlives it.

Each command runs in a session of its own, so whatever it started and left behind still carries
that session id after it has gone. The embedded PostgreSQL is none of them: it is already running
(the test server) and `pg_ctl` gives it a session of its own anyway.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import make_url

from devtools.aws_local import free_port
from devtools.embedded_db import ensure_database
from devtools.lifecycle import child_processes

ROOT = Path(__file__).resolve().parents[2]
SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]
START_TIMEOUT_SECONDS = 180
STOP_TIMEOUT_SECONDS = 20


def _session(sid: int) -> list[psutil.Process]:
    """Every process still running in session `sid` (an exited one waiting to be reaped is not)."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == sid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (OSError, psutil.Error):  # it ended meanwhile, or is not ours to see
            continue
    return members


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while text not in log.read_text():
        assert process.poll() is None, log.read_text()[-4000:]
        assert time.monotonic() < deadline, log.read_text()[-4000:]
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes], signum: signal.Signals, log: Path) -> list[psutil.Process]:
    """Send `signum`; returns what is left of the process's session once it has exited."""
    process.send_signal(signum)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(
            f"{signum.name} did not stop it within {STOP_TIMEOUT_SECONDS} s:\n{log.read_text()[-4000:]}"
        )
    assert process.returncode == 0, log.read_text()[-4000:]
    assert "stopping" in log.read_text()
    _, alive = psutil.wait_procs(_session(process.pid), timeout=2)
    return alive


@pytest.fixture(scope="module")
def dev_database(migrated_database: str) -> Iterator[str]:
    """A database of its own for the `./run dev` these tests start (it migrates and seeds demo data)."""
    url = make_url(migrated_database)
    name = f"{url.database}_dev_stop"
    ensure_database(url.set(database="postgres"), name, recreate=True)
    yield url.set(database=name).render_as_string(hide_password=False)
    from sqlalchemy import create_engine, text

    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.mark.parametrize("signum", SIGNALS)
def test_dev_server_stops_on_the_signal_and_leaves_no_process_behind(
    signum: signal.Signals, dev_database: str, tmp_path: Path
) -> None:
    port = free_port()
    # As a developer's shell would start it: no test settings, its own ports and vector directory.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env |= {
        "DATABASE_URL": dev_database,
        "PORT": str(port),
        "MOTO_PORT": str(free_port()),
        "QDRANT_PATH": str(tmp_path / "qdrant"),
    }
    log = tmp_path / "dev.log"
    with log.open("w") as output:
        dev = subprocess.Popen(
            [str(ROOT / "run"), "dev"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(log, "Buzzi is running on", dev)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        connection.close()
        started = child_processes(psutil.Process(dev.pid))

        left = _stop(dev, signum, log)
    finally:
        if dev.poll() is None:
            dev.kill()
    assert left == [], [p.cmdline() for p in left]
    assert not [child for child in started if child.is_running()]
    with pytest.raises(OSError):  # the runner's port is closed
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()


# A long-running command as `./run dev` runs, with a child that has a child of its own.
WITH_CHILDREN = """
import subprocess, time
from devtools.lifecycle import stopped_by_signals

with stopped_by_signals():
    subprocess.Popen(["sh", "-c", "sleep 300 & wait"])
    print("started", flush=True)
    time.sleep(300)
"""


@pytest.mark.parametrize("signum", SIGNALS)
def test_the_signal_ends_every_child_process_the_command_started(
    signum: signal.Signals, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT)])}
    log = tmp_path / "command.log"
    with log.open("w") as output:
        command = subprocess.Popen(
            [sys.executable, "-c", WITH_CHILDREN],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(log, "started", command)
        deadline = time.monotonic() + 10
        while len(children := child_processes(psutil.Process(command.pid))) < 2:
            assert time.monotonic() < deadline, "the shell did not start its sleep"
            time.sleep(0.05)
        assert {child.name() for child in children} == {"sh", "sleep"}

        left = _stop(command, signum, log)
    finally:
        if command.poll() is None:
            command.kill()
    assert left == [], [p.cmdline() for p in left]
    assert not [child for child in children if child.is_running()]
