"""Daily schedule: forget expired rate-limit windows, sessions and sign-in tokens (system/housekeeping)."""

from __future__ import annotations

from typing import Any

from chatapp.observability import logger, observed
from chatapp.system import housekeeping


@observed
def handler(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    report = housekeeping.run()
    logger.info("housekeeping run", extra=report.as_dict())
    return report.as_dict()
