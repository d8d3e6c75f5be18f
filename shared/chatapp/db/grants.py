"""The application role and its grants, applied by migrations running as the table owner.

The role owns nothing and has no BYPASSRLS, so row-level security always applies to it.
Default privileges make tables created by later migrations reachable without new grants.
"""

from __future__ import annotations

from chatapp.config import get_settings
from chatapp.integrations.secrets import secret_json


def app_role_password() -> str | None:
    """Deployed: the application secret's password (the proxy logs in with it). Locally: none."""
    settings = get_settings()
    if settings.app_db_password:
        return settings.app_db_password
    if settings.database_app_secret_arn:
        password: str = secret_json(settings.database_app_secret_arn)["password"]
        return password
    return None


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def app_role_statements() -> list[str]:
    settings = get_settings()
    role = settings.app_db_role
    if not role.replace("_", "").isalnum():
        raise ValueError(f"unsafe application role name: {role!r}")
    statements = [
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
          END IF;
        END $$;""",
        f"ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        # Migration bookkeeping is the owner's alone.
        f"REVOKE ALL ON TABLE alembic_version FROM {role}",
    ]
    password = app_role_password()
    if password:
        statements.append(f"ALTER ROLE {role} PASSWORD {_quote_literal(password)}")
    return statements


def revoke_app_role_statements() -> list[str]:
    role = get_settings().app_db_role
    return [
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        f" REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
    ]
