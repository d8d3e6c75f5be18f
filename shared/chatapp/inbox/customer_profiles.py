"""The inbox's customer panel, and erasing a customer on request.

Erasure removes the customer's profile, conversations (messages, notes and escalations go with
them by foreign-key cascade) and the files they sent; the audit entry that records the erasure
stays, with counts and ids only, no personal data.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.audit import entries
from chatapp.config import get_settings
from chatapp.db.models.conversations import Conversation, Customer, Message
from chatapp.db.ownership import owned
from chatapp.db.tenancy import ContextRole, tenant_session
from chatapp.errors import NotFound
from chatapp.inbox.customer_schemas import CustomerErasureOut, CustomerPatch, CustomerProfileOut
from chatapp.inbox.schemas import ConversationSummaryOut
from chatapp.inbox.staff import STAFF
from chatapp.integrations.aws import client


def _customer(db: Session, customer_id: uuid.UUID) -> Customer:
    row = owned(db, Customer, customer_id)
    if row is None:
        raise NotFound("No such customer.", code="customer_not_found")
    return row


def profile(principal: Principal, customer_id: uuid.UUID) -> CustomerProfileOut:
    require_role(principal, STAFF)
    with tenant_session(principal.context()) as db:
        customer = _customer(db, customer_id)
        conversations = db.scalars(
            select(Conversation)
            .where(Conversation.customer_id == str(customer.id), Conversation.deleted_at.is_(None))
            .order_by(Conversation.started_at.desc())
            .limit(50)
        ).all()
        return CustomerProfileOut.model_validate(
            {
                **{k: getattr(customer, k) for k in CustomerProfileOut.model_fields if k != "conversations"},
                "tags": customer.tags or [],
                "channel_ids": customer.channel_ids or {},
                "metadata": customer.metadata_ or {},
                "conversations": [ConversationSummaryOut.model_validate(c) for c in conversations],
            }
        )


def update_profile(principal: Principal, customer_id: uuid.UUID, patch: CustomerPatch) -> CustomerProfileOut:
    require_role(principal, STAFF)
    with tenant_session(principal.context()) as db:
        customer = _customer(db, customer_id)
        for field, value in patch.model_dump(exclude_unset=True).items():
            setattr(customer, field, value)
    return profile(principal, customer_id)


def erase(principal: Principal, customer_id: uuid.UUID) -> CustomerErasureOut:
    require_role(principal, (ContextRole.COMPANY_ADMIN,))
    with tenant_session(principal.context()) as db:
        customer = _customer(db, customer_id)
        conversation_ids = list(
            db.scalars(select(Conversation.id).where(Conversation.customer_id == str(customer.id)))
        )
        messages = db.scalar(
            select(func.count(Message.id)).where(Message.conversation_id.in_(conversation_ids))
        )
        attachments = _erase_attachments(customer.company_id, conversation_ids)
        db.execute(delete(Conversation).where(Conversation.id.in_(conversation_ids)))
        db.delete(customer)
        entries.record(
            db,
            action="customer.erase",
            company_id=customer.company_id,
            user_id=principal.user_id,
            resource_type="customer",
            resource_id=customer_id,
            details={
                "conversations": len(conversation_ids),
                "messages": messages,
                "attachments": attachments,
            },
        )
    return CustomerErasureOut(
        customer_id=customer_id,
        conversations_removed=len(conversation_ids),
        messages_removed=int(messages or 0),
        attachments_removed=attachments,
    )


def _erase_attachments(company_id: uuid.UUID, conversation_ids: list[uuid.UUID]) -> int:
    """Files customers sent live under <company>/<conversation>/ in the attachments bucket."""
    s3 = client("s3")
    bucket = get_settings().attachments_bucket
    removed = 0
    for conversation_id in conversation_ids:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{company_id}/{conversation_id}/"
        )
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                removed += len(keys)
    return removed
