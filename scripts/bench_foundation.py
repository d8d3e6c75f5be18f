"""Foundation benchmark: handler import cost and tenant-endpoint latency through the local runner.

    ./run bench [--requests 1000]

Prints:
  * `python -X importtime` totals for the sample function's module (as Lambda imports it:
    CodeUri on the path, the common layer beside it) against a bare `import boto3`;
  * p50/p99 of GET /v1/companies/me over N requests through the local runner, both the
    handler time (X-Buzzi-Handler-Ms) and the full HTTP round trip.
Targets (issue #2): import <= 600 ms; handler p50 <= 5 ms, p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]


def import_time_ms(statement: str, cwd: Path, extra_env: dict[str, str] | None = None) -> float:
    """Sum of the cumulative times of top-level imports reported by -X importtime."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "shared"),
        "ENVIRONMENT": "development",
        **(extra_env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if not name[1:].startswith(" "):  # top-level entries only; nested ones are inside their parents
            total += int(cumulative)
    return total / 1000


def median_import(statement: str, cwd: Path, runs: int = 7, extra_env: dict[str, str] | None = None) -> float:
    return statistics.median(import_time_ms(statement, cwd, extra_env) for _ in range(runs))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_latency(requests: int) -> dict[str, float]:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from devtools.local_env import configure

    configure("dev")
    from chatapp.db.migrate import upgrade_to_head
    from chatapp.identity.authentication import issue_dev_session
    from devtools.runner import RouteTable, make_server
    from devtools.seed import seed
    from devtools.template import functions

    upgrade_to_head()
    seed()
    token, _ = issue_dev_session("admin@demo.buzzi.example")
    server = make_server(RouteTable(functions()), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"}

    def once() -> tuple[float, float]:
        started = time.perf_counter()
        connection.request("GET", "/v1/companies/me", headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"unexpected status {response.status}")
        return float(response.getheader("x-buzzi-handler-ms")), (time.perf_counter() - started) * 1000

    for _ in range(50):  # warm-up: cold start, pool fill, caches
        once()
    handler_ms, round_trip_ms = zip(*(once() for _ in range(requests)), strict=True)
    server.shutdown()
    return {
        "handler_p50": percentile(list(handler_ms), 0.50),
        "handler_p99": percentile(list(handler_ms), 0.99),
        "round_trip_p50": percentile(list(round_trip_ms), 0.50),
        "round_trip_p99": percentile(list(round_trip_ms), 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Buzzi foundation benchmark")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    print("» import cost (median of 7 runs of python -X importtime)", flush=True)
    function_dir = ROOT / "functions" / "companies"
    sample = median_import("import app", function_dir)
    in_lambda = median_import("import app", function_dir, extra_env={"LAMBDA_TASK_ROOT": "/var/task"})
    boto3 = median_import("import boto3", function_dir)
    print(f"  functions/companies/app.py  {sample:7.1f} ms   (target <= 600 ms)")
    print(f"  same, as in Lambda with X-Ray tracing on  {in_lambda:7.1f} ms   (SnapStart snapshots it)")
    print(f"  bare `import boto3`         {boto3:7.1f} ms")

    print(f"» GET /v1/companies/me through the local runner, {args.requests} requests", flush=True)
    figures = bench_latency(args.requests)
    print(
        f"  handler time   p50 {figures['handler_p50']:6.2f} ms   p99 {figures['handler_p99']:6.2f} ms"
        "   (targets p50 <= 5 ms, p99 <= 20 ms)"
    )
    print(
        f"  HTTP round trip p50 {figures['round_trip_p50']:6.2f} ms   p99 {figures['round_trip_p99']:6.2f} ms"
    )


if __name__ == "__main__":
    main()
