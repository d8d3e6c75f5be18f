"""Payment events: how news about a subscription's payment reaches the lifecycle.

Collecting payment is out of scope for now. Whatever collects it later (a payment provider's
webhook) implements `PaymentEvents` and calls it from its callback; until then master admins mark
payments by hand through `ManualPayments`. Both end in the lifecycle's rules
(`subscription_lifecycle.mark_unpaid` / `mark_paid`), so a failed payment starts the same lapse path
and a received one ends it the same way, whoever reports it. Repeated events change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.billing import lifecycle as lifecycle
from chatapp.billing.schemas import SubscriptionOut
from chatapp.billing.subscriptions import locked_subscription, subscription_out
from chatapp.db.models.billing import CompanySubscription
from chatapp.db.tenancy import ContextRole, tenant_session


class PaymentEvents(Protocol):
    """What a payment provider's callback reports about one subscription."""

    def payment_failed(
        self, subscription_id: uuid.UUID, reason: str | None, now: datetime | None = None
    ) -> SubscriptionOut: ...

    def payment_succeeded(
        self, subscription_id: uuid.UUID, now: datetime | None = None
    ) -> SubscriptionOut: ...


@dataclass(frozen=True)
class ManualPayments:
    """Payments marked by a master admin (the console's unpaid / paid actions), audited as them."""

    principal: Principal

    def _session(self) -> AbstractContextManager[Session]:
        require_role(self.principal, (ContextRole.MASTER_ADMIN,))
        return tenant_session(self.principal.context())

    def _apply(
        self, subscription_id: uuid.UUID, change: Callable[[Session, CompanySubscription], object]
    ) -> SubscriptionOut:
        with self._session() as db:
            row = locked_subscription(db, subscription_id)
            change(db, row)
            return subscription_out(db, row)

    def payment_failed(
        self, subscription_id: uuid.UUID, reason: str | None, now: datetime | None = None
    ) -> SubscriptionOut:
        at = lifecycle.utc(now)
        return self._apply(
            subscription_id,
            lambda db, row: lifecycle.mark_unpaid(
                db, row, reason=reason, now=at, actor_id=self.principal.user_id
            ),
        )

    def payment_succeeded(self, subscription_id: uuid.UUID, now: datetime | None = None) -> SubscriptionOut:
        at = lifecycle.utc(now)
        return self._apply(
            subscription_id,
            lambda db, row: lifecycle.mark_paid(db, row, now=at, actor_id=self.principal.user_id),
        )
