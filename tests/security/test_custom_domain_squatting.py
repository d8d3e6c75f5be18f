"""Attack: squatting another company's custom domain.

A custom domain was unique across companies from the moment it was typed in, verified or not. So
anyone could sign up, claim `help.bigshop.example` without owning it, and leave the claim
unverified for ever: the real owner was told the domain was taken and could never use it.

Buzzi withstands it: a claim is only a claim. Any number of companies may claim a domain; the one
that proves it with the DNS TXT record gets it, and only a verified domain is unique (a partial
unique index, migration 0013), after which nobody else may claim or verify it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine

from devtools.fake_dns import FakeDns
from tests.integration.http import ApiClient
from tests.integration.stack import KnowledgeTenant, new_tenant


def _domain(company: KnowledgeTenant, method: str, suffix: str = "", body: Any = None) -> Any:
    return company.call(method, f"/v1/companies/me/custom-domain{suffix}", json_body=body)


def test_an_unverified_claim_does_not_block_the_owner(
    owner_engine: Engine, fake_dns: FakeDns, api: ApiClient
) -> None:
    squatter, owner = new_tenant(owner_engine, "Squatter"), new_tenant(owner_engine, "Owner")
    domain = f"help.shop-{uuid.uuid4().hex[:8]}.example"

    assert _domain(squatter, "PUT", body={"domain": domain}).status == 200
    claimed = _domain(owner, "PUT", body={"domain": domain})
    assert claimed.status == 200, f"the owner was refused a domain only squatted: {claimed.body}"

    record = claimed.body["txt_record"]
    fake_dns.set_txt(record["name"], record["value"])  # the owner controls the DNS
    verified = _domain(owner, "POST", "/verify")
    assert verified.status == 200 and verified.body["verified"] is True, verified.body

    # The squatter cannot verify (the record holds the owner's value) nor claim it any more.
    assert _domain(squatter, "POST", "/verify").body["error"]["code"] in {
        "domain_not_verified",
        "domain_taken",
    }
    late = new_tenant(owner_engine, "Late")
    taken = _domain(late, "PUT", body={"domain": domain})
    assert taken.status == 409 and taken.body["error"]["code"] == "domain_taken"


def test_a_verified_domain_stays_with_one_company_even_if_dns_vouches_for_two(
    owner_engine: Engine, fake_dns: FakeDns
) -> None:
    first, second = new_tenant(owner_engine, "First"), new_tenant(owner_engine, "Second")
    domain = f"chat.twice-{uuid.uuid4().hex[:8]}.example"
    records = [
        _domain(company, "PUT", body={"domain": domain}).body["txt_record"] for company in (first, second)
    ]
    assert records[0]["name"] == records[1]["name"]
    fake_dns.set_txt(records[0]["name"], records[0]["value"], records[1]["value"])
    assert _domain(first, "POST", "/verify").status == 200
    refused = _domain(second, "POST", "/verify")
    assert refused.status == 409 and refused.body["error"]["code"] == "domain_taken", refused.body
