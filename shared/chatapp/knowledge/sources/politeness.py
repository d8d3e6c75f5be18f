"""One clock per host, shared by every crawler invocation of every company.

Lambda runs crawler invocations side by side, so a pause kept in one process's memory would not
hold: each request first books the host's next slot in PostgreSQL (`chatapp_crawl_hosts`, one
atomic upsert) and sleeps until it. The gap is the platform's default (CRAWL_MIN_INTERVAL_MS) or
the site's robots.txt `Crawl-delay`, whichever is longer. A slot further away than `MAX_WAIT`
is not booked; the caller puts its message back on the queue with a delay instead of holding a
Lambda asleep.
"""

from __future__ import annotations

import time

from sqlalchemy import text

from chatapp.db.tenancy import system_session

MAX_WAIT_SECONDS = 15.0

_BOOK = text(
    """
    INSERT INTO chatapp_crawl_hosts AS h (host, next_request_at)
    VALUES (:host, clock_timestamp() + make_interval(secs => :gap))
    ON CONFLICT (host) DO UPDATE
        SET next_request_at = greatest(h.next_request_at, clock_timestamp()) + make_interval(secs => :gap)
        WHERE h.next_request_at < clock_timestamp() + make_interval(secs => :max_wait)
    RETURNING extract(epoch FROM h.next_request_at - make_interval(secs => :gap) - clock_timestamp())
    """
)
_WAIT = text(
    "SELECT extract(epoch FROM next_request_at - clock_timestamp())"
    " FROM chatapp_crawl_hosts WHERE host = :host"
)


class NotYourTurn(Exception):
    """The host's next free slot is more than MAX_WAIT_SECONDS away."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"the host's next slot is {wait_seconds:.0f} s away")
        self.wait_seconds = wait_seconds


def wait_turn(host: str, gap_seconds: float) -> None:
    """Book the host's next slot and sleep until it; NotYourTurn when it is too far away."""
    if gap_seconds <= 0:
        return
    with system_session("crawl politeness") as db:
        starts_in = db.scalar(_BOOK, {"host": host[:300], "gap": gap_seconds, "max_wait": MAX_WAIT_SECONDS})
        if starts_in is None:
            raise NotYourTurn(float(db.scalar(_WAIT, {"host": host[:300]}) or MAX_WAIT_SECONDS))
    if starts_in > 0:
        time.sleep(float(starts_in))
