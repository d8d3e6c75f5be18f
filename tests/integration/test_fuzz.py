"""A short, fixed-seed profile of `./run fuzz`: every operation of every HTTP function gets a few
generated requests (valid and invalid), through the local runner's in-process invocation, and must
answer without a server error and as its OpenAPI documents.

Unlike `./run fuzz` (its own database, the master admin on platform routes), this runs in the shared
test database, so platform routes are fuzzed as a company admin (who is refused): fuzzing must not
create plans or packages that other tests would then see.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from devtools.fuzz import (
    DEFAULT_SEED,
    call,
    company_credentials,
    findings_text,
    fuzz,
    runner_session,
    summarise,
    table,
    targets,
)
from devtools.template import functions
from tests.integration.stack import LocalAws
from tests.integration.tenant_data import _session_token, create_company, create_platform_rows

EXAMPLES = 3  # per operation and generation mode: about 850 requests, some 20 s here
WIDGET_HOST = "127.0.0.1"


def test_every_http_function_answers_as_documented_under_fuzzing(
    owner_engine: Engine, local_aws: LocalAws, mail_sender: str
) -> None:
    with Session(owner_engine) as db, db.begin():
        company = create_company(db, "Fuzz", create_platform_rows(db))

    def new_admin_session() -> str:
        with Session(owner_engine) as db, db.begin():
            return _session_token(db, company.admin_id)

    specs = functions()
    session = runner_session(specs)
    admin = company.tokens["admin"]
    call(
        session,
        "PUT",
        f"/v1/agents/{company.agent_id}/widget",
        admin,
        json={"allowed_domains": [WIDGET_HOST]},
    )
    credentials = company_credentials(
        session,
        company_admin=admin,
        master_admin=admin,
        new_company_admin_session=new_admin_session,
        widget_agent_id=str(company.agent_id),
        widget_origin=f"http://{WIDGET_HOST}:3000",
    )
    reports = fuzz(targets(specs), session, credentials, examples=EXAMPLES, seed=DEFAULT_SEED)

    summary: dict[str, Any] = {row.function: row for row in summarise(reports)}
    assert len(reports) >= 130 and len(summary) >= 20, table(reports)
    assert all(row.requests >= row.operations for row in summary.values()), table(reports)
    assert sum(report.server_errors for report in reports) == 0, findings_text(reports)
    assert sum(report.schema_breaks for report in reports) == 0, findings_text(reports)
