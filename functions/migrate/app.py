"""Applies database migrations as the table owner, then publishes the built-in agent packages.

Invoked by CloudFormation as a custom resource on every deploy (so a stack update migrates
before traffic reaches new code), or directly: `{"action": "upgrade"}`.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from chatapp.agents.package_catalogue import publish_builtin_packages
from chatapp.db.migrate import current_revision, upgrade_to_head
from chatapp.observability import logger, observed

PHYSICAL_RESOURCE_ID = "buzzi-database-schema"


def _send_cloudformation_response(event: dict[str, Any], status: str, data: dict[str, Any]) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": "See the migrate function's logs" if status == "FAILED" else "Migrated",
            "PhysicalResourceId": PHYSICAL_RESOURCE_ID,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is CloudFormation's pre-signed S3 URL
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def _migrate(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("RequestType") == "Delete":
        # Deleting the stack must never drop customer data.
        return {"revision": None, "skipped": True}
    upgrade_to_head()
    revision = current_revision()
    logger.info("database migrated", extra={"revision": revision})
    # The agent packages that ship with this release, published where agents load them from.
    published = publish_builtin_packages()
    return {"revision": revision, "skipped": False, "packages_published": len(published)}


@observed
def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    if "ResponseURL" not in event:
        return _migrate(event)
    try:
        data = _migrate(event)
    except Exception as error:
        logger.error("migration failed", extra={"error_type": type(error).__name__})
        _send_cloudformation_response(event, "FAILED", {})
        raise
    _send_cloudformation_response(event, "SUCCESS", {"Revision": data["revision"] or ""})
    return data
