"""Daily schedule: purge companies deleted longer ago than the retention period (chatapp/platform/purge.py).

Safe to run at any time and any number of times: only companies still deleted past the period are
touched, and a purged company is gone. A company that could not be purged makes the invocation fail
(after the others were done), so the failure shows and EventBridge's retry tries it again.
"""

from __future__ import annotations

from typing import Any

from chatapp.observability import logger, observed
from chatapp.platform import purge as company_purge


@observed
def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    report = company_purge.purge_due()
    logger.info("company purge run", extra={"purged": len(report.purged), "failed": len(report.failed)})
    if report.failed:
        raise RuntimeError(f"{len(report.failed)} deleted companies could not be purged; see the log")
    return report.as_dict()
