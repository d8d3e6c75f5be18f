"""`./run sync-sources [--source ID]`: sync every knowledge source now, or one.

The schedules fire `cron(...)` rules hourly under `./run dev` and daily or weekly on AWS; this asks
the running `./run dev` to sync at once. It invokes the SourceScheduleFunction through the runner's
Lambda Invoke API (the function then queues the syncs on the runner's own crawl queue), so the
crawl runs where the queues and pollers live, and prints how many syncs it started.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request
import uuid


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./run sync-sources", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=uuid.UUID, help="only this source")
    args = parser.parse_args(argv)
    port = os.environ.get("PORT", "3000")
    event = {"schedule": "now", **({"source_id": str(args.source)} if args.source else {})}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/2015-03-31/functions/SourceScheduleFunction/invocations",
        data=json.dumps(event).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Amz-Invocation-Type": "RequestResponse"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            result = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, ConnectionError) as error:
        print(f"✗ no ./run dev answered on 127.0.0.1:{port} ({error}); start it first", flush=True)
        return 1
    print(f"✓ {result.get('started', 0)} sync(s) started; follow them in the console (Knowledge → Sources)")
    return 0
