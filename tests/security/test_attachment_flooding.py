"""Attack: anonymous visitors fill a company's storage with widget attachments.

Any visitor may open the chat widget and ask for upload tickets (10 MB each). Nothing capped how many
one conversation could take, nor the company's total, so a script could fill S3 on the company's
bill without limit; and counting it against the plan's `storageGb` would have been worse, since that
is the company's knowledge storage: strangers could have blocked its knowledge uploads.

Buzzi withstands it: a conversation takes at most 20 files and 50 MB (declared at the ticket; the
signed upload cannot be larger), and a plan limit of its own, `attachmentStorageGb`, caps the
company's attachments without touching its knowledge storage.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from tests.integration.chat.conftest import ChatShop

TEN_MB = 10 * 1024 * 1024


def _ticket(shop: ChatShop, token: str, size: int) -> Any:
    return shop.widget(
        "POST",
        "/conversation/attachments",
        token=token,
        json_body={"filename": "scan.pdf", "mime_type": "application/pdf", "size": size},
    )


def test_one_conversation_cannot_take_unlimited_uploads(shop: ChatShop) -> None:
    visitor = shop.visit()
    statuses = [_ticket(shop, visitor.token, TEN_MB).status for _ in range(8)]
    assert statuses[:5] == [201] * 5, statuses  # 50 MB
    assert set(statuses[5:]) == {409}, statuses
    refused = _ticket(shop, visitor.token, 1_000)
    assert refused.body["error"]["code"] == "conversation_attachments_full", refused.body

    small = shop.visit()
    counts = [_ticket(shop, small.token, 1_000).status for _ in range(22)]
    assert counts.count(201) == 20 and counts[-1] == 409, counts


def test_a_plan_caps_attachment_storage_apart_from_knowledge(shop: ChatShop, owner_engine: Any) -> None:
    company_id = shop.tenant.data.company_id
    with Session(owner_engine) as db, db.begin():
        plan_id = db.scalar(
            select(CompanySubscription.plan_id).where(CompanySubscription.company_id == company_id)
        )
        limits = dict(db.scalar(select(SubscriptionPlan.limits).where(SubscriptionPlan.id == plan_id)) or {})
        db.execute(
            update(SubscriptionPlan)
            .where(SubscriptionPlan.id == plan_id)
            .values(limits={**limits, "attachmentStorageGb": 0.025, "storageGb": 1})  # about 27 MB
        )
    first, second, third = shop.visit(), shop.visit(), shop.visit()
    assert _ticket(shop, first.token, TEN_MB).status == 201
    assert _ticket(shop, second.token, TEN_MB).status == 201
    refused = _ticket(shop, third.token, TEN_MB)
    assert refused.status == 402 and refused.body["error"]["code"] == "attachment_storage_exceeded", (
        refused.body
    )

    usage = {row["limit"]: row for row in shop.tenant.call("GET", "/v1/billing/usage").body["limits"]}
    assert usage["attachmentStorageGb"]["allowed"] == 0.025
    assert abs(usage["attachmentStorageGb"]["used"] - 2 * TEN_MB / 1024**3) < 1e-6
    assert usage["storageGb"]["used"] < 0.001  # knowledge storage is not what strangers filled
