"""Every minute: queue the webhook events whose after-commit send failed (chatapp/webhooks/outbox.py)."""

from __future__ import annotations

from typing import Any

from chatapp.observability import observed
from chatapp.webhooks import outbox


@observed
def handler(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    return {"sent": outbox.relay()}
