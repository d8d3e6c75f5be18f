"""The knowledge API: category tree rules, assignments, plan limits, permissions and tenant walls."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from chatapp.db.tenancy import TenantContext
from chatapp.db.tenancy import tenant_session as open_tenant_session
from chatapp.knowledge import retrieval
from tests.integration.knowledge.conftest import KnowledgeTenant, LocalAws
from tests.integration.knowledge.documents import build


def _error(response, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.body["error"]["code"] == code


def test_category_tree_slugs_and_cycles(tenant: KnowledgeTenant) -> None:
    root = tenant.call("POST", "/v1/knowledge/categories", json_body={"name": "Returns & Refunds"}).body
    assert root["slug"] == "returns-refunds"
    child = tenant.call(
        "POST",
        "/v1/knowledge/categories",
        json_body={"name": "Bikes", "parent_id": root["id"], "sort_order": 2},
    ).body
    grandchild = tenant.call(
        "POST", "/v1/knowledge/categories", json_body={"name": "E-bikes", "parent_id": child["id"]}
    ).body
    _error(
        tenant.call("POST", "/v1/knowledge/categories", json_body={"name": "Returns & refunds"}),
        409,
        "category_slug_taken",
    )
    _error(
        tenant.call(
            "PATCH", f"/v1/knowledge/categories/{root['id']}", json_body={"parent_id": grandchild["id"]}
        ),
        400,
        "category_cycle",
    )
    _error(
        tenant.call("PATCH", f"/v1/knowledge/categories/{root['id']}", json_body={"parent_id": root["id"]}),
        400,
        "category_cycle",
    )
    moved = tenant.call(
        "PATCH", f"/v1/knowledge/categories/{grandchild['id']}", json_body={"parent_id": root["id"]}
    )
    assert moved.status == 200 and moved.body["parent_id"] == root["id"]
    _error(tenant.call("DELETE", f"/v1/knowledge/categories/{root['id']}"), 409, "category_has_children")
    assert tenant.call("DELETE", f"/v1/knowledge/categories/{child['id']}").status == 204
    _error(
        tenant.call("POST", "/v1/knowledge/categories", json_body={"name": "x", "slug": "Not A Slug"}),
        422,
        "invalid_input",
    )
    names = [c["name"] for c in tenant.call("GET", "/v1/knowledge/categories").body]
    assert "Bikes" not in names and {"Returns & Refunds", "E-bikes"} <= set(names)


def test_category_sort_order_must_fit_and_name_and_slug_are_never_null(tenant: KnowledgeTenant) -> None:
    """Found by `./run fuzz`: a sort order past PostgreSQL's integer reached the database and failed
    there (500), as did a null name or slug on update."""
    for body in (
        {"name": "Huge", "sort_order": 2**31},
        {"name": "Tiny", "sort_order": -(2**31) - 1},
    ):
        _error(tenant.call("POST", "/v1/knowledge/categories", json_body=body), 422, "invalid_input")
    made = tenant.call(
        "POST", "/v1/knowledge/categories", json_body={"name": "Fits", "sort_order": 2**31 - 1}
    )
    assert made.status == 201, made.body
    for patch in ({"sort_order": 2**40}, {"name": None}, {"slug": None}):
        _error(
            tenant.call("PATCH", f"/v1/knowledge/categories/{made.body['id']}", json_body=patch),
            422,
            "invalid_input",
        )


def test_category_with_files_cannot_be_deleted(tenant: KnowledgeTenant, local_aws: LocalAws) -> None:
    category = tenant.category("Kept")
    tenant.upload(category, "kept.txt", b"Something worth keeping.\n")
    _error(tenant.call("DELETE", f"/v1/knowledge/categories/{category}"), 409, "category_has_files")


def test_support_agent_needs_the_knowledge_permission(tenant: KnowledgeTenant) -> None:
    token = tenant.data.tokens["support"]
    _error(tenant.call("GET", "/v1/knowledge/categories", token=token), 403, "permission_denied")
    _error(
        tenant.call("POST", "/v1/knowledge/categories", token=token, json_body={"name": "x"}),
        403,
        "permission_denied",
    )


def test_uploads_are_checked_against_type_size_and_storage_quota(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_session: Session
) -> None:
    category = tenant.category("Limits")
    owner_session.execute(
        text(
            "UPDATE chatapp_company_subscriptions SET custom_limits = "
            '\'{"maxFileSize": 1000, "storageGb": 0.0000015}\' WHERE company_id = :c'
        ),
        {"c": tenant.data.company_id},
    )
    owner_session.commit()
    request = {"category_id": category, "filename": "notes.md", "size": 500}
    _error(
        tenant.call("POST", "/v1/knowledge/files/uploads", json_body={**request, "filename": "run.exe"}),
        400,
        "unsupported_file_type",
    )
    _error(
        tenant.call("POST", "/v1/knowledge/files/uploads", json_body={**request, "size": 5000}),
        402,
        "file_too_large",
    )
    assert tenant.call("POST", "/v1/knowledge/files/uploads", json_body=request).status == 201
    # 0.0000015 GB is 1610 bytes: announced sizes of earlier uploads (and the fixture's 10-byte file) count.
    assert tenant.call("POST", "/v1/knowledge/files/uploads", json_body=request).status == 201
    _error(
        tenant.call("POST", "/v1/knowledge/files/uploads", json_body={**request, "size": 900}),
        402,
        "storage_quota_exceeded",
    )
    usage = tenant.call("GET", "/v1/knowledge/usage").body
    assert usage["stored_bytes"] == 1010 and usage["max_file_size"] == 1000


def test_confirming_before_the_upload_is_a_conflict(tenant: KnowledgeTenant, local_aws: LocalAws) -> None:
    category = tenant.category("Early")
    ticket = tenant.call(
        "POST",
        "/v1/knowledge/files/uploads",
        json_body={"category_id": category, "filename": "early.md", "size": 10},
    ).body
    _error(tenant.call("POST", f"/v1/knowledge/files/{ticket['file']['id']}/confirm"), 409, "upload_missing")


def test_direct_upload_and_listing(tenant: KnowledgeTenant, local_aws: LocalAws) -> None:
    category = tenant.category("Direct")
    response = tenant.call(
        "POST",
        f"/v1/knowledge/files?category_id={category}&filename=faq.md",
        raw_body=build("md", "FAQ", [("Hours", "We are open from nine to five.")]),
        headers={"content-type": "text/markdown"},
    )
    assert response.status == 202, response.body
    local_aws.drain()
    listed = tenant.call("GET", f"/v1/knowledge/files?category_id={category}").body
    assert [f["original_filename"] for f in listed["items"]] == ["faq.md"]
    assert listed["items"][0]["status"] == "indexed"
    assert tenant.call("GET", "/v1/knowledge/files?status=failed&limit=1").status == 200
    _error(tenant.call("GET", "/v1/knowledge/files?cursor=garbage"), 400, "invalid_cursor")


def test_company_b_never_retrieves_company_a_chunks(
    tenant: KnowledgeTenant, other_tenant: KnowledgeTenant, local_aws: LocalAws
) -> None:
    secret = f"ORCHID{uuid.uuid4().hex[:6].upper()}"
    category_a = tenant.category("Secrets")
    tenant.assign(category_a)
    tenant.upload(
        category_a, "secret.md", build("md", "Vault", [("Code", f"The vault door code is {secret}.")])
    )
    local_aws.drain()
    assert any(secret in r["text"] for r in tenant.retrieve(f"vault door code {secret}"))

    # B cannot attach A's category to its agent: the id is unknown to B.
    response = other_tenant.call(
        "PUT",
        f"/v1/agents/{other_tenant.data.agent_id}/knowledge-categories",
        json_body={"category_ids": [category_a]},
    )
    _error(response, 404, "category_not_found")
    # Nor read A's agent, or A's files.
    _error(
        other_tenant.call(
            "POST", f"/v1/agents/{tenant.data.agent_id}/retrieval-test", json_body={"query": "vault"}
        ),
        404,
        "agent_not_found",
    )
    # Even a buggy caller passing A's category ids, or A's company id, from B's context gets nothing.
    context_b = TenantContext.company_service(other_tenant.data.company_id)
    with open_tenant_session(context_b) as db:
        for company in (other_tenant.data.company_id, tenant.data.company_id):
            leaked = retrieval.search(
                db, company, [uuid.UUID(category_a)], f"vault door code {secret}", limit=10
            )
            assert leaked == []


def test_the_monthly_usage_row_records_the_stored_bytes_as_files_come_and_go(
    tenant: KnowledgeTenant, local_aws: LocalAws, owner_engine: Engine
) -> None:
    """Storage is metered as a level (what is stored now), not a count: deleting a file lowers it."""

    def metered() -> int | None:
        with owner_engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT storage_bytes FROM chatapp_usage_records WHERE company_id = :c"
                    " AND agent_id IS NULL AND period_start <= now() AND period_end > now()"
                ),
                {"c": tenant.data.company_id},
            ).scalar_one_or_none()

    def stored() -> int:
        return tenant.call("GET", "/v1/knowledge/usage").body["stored_bytes"]

    category = tenant.category("Metered")
    before = stored()
    first = tenant.upload(category, "first.txt", b"a" * 300)
    assert metered() == stored() == before + 300
    second = tenant.upload(category, "second.txt", b"b" * 200)
    assert metered() == stored() == before + 500
    local_aws.drain()
    assert tenant.call("DELETE", f"/v1/knowledge/files/{first}").status == 204
    assert metered() == stored() == before + 200
    assert tenant.call("DELETE", f"/v1/knowledge/files/{second}").status == 204
    assert metered() == stored() == before
