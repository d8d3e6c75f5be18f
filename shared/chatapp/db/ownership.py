"""Fetching a row by id, checked against the transaction's company in code.

Row-level security already hides other companies' rows; this is the first wall, so one query
written without RLS in mind (or a policy mistake) still cannot hand one company's row to another.
Rows without a `company_id` column (messages, notes) are reached through their parent, which is
checked here.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
TENANT_COMPANY = "tenant_company_id"  # Session.info key set by the tenancy module; None = platform


def owned(db: Session, model: type[T], row_id: uuid.UUID, *, lock: bool = False) -> T | None:
    """The row, if it exists and belongs to the session's company (any company for the platform)."""
    row = db.get(model, row_id, with_for_update=lock)
    if row is None:
        return None
    company_id: Any = db.info.get(TENANT_COMPANY)
    if company_id is None:  # master admin or system context
        return row
    owner = getattr(row, "company_id", company_id)
    return row if owner == company_id else None
