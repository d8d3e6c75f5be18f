"""Row-level security: every table's policy, decided in this one place.

The application connects as a role that neither owns the tables nor has BYPASSRLS, and
every table has ROW LEVEL SECURITY enabled and forced. What a transaction may see is set
by three transaction-local settings (see `chatapp.db.tenancy`):

    app.current_company_id   the tenant
    app.current_user_id      the signed-in user, if any
    app.user_role            master_admin | company_admin | support_agent | company_service | system

Company isolation is a RESTRICTIVE policy: PostgreSQL ORs permissive policies together, so a
permissive "role" policy could otherwise widen access across companies (the flaw in the
design's sample). Role policies are permissive and can only narrow what isolation allows.
Settings are read with `current_setting(name, true)` and NULLIF(..., '') because a pooled
connection keeps '' after a transaction-local setting ends: a missing context yields no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Access(StrEnum):
    COMPANY = "company"  # has company_id; tenants read and write their own rows
    COMPANY_READ_ONLY = "company_read_only"  # tenants read their own rows; platform writes
    COMPANY_ROOT = "company_root"  # the companies table itself: id is the tenant
    USERS = "users"  # users: own company's users, or yourself
    CONVERSATIONS = "conversations"  # company isolation + support agents see assigned/unassigned
    VIA_CONVERSATION = "via_conversation"  # visible when the parent conversation is
    COMPANY_VIA_CONVERSATION = "company_via_conversation"  # has company_id, and follows its conversation
    VIA_AGENT = "via_agent"  # visible when the parent agent (and category) is
    OWN_USER = "own_user"  # rows of the signed-in user only
    CATALOGUE = "catalogue"  # platform catalogue: any context reads, master admins write
    SYSTEM_ONLY = "system_only"  # platform bookkeeping: only the system context


@dataclass(frozen=True)
class TablePolicy:
    access: Access
    why: str


TABLE_POLICIES: dict[str, TablePolicy] = {
    "chatapp_companies": TablePolicy(Access.COMPANY_ROOT, "a tenant sees its own company row"),
    "chatapp_users": TablePolicy(Access.USERS, "colleagues of the same company, and yourself"),
    "chatapp_accounts": TablePolicy(Access.OWN_USER, "OAuth tokens belong to one user"),
    "chatapp_sessions": TablePolicy(Access.OWN_USER, "a user may list and end their own sessions"),
    "chatapp_verification_tokens": TablePolicy(Access.SYSTEM_ONLY, "used before anyone is signed in"),
    "chatapp_agent_packages": TablePolicy(Access.CATALOGUE, "platform catalogue of agent code"),
    "chatapp_agents": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_agent_knowledge_categories": TablePolicy(Access.VIA_AGENT, "no company_id: follows its agent"),
    "chatapp_conversations": TablePolicy(Access.CONVERSATIONS, "support agents see assigned or unassigned"),
    "chatapp_messages": TablePolicy(Access.VIA_CONVERSATION, "no company_id: follows its conversation"),
    "chatapp_conversation_notes": TablePolicy(Access.VIA_CONVERSATION, "follows its conversation"),
    "chatapp_escalations": TablePolicy(
        Access.COMPANY_VIA_CONVERSATION, "company data, and follows its conversation"
    ),
    "chatapp_customers": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_knowledge_categories": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_knowledge_files": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_knowledge_chunks": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_knowledge_term_stats": TablePolicy(Access.COMPANY, "company data: BM25 statistics per company"),
    "chatapp_subscription_plans": TablePolicy(Access.CATALOGUE, "public price list"),
    "chatapp_company_subscriptions": TablePolicy(
        Access.COMPANY_READ_ONLY, "a company must not extend its own subscription"
    ),
    "chatapp_usage_records": TablePolicy(Access.COMPANY_READ_ONLY, "metered by the platform"),
    "chatapp_channel_configs": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_widget_configs": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_api_keys": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_webhooks": TablePolicy(Access.COMPANY, "company data"),
    # Tenants insert in the transaction of the change; the relay reads and deletes as the system.
    "chatapp_webhook_outbox": TablePolicy(Access.COMPANY, "events emitted in the tenant's transaction"),
    "chatapp_daily_analytics": TablePolicy(Access.COMPANY_READ_ONLY, "written by the rollup schedule"),
    "chatapp_audit_logs": TablePolicy(Access.COMPANY, "company rows; platform rows (no company) for admins"),
    "chatapp_rate_limit_records": TablePolicy(Access.SYSTEM_ONLY, "keys span tenants and anonymous IPs"),
    "chatapp_invitations": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_canned_responses": TablePolicy(Access.COMPANY, "company data"),
    "chatapp_support_agent_status": TablePolicy(Access.COMPANY, "company data"),
    # Sockets are opened and closed before any tenant is known: $connect reads the ticket in the
    # company its prefix names (a forged prefix finds nothing); $disconnect deletes as the system.
    "chatapp_realtime_tickets": TablePolicy(Access.COMPANY, "company data: one-time socket tickets"),
    "chatapp_realtime_connections": TablePolicy(Access.COMPANY, "company data: open sockets"),
    "chatapp_realtime_outbox": TablePolicy(Access.COMPANY, "company data: inbox events awaiting delivery"),
    "chatapp_test_runs": TablePolicy(Access.COMPANY, "company data: an agent's test runs"),
    "chatapp_knowledge_sources": TablePolicy(
        Access.COMPANY, "company data: websites and help centres kept in sync"
    ),
    "chatapp_source_syncs": TablePolicy(Access.COMPANY, "company data: each sync of a knowledge source"),
    "chatapp_source_sync_items": TablePolicy(Access.COMPANY, "company data: the pages one sync visited"),
    "chatapp_crawl_hosts": TablePolicy(
        Access.SYSTEM_ONLY, "politeness per host, shared by every company's crawls"
    ),
    "chatapp_test_run_results": TablePolicy(Access.COMPANY, "company data: a test run's answers and grades"),
    "chatapp_regression_questions": TablePolicy(Access.COMPANY, "company data: an agent's regression set"),
    "chatapp_question_vectors": TablePolicy(Access.COMPANY, "company data: customers' question embeddings"),
    "chatapp_content_gap_topics": TablePolicy(
        Access.COMPANY, "company data: topics of poorly answered questions"
    ),
    "chatapp_knowledge_drafts": TablePolicy(Access.COMPANY, "company data: knowledge articles being written"),
    "chatapp_reply_suggestions": TablePolicy(
        Access.COMPANY_VIA_CONVERSATION,
        "company data: the copilot's suggestions, seen with their conversation",
    ),
}

# SQL helpers created by the migration; policies call them so they read like sentences.
HELPER_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION chatapp_current_company_id() RETURNS uuid
  LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.current_company_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION chatapp_current_user_id() RETURNS uuid
  LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.current_user_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION chatapp_current_role() RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.user_role', true), '') $$;
CREATE OR REPLACE FUNCTION chatapp_is_platform() RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT coalesce(chatapp_current_role() IN ('master_admin', 'system'), false) $$;
"""

DROP_HELPER_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS chatapp_is_platform();
DROP FUNCTION IF EXISTS chatapp_current_role();
DROP FUNCTION IF EXISTS chatapp_current_user_id();
DROP FUNCTION IF EXISTS chatapp_current_company_id();
"""

_PLATFORM = "chatapp_is_platform()"
_OWN_COMPANY = f"company_id = chatapp_current_company_id() OR {_PLATFORM}"


@dataclass(frozen=True)
class Policy:
    name: str
    condition: str
    command: str = "ALL"
    restrictive: bool = False

    def create_sql(self, table: str) -> str:
        kind = "RESTRICTIVE" if self.restrictive else "PERMISSIVE"
        clauses = []
        if self.command != "INSERT":
            clauses.append(f"USING ({self.condition})")
        if self.command in ("ALL", "INSERT", "UPDATE"):
            clauses.append(f"WITH CHECK ({self.condition})")
        head = f"CREATE POLICY {self.name} ON {table} AS {kind} FOR {self.command} TO PUBLIC"
        return f"{head} {' '.join(clauses)};"


_ISOLATION = Policy("company_isolation", _OWN_COMPANY, restrictive=True)
_VIA_CONVERSATION = Policy(
    "conversation_access", "EXISTS (SELECT 1 FROM chatapp_conversations c WHERE c.id = conversation_id)"
)
_PLATFORM_WRITES = [
    Policy("platform_insert", _PLATFORM, "INSERT"),
    Policy("platform_update", _PLATFORM, "UPDATE"),
    Policy("platform_delete", _PLATFORM, "DELETE"),
]

POLICIES: dict[Access, list[Policy]] = {
    Access.COMPANY: [_ISOLATION, Policy("company_access", "true")],
    Access.COMPANY_READ_ONLY: [_ISOLATION, Policy("company_read", "true", "SELECT"), *_PLATFORM_WRITES],
    Access.COMPANY_ROOT: [
        Policy("company_isolation", f"id = chatapp_current_company_id() OR {_PLATFORM}", restrictive=True),
        Policy("company_read", "true", "SELECT"),
        Policy("company_admin_update", f"chatapp_current_role() = 'company_admin' OR {_PLATFORM}", "UPDATE"),
        *(p for p in _PLATFORM_WRITES if p.command != "UPDATE"),
    ],
    Access.USERS: [
        Policy("company_isolation", f"{_OWN_COMPANY} OR id = chatapp_current_user_id()", restrictive=True),
        Policy("company_access", "true"),
    ],
    Access.CONVERSATIONS: [
        _ISOLATION,
        Policy(
            "staff_access", f"{_PLATFORM} OR chatapp_current_role() IN ('company_admin', 'company_service')"
        ),
        Policy(
            "support_agent_access",
            "chatapp_current_role() = 'support_agent' AND "
            "(assigned_agent_id = chatapp_current_user_id() OR assigned_agent_id IS NULL)",
        ),
    ],
    Access.VIA_CONVERSATION: [_VIA_CONVERSATION],
    Access.COMPANY_VIA_CONVERSATION: [_ISOLATION, _VIA_CONVERSATION],
    Access.VIA_AGENT: [
        Policy(
            "agent_access",
            "EXISTS (SELECT 1 FROM chatapp_agents a WHERE a.id = agent_id) AND "
            "EXISTS (SELECT 1 FROM chatapp_knowledge_categories k WHERE k.id = category_id)",
        )
    ],
    Access.OWN_USER: [
        Policy("own_rows", "user_id = chatapp_current_user_id() OR chatapp_current_role() = 'system'")
    ],
    Access.CATALOGUE: [
        Policy("any_context_reads", "chatapp_current_role() IS NOT NULL", "SELECT"),
        *_PLATFORM_WRITES,
    ],
    Access.SYSTEM_ONLY: [Policy("system_only", "chatapp_current_role() = 'system'")],
}


def policy_statements(table: str) -> list[str]:
    """The SQL that enables, forces and defines row-level security for one table."""
    policies = POLICIES[TABLE_POLICIES[table].access]
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY;",
        *(policy.create_sql(table) for policy in policies),
    ]


__all__ = [
    "DROP_HELPER_FUNCTIONS_SQL",
    "HELPER_FUNCTIONS_SQL",
    "POLICIES",
    "TABLE_POLICIES",
    "Access",
    "Policy",
    "TablePolicy",
    "policy_statements",
]
