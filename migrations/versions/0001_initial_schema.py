"""Initial schema: every table of the design, row-level security, and the application role.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chatapp.db import grants, policies

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chatapp_agent_packages",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("package_url", sa.String(length=500), nullable=False),
        sa.Column("package_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_point", sa.String(length=255), server_default="agent.py", nullable=True),
        sa.Column("package_size", sa.Integer(), nullable=True),
        sa.Column(
            "capabilities",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "default_config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("documentation", sa.Text(), nullable=True),
        sa.Column("changelog", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("usage_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_agent_packages")),
        sa.UniqueConstraint("slug", name=op.f("uq_chatapp_agent_packages_slug")),
    )
    op.create_table(
        "chatapp_companies",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("primary_color", sa.String(length=7), server_default="#007bff", nullable=True),
        sa.Column("secondary_color", sa.String(length=7), nullable=True),
        sa.Column("custom_domain", sa.String(length=255), nullable=True),
        sa.Column("custom_domain_verified", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("timezone", sa.String(length=50), server_default="UTC", nullable=True),
        sa.Column("locale", sa.String(length=10), server_default="en", nullable=True),
        sa.Column(
            "settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("api_key_hash", sa.String(length=255), nullable=True),
        sa.Column("api_key_prefix", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_companies")),
        sa.UniqueConstraint("custom_domain", name=op.f("uq_chatapp_companies_custom_domain")),
        sa.UniqueConstraint("slug", name=op.f("uq_chatapp_companies_slug")),
    )
    op.create_table(
        "chatapp_rate_limit_records",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("limit_value", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_rate_limit_records")),
    )
    op.create_index(
        "rate_limit_key_window_idx", "chatapp_rate_limit_records", ["key", "window_start"], unique=True
    )
    op.create_table(
        "chatapp_subscription_plans",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("base_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("setup_fee", sa.Numeric(precision=10, scale=2), server_default="0", nullable=True),
        sa.Column("currency", sa.String(length=3), server_default="USD", nullable=True),
        sa.Column("billing_cycle", sa.String(length=20), nullable=False),
        sa.Column(
            "limits",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "features",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_subscription_plans")),
        sa.UniqueConstraint("slug", name=op.f("uq_chatapp_subscription_plans_slug")),
    )
    op.create_table(
        "chatapp_verification_tokens",
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("token", sa.String(length=255), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identifier", "token", name=op.f("pk_chatapp_verification_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_chatapp_verification_tokens_token")),
    )
    op.create_table(
        "chatapp_agents",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("avatar", sa.String(length=500), nullable=True),
        sa.Column("package_id", sa.UUID(), nullable=True),
        sa.Column("custom_package_url", sa.String(length=500), nullable=True),
        sa.Column("custom_package_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "capabilities",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("personality", sa.Text(), nullable=True),
        sa.Column(
            "response_style",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        sa.Column(
            "llm_config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("rag_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column(
            "rag_config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "enabled_tools",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "tool_config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "escalation_rules",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "business_hours",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "fallback_responses",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum("draft", "active", "paused", "archived", name="agent_status"),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("webhook_secret", sa.String(length=64), nullable=True),
        sa.Column("total_conversations", sa.Integer(), server_default="0", nullable=True),
        sa.Column("total_messages", sa.Integer(), server_default="0", nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_agents_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["chatapp_agent_packages.id"],
            name=op.f("fk_chatapp_agents_package_id_chatapp_agent_packages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_agents")),
    )
    op.create_index("agents_company_idx", "chatapp_agents", ["company_id"], unique=False)
    op.create_index("agents_company_status_idx", "chatapp_agents", ["company_id", "status"], unique=False)
    op.create_index("agents_status_idx", "chatapp_agents", ["status"], unique=False)
    op.create_table(
        "chatapp_company_subscriptions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("custom_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("custom_setup_fee", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column(
            "custom_limits",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "trial",
                "active",
                "past_due",
                "grace_period",
                "expired",
                "cancelled",
                name="subscription_status",
            ),
            server_default="trial",
            nullable=False,
        ),
        sa.Column("trial_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grace_period_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grace_period_days", sa.Integer(), server_default="7", nullable=True),
        sa.Column("auto_renew", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_company_subscriptions_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["chatapp_subscription_plans.id"],
            name=op.f("fk_chatapp_company_subscriptions_plan_id_chatapp_subscription_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_company_subscriptions")),
    )
    op.create_index(
        "idx_subscriptions_company_active",
        "chatapp_company_subscriptions",
        ["company_id"],
        unique=False,
        postgresql_where=sa.text("status IN ('active', 'trial')"),
    )
    op.create_index(
        "idx_subscriptions_expires_soon",
        "chatapp_company_subscriptions",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "subscriptions_company_idx", "chatapp_company_subscriptions", ["company_id"], unique=False
    )
    op.create_index(
        "subscriptions_expires_at_idx", "chatapp_company_subscriptions", ["expires_at"], unique=False
    )
    op.create_index("subscriptions_status_idx", "chatapp_company_subscriptions", ["status"], unique=False)
    op.create_table(
        "chatapp_customers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("avatar_url", sa.String(length=500), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "tags",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("total_conversations", sa.Integer(), server_default="0", nullable=True),
        sa.Column("last_conversation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "channel_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_customers_company_id_chatapp_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_customers")),
    )
    op.create_index("customers_company_email_idx", "chatapp_customers", ["company_id", "email"], unique=False)
    op.create_index("customers_company_idx", "chatapp_customers", ["company_id"], unique=False)
    op.create_index("customers_email_idx", "chatapp_customers", ["email"], unique=False)
    op.create_index("customers_phone_idx", "chatapp_customers", ["phone"], unique=False)
    op.create_table(
        "chatapp_knowledge_categories",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_knowledge_categories_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["chatapp_knowledge_categories.id"],
            name=op.f("fk_chatapp_knowledge_categories_parent_id_chatapp_knowledge_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_knowledge_categories")),
    )
    op.create_index("knowledge_cat_company_idx", "chatapp_knowledge_categories", ["company_id"], unique=False)
    op.create_index(
        "knowledge_cat_company_slug_idx", "chatapp_knowledge_categories", ["company_id", "slug"], unique=True
    )
    op.create_table(
        "chatapp_users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("email_verified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("image", sa.String(length=500), nullable=True),
        sa.Column("company_id", sa.UUID(), nullable=True),
        sa.Column(
            "role",
            sa.Enum("master_admin", "company_admin", "support_agent", name="user_role"),
            server_default="support_agent",
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("avatar_url", sa.String(length=500), nullable=True),
        sa.Column(
            "permissions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "ip_allowlist",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_users_company_id_chatapp_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_users")),
        sa.UniqueConstraint("email", name=op.f("uq_chatapp_users_email")),
    )
    op.create_index("users_company_idx", "chatapp_users", ["company_id"], unique=False)
    op.create_index("users_email_idx", "chatapp_users", ["email"], unique=False)
    op.create_index("users_role_idx", "chatapp_users", ["role"], unique=False)
    op.create_table(
        "chatapp_accounts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=False),
        sa.Column("provider_account_id", sa.String(length=255), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.Integer(), nullable=True),
        sa.Column("token_type", sa.String(length=255), nullable=True),
        sa.Column("scope", sa.String(length=255), nullable=True),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.Column("session_state", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_accounts_user_id_chatapp_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_accounts")),
    )
    op.create_index(
        "accounts_provider_idx", "chatapp_accounts", ["provider", "provider_account_id"], unique=False
    )
    op.create_table(
        "chatapp_agent_knowledge_categories",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["chatapp_agents.id"],
            name=op.f("fk_chatapp_agent_knowledge_categories_agent_id_chatapp_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["chatapp_knowledge_categories.id"],
            name=op.f("fk_chatapp_agent_knowledge_categories_category_id_chatapp_knowledge_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_agent_knowledge_categories")),
    )
    op.create_index(
        "agent_knowledge_cat_idx",
        "chatapp_agent_knowledge_categories",
        ["agent_id", "category_id"],
        unique=True,
    )
    op.create_table(
        "chatapp_api_keys",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("key_prefix", sa.String(length=10), nullable=False),
        sa.Column("key_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "permissions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("rate_limit", sa.Integer(), server_default="100", nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_api_keys_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["chatapp_users.id"], name=op.f("fk_chatapp_api_keys_created_by_chatapp_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_api_keys")),
    )
    op.create_index("api_keys_company_idx", "chatapp_api_keys", ["company_id"], unique=False)
    op.create_index("api_keys_hash_idx", "chatapp_api_keys", ["key_hash"], unique=True)
    op.create_index("api_keys_prefix_idx", "chatapp_api_keys", ["key_prefix"], unique=False)
    op.create_table(
        "chatapp_audit_logs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("company_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=50), nullable=True),
        sa.Column("resource_id", sa.UUID(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("success", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_audit_logs_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["chatapp_users.id"], name=op.f("fk_chatapp_audit_logs_user_id_chatapp_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_audit_logs")),
    )
    op.create_index("audit_logs_action_idx", "chatapp_audit_logs", ["action"], unique=False)
    op.create_index("audit_logs_company_idx", "chatapp_audit_logs", ["company_id"], unique=False)
    op.create_index("audit_logs_created_at_idx", "chatapp_audit_logs", ["created_at"], unique=False)
    op.create_index(
        "audit_logs_resource_idx", "chatapp_audit_logs", ["resource_type", "resource_id"], unique=False
    )
    op.create_index("audit_logs_user_idx", "chatapp_audit_logs", ["user_id"], unique=False)
    op.create_index(
        "idx_audit_logs_company_created",
        "chatapp_audit_logs",
        ["company_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "chatapp_canned_responses",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("shortcut", sa.String(length=50), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column(
            "tags",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("is_global", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column(
            "agent_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("usage_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_canned_responses_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_canned_responses_created_by_chatapp_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_canned_responses")),
    )
    op.create_index("canned_responses_category_idx", "chatapp_canned_responses", ["category"], unique=False)
    op.create_index("canned_responses_company_idx", "chatapp_canned_responses", ["company_id"], unique=False)
    op.create_index("canned_responses_shortcut_idx", "chatapp_canned_responses", ["shortcut"], unique=False)
    op.create_table(
        "chatapp_channel_configs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web",
                "whatsapp",
                "telegram",
                "messenger",
                "instagram",
                "slack",
                "teams",
                "custom",
                name="channel_type",
            ),
            nullable=False,
        ),
        sa.Column(
            "credentials",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("webhook_id", sa.String(length=50), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret", sa.String(length=64), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("is_verified", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("last_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["chatapp_agents.id"],
            name=op.f("fk_chatapp_channel_configs_agent_id_chatapp_agents"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_channel_configs_company_id_chatapp_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_channel_configs")),
    )
    op.create_index(
        "channel_config_idx", "chatapp_channel_configs", ["company_id", "agent_id", "channel"], unique=False
    )
    op.create_index("channel_webhook_idx", "chatapp_channel_configs", ["webhook_id"], unique=True)
    op.create_table(
        "chatapp_conversations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("session_token", sa.String(length=255), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web",
                "whatsapp",
                "telegram",
                "messenger",
                "instagram",
                "slack",
                "teams",
                "custom",
                name="channel_type",
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=255), nullable=True),
        sa.Column("customer_name", sa.String(length=255), nullable=True),
        sa.Column("customer_email", sa.String(length=255), nullable=True),
        sa.Column("customer_phone", sa.String(length=50), nullable=True),
        sa.Column(
            "customer_metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active", "waiting_human", "with_human", "resolved", "abandoned", name="conversation_status"
            ),
            server_default="active",
            nullable=False,
        ),
        sa.Column("is_human_agent", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("assigned_agent_id", sa.UUID(), nullable=True),
        sa.Column(
            "context",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("ai_message_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("human_message_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("average_sentiment", sa.Numeric(precision=3, scale=2), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "last_message_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["chatapp_agents.id"], name=op.f("fk_chatapp_conversations_agent_id_chatapp_agents")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_agent_id"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_conversations_assigned_agent_id_chatapp_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_conversations_company_id_chatapp_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_conversations")),
        sa.UniqueConstraint("session_token", name=op.f("uq_chatapp_conversations_session_token")),
    )
    op.create_index("conversations_agent_idx", "chatapp_conversations", ["agent_id"], unique=False)
    op.create_index("conversations_channel_idx", "chatapp_conversations", ["channel"], unique=False)
    op.create_index(
        "conversations_company_agent_idx", "chatapp_conversations", ["company_id", "agent_id"], unique=False
    )
    op.create_index("conversations_company_idx", "chatapp_conversations", ["company_id"], unique=False)
    op.create_index(
        "conversations_last_message_idx", "chatapp_conversations", ["last_message_at"], unique=False
    )
    op.create_index(
        "conversations_session_token_idx", "chatapp_conversations", ["session_token"], unique=False
    )
    op.create_index("conversations_status_idx", "chatapp_conversations", ["status"], unique=False)
    op.create_index(
        "idx_conversations_company_agent_status",
        "chatapp_conversations",
        ["company_id", "agent_id", "status"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "chatapp_daily_analytics",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "web",
                "whatsapp",
                "telegram",
                "messenger",
                "instagram",
                "slack",
                "teams",
                "custom",
                name="channel_type",
            ),
            nullable=True,
        ),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("total_conversations", sa.Integer(), server_default="0", nullable=True),
        sa.Column("new_conversations", sa.Integer(), server_default="0", nullable=True),
        sa.Column("resolved_conversations", sa.Integer(), server_default="0", nullable=True),
        sa.Column("escalated_conversations", sa.Integer(), server_default="0", nullable=True),
        sa.Column("abandoned_conversations", sa.Integer(), server_default="0", nullable=True),
        sa.Column("total_messages", sa.Integer(), server_default="0", nullable=True),
        sa.Column("user_messages", sa.Integer(), server_default="0", nullable=True),
        sa.Column("ai_messages", sa.Integer(), server_default="0", nullable=True),
        sa.Column("human_agent_messages", sa.Integer(), server_default="0", nullable=True),
        sa.Column("avg_response_time", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("avg_conversation_duration", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("avg_messages_per_conversation", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("avg_confidence_score", sa.Numeric(precision=3, scale=2), nullable=True),
        sa.Column("avg_sentiment_score", sa.Numeric(precision=3, scale=2), nullable=True),
        sa.Column("total_tokens_used", sa.Integer(), server_default="0", nullable=True),
        sa.Column("rag_queries_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("avg_rag_relevance", sa.Numeric(precision=3, scale=2), nullable=True),
        sa.Column("estimated_cost", sa.Numeric(precision=10, scale=4), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["chatapp_agents.id"],
            name=op.f("fk_chatapp_daily_analytics_agent_id_chatapp_agents"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_daily_analytics_company_id_chatapp_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_daily_analytics")),
    )
    op.create_index(
        "daily_analytics_agent_date_idx", "chatapp_daily_analytics", ["agent_id", "date"], unique=False
    )
    op.create_index(
        "daily_analytics_company_date_idx", "chatapp_daily_analytics", ["company_id", "date"], unique=False
    )
    op.create_index("daily_analytics_date_idx", "chatapp_daily_analytics", ["date"], unique=False)
    op.create_table(
        "chatapp_invitations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("invited_by", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum("master_admin", "company_admin", "support_agent", name="user_role"),
            server_default="support_agent",
            nullable=False,
        ),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "accepted", "expired", "revoked", name="invitation_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_invitations_accepted_by_chatapp_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_invitations_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["chatapp_users.id"], name=op.f("fk_chatapp_invitations_invited_by_chatapp_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_invitations")),
        sa.UniqueConstraint("token", name=op.f("uq_chatapp_invitations_token")),
    )
    op.create_index("invitations_company_idx", "chatapp_invitations", ["company_id"], unique=False)
    op.create_index("invitations_email_idx", "chatapp_invitations", ["email"], unique=False)
    op.create_index("invitations_status_idx", "chatapp_invitations", ["status"], unique=False)
    op.create_index("invitations_token_idx", "chatapp_invitations", ["token"], unique=False)
    op.create_table(
        "chatapp_knowledge_files",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_path", sa.String(length=500), nullable=False),
        sa.Column("storage_url", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "processing", "indexed", "failed", name="file_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("processing_error", sa.Text(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("qdrant_collection", sa.String(length=255), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("uploaded_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["chatapp_knowledge_categories.id"],
            name=op.f("fk_chatapp_knowledge_files_category_id_chatapp_knowledge_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_knowledge_files_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_knowledge_files_uploaded_by_chatapp_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_knowledge_files")),
    )
    op.create_index(
        "idx_knowledge_files_pending",
        "chatapp_knowledge_files",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("knowledge_files_category_idx", "chatapp_knowledge_files", ["category_id"], unique=False)
    op.create_index("knowledge_files_company_idx", "chatapp_knowledge_files", ["company_id"], unique=False)
    op.create_index("knowledge_files_status_idx", "chatapp_knowledge_files", ["status"], unique=False)
    op.create_table(
        "chatapp_sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("session_token", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_sessions_user_id_chatapp_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_sessions")),
        sa.UniqueConstraint("session_token", name=op.f("uq_chatapp_sessions_session_token")),
    )
    op.create_table(
        "chatapp_support_agent_status",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("online", "busy", "away", "offline", name="support_agent_status"),
            server_default="offline",
            nullable=False,
        ),
        sa.Column("status_message", sa.String(length=255), nullable=True),
        sa.Column("max_concurrent_chats", sa.Integer(), server_default="5", nullable=True),
        sa.Column("current_chat_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column(
            "last_active_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "status_changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_support_agent_status_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_support_agent_status_user_id_chatapp_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_support_agent_status")),
        sa.UniqueConstraint("user_id", name=op.f("uq_chatapp_support_agent_status_user_id")),
    )
    op.create_index(
        "support_agent_status_company_idx", "chatapp_support_agent_status", ["company_id"], unique=False
    )
    op.create_index(
        "support_agent_status_status_idx", "chatapp_support_agent_status", ["status"], unique=False
    )
    op.create_index(
        "support_agent_status_user_idx", "chatapp_support_agent_status", ["user_id"], unique=False
    )
    op.create_table(
        "chatapp_usage_records",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("ai_response_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("token_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("storage_bytes", sa.BigInteger(), server_default="0", nullable=True),
        sa.Column("api_calls", sa.Integer(), server_default="0", nullable=True),
        sa.Column("estimated_cost", sa.Numeric(precision=10, scale=4), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["chatapp_agents.id"], name=op.f("fk_chatapp_usage_records_agent_id_chatapp_agents")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_usage_records_company_id_chatapp_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_usage_records")),
    )
    op.create_index("usage_agent_idx", "chatapp_usage_records", ["agent_id"], unique=False)
    op.create_index(
        "usage_company_period_idx", "chatapp_usage_records", ["company_id", "period_start"], unique=False
    )
    op.create_table(
        "chatapp_webhooks",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column(
            "events",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("max_retries", sa.Integer(), server_default="3", nullable=True),
        sa.Column("retry_delay", sa.Integer(), server_default="1000", nullable=True),
        sa.Column("success_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("failure_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column("last_triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["chatapp_agents.id"], name=op.f("fk_chatapp_webhooks_agent_id_chatapp_agents")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_webhooks_company_id_chatapp_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_webhooks")),
    )
    op.create_index("webhooks_agent_idx", "chatapp_webhooks", ["agent_id"], unique=False)
    op.create_index("webhooks_company_idx", "chatapp_webhooks", ["company_id"], unique=False)
    op.create_table(
        "chatapp_widget_configs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("theme", sa.String(length=20), server_default="light", nullable=True),
        sa.Column("position", sa.String(length=20), server_default="bottom-right", nullable=True),
        sa.Column("primary_color", sa.String(length=7), server_default="#007bff", nullable=True),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("subtitle", sa.String(length=200), nullable=True),
        sa.Column("avatar_url", sa.String(length=500), nullable=True),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("show_branding", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("auto_open", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("auto_open_delay", sa.Integer(), server_default="5000", nullable=True),
        sa.Column("welcome_message", sa.Text(), nullable=True),
        sa.Column("placeholder_text", sa.String(length=200), nullable=True),
        sa.Column("enable_voice", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("enable_file_upload", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("enable_emoji", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("custom_css", sa.Text(), nullable=True),
        sa.Column(
            "allowed_domains",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["chatapp_agents.id"],
            name=op.f("fk_chatapp_widget_configs_agent_id_chatapp_agents"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_widget_configs_company_id_chatapp_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_widget_configs")),
    )
    op.create_index("widget_config_idx", "chatapp_widget_configs", ["company_id", "agent_id"], unique=False)
    op.create_table(
        "chatapp_conversation_notes",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chatapp_conversations.id"],
            name=op.f("fk_chatapp_conversation_notes_conversation_id_chatapp_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_conversation_notes_user_id_chatapp_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_conversation_notes")),
    )
    op.create_index("notes_conversation_idx", "chatapp_conversation_notes", ["conversation_id"], unique=False)
    op.create_table(
        "chatapp_escalations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("assigned_to", sa.UUID(), nullable=True),
        sa.Column("assigned_by", sa.UUID(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("trigger_type", sa.String(length=50), nullable=False),
        sa.Column(
            "trigger_details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "priority",
            sa.Enum("low", "medium", "high", "urgent", name="escalation_priority"),
            server_default="medium",
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "assigned",
                "in_progress",
                "resolved",
                "returned_to_ai",
                "abandoned",
                name="escalation_status",
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("resolution_notes", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wait_time", sa.Integer(), nullable=True),
        sa.Column("handle_time", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["chatapp_agents.id"], name=op.f("fk_chatapp_escalations_agent_id_chatapp_agents")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_escalations_assigned_by_chatapp_users"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"],
            ["chatapp_users.id"],
            name=op.f("fk_chatapp_escalations_assigned_to_chatapp_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_escalations_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chatapp_conversations.id"],
            name=op.f("fk_chatapp_escalations_conversation_id_chatapp_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_escalations")),
    )
    op.create_index("escalations_assigned_to_idx", "chatapp_escalations", ["assigned_to"], unique=False)
    op.create_index("escalations_company_idx", "chatapp_escalations", ["company_id"], unique=False)
    op.create_index(
        "escalations_company_status_idx", "chatapp_escalations", ["company_id", "status"], unique=False
    )
    op.create_index("escalations_conversation_idx", "chatapp_escalations", ["conversation_id"], unique=False)
    op.create_index("escalations_status_idx", "chatapp_escalations", ["status"], unique=False)
    op.create_table(
        "chatapp_knowledge_chunks",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("file_id", sa.UUID(), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=True),
        sa.Column("end_offset", sa.Integer(), nullable=True),
        sa.Column("page_number", sa.Integer(), nullable=True),
        sa.Column("section_title", sa.String(length=255), nullable=True),
        sa.Column("qdrant_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["chatapp_companies.id"],
            name=op.f("fk_chatapp_knowledge_chunks_company_id_chatapp_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["chatapp_knowledge_files.id"],
            name=op.f("fk_chatapp_knowledge_chunks_file_id_chatapp_knowledge_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_knowledge_chunks")),
    )
    op.create_index("knowledge_chunks_company_idx", "chatapp_knowledge_chunks", ["company_id"], unique=False)
    op.create_index("knowledge_chunks_file_idx", "chatapp_knowledge_chunks", ["file_id"], unique=False)
    op.create_index("knowledge_chunks_qdrant_idx", "chatapp_knowledge_chunks", ["qdrant_id"], unique=False)
    op.create_table(
        "chatapp_messages",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("user", "assistant", "system", "human_agent", "tool", name="message_role"),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sender_id", sa.UUID(), nullable=True),
        sa.Column(
            "attachments",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "tool_calls",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("sentiment", sa.Numeric(precision=3, scale=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chatapp_conversations.id"],
            name=op.f("fk_chatapp_messages_conversation_id_chatapp_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["chatapp_users.id"], name=op.f("fk_chatapp_messages_sender_id_chatapp_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatapp_messages")),
    )
    op.create_index(
        "idx_messages_conversation_created",
        "chatapp_messages",
        ["conversation_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_index(
        "messages_conv_created_idx", "chatapp_messages", ["conversation_id", "created_at"], unique=False
    )
    op.create_index("messages_conversation_idx", "chatapp_messages", ["conversation_id"], unique=False)
    op.create_index("messages_created_at_idx", "chatapp_messages", ["created_at"], unique=False)
    op.create_index("messages_role_idx", "chatapp_messages", ["role"], unique=False)

    op.execute(policies.HELPER_FUNCTIONS_SQL)
    # Only the tables created above: a later migration that adds a table applies its policies (0011 on).
    created_here = set(sa.inspect(op.get_bind()).get_table_names())
    for table in (t for t in policies.TABLE_POLICIES if t in created_here):
        for statement in policies.policy_statements(table):
            op.execute(statement)
    for statement in grants.app_role_statements():
        op.execute(statement)


def downgrade() -> None:
    for statement in grants.revoke_app_role_statements():
        op.execute(statement)
    op.drop_index("messages_role_idx", table_name="chatapp_messages")
    op.drop_index("messages_created_at_idx", table_name="chatapp_messages")
    op.drop_index("messages_conversation_idx", table_name="chatapp_messages")
    op.drop_index("messages_conv_created_idx", table_name="chatapp_messages")
    op.drop_index("idx_messages_conversation_created", table_name="chatapp_messages")
    op.drop_table("chatapp_messages")
    op.drop_index("knowledge_chunks_qdrant_idx", table_name="chatapp_knowledge_chunks")
    op.drop_index("knowledge_chunks_file_idx", table_name="chatapp_knowledge_chunks")
    op.drop_index("knowledge_chunks_company_idx", table_name="chatapp_knowledge_chunks")
    op.drop_table("chatapp_knowledge_chunks")
    op.drop_index("escalations_status_idx", table_name="chatapp_escalations")
    op.drop_index("escalations_conversation_idx", table_name="chatapp_escalations")
    op.drop_index("escalations_company_status_idx", table_name="chatapp_escalations")
    op.drop_index("escalations_company_idx", table_name="chatapp_escalations")
    op.drop_index("escalations_assigned_to_idx", table_name="chatapp_escalations")
    op.drop_table("chatapp_escalations")
    op.drop_index("notes_conversation_idx", table_name="chatapp_conversation_notes")
    op.drop_table("chatapp_conversation_notes")
    op.drop_index("widget_config_idx", table_name="chatapp_widget_configs")
    op.drop_table("chatapp_widget_configs")
    op.drop_index("webhooks_company_idx", table_name="chatapp_webhooks")
    op.drop_index("webhooks_agent_idx", table_name="chatapp_webhooks")
    op.drop_table("chatapp_webhooks")
    op.drop_index("usage_company_period_idx", table_name="chatapp_usage_records")
    op.drop_index("usage_agent_idx", table_name="chatapp_usage_records")
    op.drop_table("chatapp_usage_records")
    op.drop_index("support_agent_status_user_idx", table_name="chatapp_support_agent_status")
    op.drop_index("support_agent_status_status_idx", table_name="chatapp_support_agent_status")
    op.drop_index("support_agent_status_company_idx", table_name="chatapp_support_agent_status")
    op.drop_table("chatapp_support_agent_status")
    op.drop_table("chatapp_sessions")
    op.drop_index("knowledge_files_status_idx", table_name="chatapp_knowledge_files")
    op.drop_index("knowledge_files_company_idx", table_name="chatapp_knowledge_files")
    op.drop_index("knowledge_files_category_idx", table_name="chatapp_knowledge_files")
    op.drop_index(
        "idx_knowledge_files_pending",
        table_name="chatapp_knowledge_files",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("chatapp_knowledge_files")
    op.drop_index("invitations_token_idx", table_name="chatapp_invitations")
    op.drop_index("invitations_status_idx", table_name="chatapp_invitations")
    op.drop_index("invitations_email_idx", table_name="chatapp_invitations")
    op.drop_index("invitations_company_idx", table_name="chatapp_invitations")
    op.drop_table("chatapp_invitations")
    op.drop_index("daily_analytics_date_idx", table_name="chatapp_daily_analytics")
    op.drop_index("daily_analytics_company_date_idx", table_name="chatapp_daily_analytics")
    op.drop_index("daily_analytics_agent_date_idx", table_name="chatapp_daily_analytics")
    op.drop_table("chatapp_daily_analytics")
    op.drop_index(
        "idx_conversations_company_agent_status",
        table_name="chatapp_conversations",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("conversations_status_idx", table_name="chatapp_conversations")
    op.drop_index("conversations_session_token_idx", table_name="chatapp_conversations")
    op.drop_index("conversations_last_message_idx", table_name="chatapp_conversations")
    op.drop_index("conversations_company_idx", table_name="chatapp_conversations")
    op.drop_index("conversations_company_agent_idx", table_name="chatapp_conversations")
    op.drop_index("conversations_channel_idx", table_name="chatapp_conversations")
    op.drop_index("conversations_agent_idx", table_name="chatapp_conversations")
    op.drop_table("chatapp_conversations")
    op.drop_index("channel_webhook_idx", table_name="chatapp_channel_configs")
    op.drop_index("channel_config_idx", table_name="chatapp_channel_configs")
    op.drop_table("chatapp_channel_configs")
    op.drop_index("canned_responses_shortcut_idx", table_name="chatapp_canned_responses")
    op.drop_index("canned_responses_company_idx", table_name="chatapp_canned_responses")
    op.drop_index("canned_responses_category_idx", table_name="chatapp_canned_responses")
    op.drop_table("chatapp_canned_responses")
    op.drop_index("idx_audit_logs_company_created", table_name="chatapp_audit_logs")
    op.drop_index("audit_logs_user_idx", table_name="chatapp_audit_logs")
    op.drop_index("audit_logs_resource_idx", table_name="chatapp_audit_logs")
    op.drop_index("audit_logs_created_at_idx", table_name="chatapp_audit_logs")
    op.drop_index("audit_logs_company_idx", table_name="chatapp_audit_logs")
    op.drop_index("audit_logs_action_idx", table_name="chatapp_audit_logs")
    op.drop_table("chatapp_audit_logs")
    op.drop_index("api_keys_prefix_idx", table_name="chatapp_api_keys")
    op.drop_index("api_keys_hash_idx", table_name="chatapp_api_keys")
    op.drop_index("api_keys_company_idx", table_name="chatapp_api_keys")
    op.drop_table("chatapp_api_keys")
    op.drop_index("agent_knowledge_cat_idx", table_name="chatapp_agent_knowledge_categories")
    op.drop_table("chatapp_agent_knowledge_categories")
    op.drop_index("accounts_provider_idx", table_name="chatapp_accounts")
    op.drop_table("chatapp_accounts")
    op.drop_index("users_role_idx", table_name="chatapp_users")
    op.drop_index("users_email_idx", table_name="chatapp_users")
    op.drop_index("users_company_idx", table_name="chatapp_users")
    op.drop_table("chatapp_users")
    op.drop_index("knowledge_cat_company_slug_idx", table_name="chatapp_knowledge_categories")
    op.drop_index("knowledge_cat_company_idx", table_name="chatapp_knowledge_categories")
    op.drop_table("chatapp_knowledge_categories")
    op.drop_index("customers_phone_idx", table_name="chatapp_customers")
    op.drop_index("customers_email_idx", table_name="chatapp_customers")
    op.drop_index("customers_company_idx", table_name="chatapp_customers")
    op.drop_index("customers_company_email_idx", table_name="chatapp_customers")
    op.drop_table("chatapp_customers")
    op.drop_index("subscriptions_status_idx", table_name="chatapp_company_subscriptions")
    op.drop_index("subscriptions_expires_at_idx", table_name="chatapp_company_subscriptions")
    op.drop_index("subscriptions_company_idx", table_name="chatapp_company_subscriptions")
    op.drop_index(
        "idx_subscriptions_expires_soon",
        table_name="chatapp_company_subscriptions",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index(
        "idx_subscriptions_company_active",
        table_name="chatapp_company_subscriptions",
        postgresql_where=sa.text("status IN ('active', 'trial')"),
    )
    op.drop_table("chatapp_company_subscriptions")
    op.drop_index("agents_status_idx", table_name="chatapp_agents")
    op.drop_index("agents_company_status_idx", table_name="chatapp_agents")
    op.drop_index("agents_company_idx", table_name="chatapp_agents")
    op.drop_table("chatapp_agents")
    op.drop_table("chatapp_verification_tokens")
    op.drop_table("chatapp_subscription_plans")
    op.drop_index("rate_limit_key_window_idx", table_name="chatapp_rate_limit_records")
    op.drop_table("chatapp_rate_limit_records")
    op.drop_table("chatapp_companies")
    op.drop_table("chatapp_agent_packages")
    op.execute(policies.DROP_HELPER_FUNCTIONS_SQL)
    for enum_name in ENUM_NAMES:
        op.execute(f"DROP TYPE IF EXISTS {enum_name}")


ENUM_NAMES = (
    "user_role",
    "agent_status",
    "channel_type",
    "conversation_status",
    "message_role",
    "escalation_status",
    "escalation_priority",
    "file_status",
    "subscription_status",
    "invitation_status",
    "support_agent_status",
)
