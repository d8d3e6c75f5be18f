"""Every minute: send the live inbox events whose after-commit delivery did not happen (a crash, a
timeout), so a committed event is never lost (chatapp/realtime/live.py)."""

from __future__ import annotations

from typing import Any

from chatapp.observability import observed
from chatapp.realtime import live


@observed
def handler(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    return {"relayed": live.relay()}
