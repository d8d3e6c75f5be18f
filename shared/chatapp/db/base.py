"""Declarative base and the column helpers every model uses.

All timestamps are `timestamp with time zone` holding UTC; JSON columns are JSONB with a
server-side default so rows written outside the ORM (seeds, SQL consoles) stay valid.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, server_default=func.gen_random_uuid())


def created_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def updated_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now(), onupdate=func.now())


def json_object(column_name: str | None = None, *, nullable: bool = True) -> Any:
    """A JSONB object column; `column_name` when the attribute name must differ (e.g. `metadata`)."""
    args = (column_name,) if column_name else ()
    return mapped_column(*args, JSONB, server_default=text("'{}'::jsonb"), nullable=nullable)


def json_array(*, nullable: bool = True) -> Any:
    return mapped_column(JSONB, server_default=text("'[]'::jsonb"), nullable=nullable)
