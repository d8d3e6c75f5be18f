"""Customers: persistent profiles matched from the identity a widget or channel passes."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from chatapp.conversations.schemas import CustomerIdentity
from chatapp.db.models.conversations import Customer


def match_or_create(
    db: Session, company_id: uuid.UUID, identity: CustomerIdentity | None, *, verified: bool
) -> Customer | None:
    """The company's customer with this external id, else this email; created when new.

    Anonymous visitors (no external id, email or phone) get no profile: a profile per page view
    would be noise. The external id is the company's own user id, so it is the strongest match.

    `verified`: the company's site signed the identity (`conversations/visitor_identity`), so its name,
    contact details and metadata replace the profile's. An unsigned identity (only passed here when the
    company does not require verification) may link, but only fills what the profile lacks: anyone
    can type another customer's id or e-mail address into a widget.
    """
    if identity is None or not (identity.external_id or identity.email or identity.phone):
        return None
    customer = _matching(db, company_id, identity)
    if customer is None:
        customer = Customer(
            company_id=company_id, email=identity.email, phone=identity.phone, name=identity.name
        )
        db.add(customer)
        db.flush()
    _update_profile(customer, identity, verified)
    return customer


def _matching(db: Session, company_id: uuid.UUID, identity: CustomerIdentity) -> Customer | None:
    """By external id (created at once if new), else the oldest with this e-mail, else this phone."""
    if identity.external_id:
        # Concurrent first messages of one customer must not create two profiles.
        db.execute(
            insert(Customer)
            .values(
                company_id=company_id,
                external_id=identity.external_id,
                email=identity.email,
                phone=identity.phone,
                name=identity.name,
            )
            .on_conflict_do_nothing(
                index_elements=["company_id", "external_id"], index_where=text("external_id IS NOT NULL")
            )
        )
        return db.scalar(
            select(Customer).where(
                Customer.company_id == company_id, Customer.external_id == identity.external_id
            )
        )
    if identity.email:
        return db.scalar(
            select(Customer)
            .where(Customer.company_id == company_id, func.lower(Customer.email) == identity.email.lower())
            .order_by(Customer.created_at)
            .limit(1)
        )
    return db.scalar(
        select(Customer).where(Customer.company_id == company_id, Customer.phone == identity.phone).limit(1)
    )


def _update_profile(customer: Customer, identity: CustomerIdentity, verified: bool) -> None:
    # What the site signs is the freshest truth about name and contact details; a claim fills gaps only.
    for field in ("name", "email", "phone"):
        value = getattr(identity, field)
        current = getattr(customer, field)
        if value and current != value and (verified or not current):
            setattr(customer, field, value)
    if identity.metadata:
        known = customer.metadata_ or {}
        customer.metadata_ = {**known, **identity.metadata} if verified else {**identity.metadata, **known}


def match_by_channel(
    db: Session, company_id: uuid.UUID, channel: str, sender_id: str, name: str | None
) -> Customer:
    """The company's customer known on `channel` as `sender_id` (`channel_ids`), created when new."""
    customer = db.scalar(
        select(Customer)
        .where(Customer.company_id == company_id, Customer.channel_ids[channel].astext == sender_id)
        .limit(1)
    )
    if customer is None:
        customer = Customer(company_id=company_id, name=name, channel_ids={channel: sender_id})
        db.add(customer)
        db.flush()
    elif name and not customer.name:
        customer.name = name
    return customer
