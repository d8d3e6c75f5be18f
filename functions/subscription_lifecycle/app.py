"""The daily subscription lifecycle job (EventBridge schedule): renewals, lapses, expiries and
reminder e-mails, as `chatapp.billing.lifecycle` describes. Idempotent: a second run
for the same moment changes nothing, so EventBridge's retries and the local hourly firing are safe.
"""

from __future__ import annotations

from typing import Any

from chatapp.billing import lifecycle
from chatapp.observability import logger, observed


@observed
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    summary = lifecycle.run()
    if summary.failed:  # reported as a failed invocation (alarms, retries); the rest is committed
        logger.error(
            "subscription lifecycle left subscriptions unprocessed", extra={"failed": summary.failed}
        )
        raise RuntimeError(f"{summary.failed} subscriptions could not be processed")
    return summary.model_dump(mode="json")
