"""`./run rollup-analytics --from YYYY-MM-DD --to YYYY-MM-DD [--company ID]`: backfill daily analytics.

Recomputes each date of the range (in every company's own time zone, or one company's) with the
same rollup the schedule runs, one transaction per date, printing a line per date. Safe to repeat.
Uses DATABASE_URL, or the embedded development database.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import date, timedelta


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./run rollup-analytics", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--company", type=uuid.UUID, help="only this company's rows")
    args = parser.parse_args(argv)
    if args.start > args.end:
        parser.error("--from must not be after --to")
    return args


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    from chatapp.analytics.rollup import rollup_date

    days = (args.end - args.start).days + 1
    began = time.perf_counter()
    for index in range(days):
        day = args.start + timedelta(days=index)
        started = time.perf_counter()
        result = rollup_date(day, args.company)
        print(
            f"[{index + 1}/{days}] {day}  {result.companies} companies  {result.rows_written} rows written  "
            f"{result.rows_removed} removed  ({time.perf_counter() - started:.2f} s)",
            flush=True,
        )
    print(f"✓ rolled up {days} day(s) in {time.perf_counter() - began:.1f} s", flush=True)
    return 0
