"""Attack: a widget visitor claims to be another customer.

The widget's `customer` object comes from the visitor's browser, so anyone can send another
customer's `external_id` or e-mail address. Before the fix, Buzzi matched that claim to the existing
profile, linked the conversation to it (its history and metadata) and overwrote the profile's name,
e-mail and phone with the visitor's values.

Now a company's site signs the visitor's identity with the company's identity secret
(`user_hash = hex(HMAC-SHA256(secret, external_id))`, or over the lower-cased e-mail when there is no
external id). With `require_identity_verification` on (the default for new companies), only a valid
signature links or updates a profile; with it off (companies that existed before), a claim may still
link but never overwrites what the profile already holds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.db.enums import AgentStatus
from chatapp.db.models.agents import Agent
from chatapp.db.models.channels import WidgetConfig
from chatapp.db.models.conversations import Conversation, Customer
from chatapp.db.models.core import Company, User
from chatapp.integrations.secret_box import is_sealed
from devtools.template import ROOT
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.stack import LocalAws, new_tenant
from tests.integration.tenant_data import Tenants, _session_token

SITE = "https://shop.example.com"
VICTIM = {"external_id": "user-42", "email": "victim@shop.example", "name": "Victim", "phone": "+1 555 0100"}
MALLORY = {"name": "Mallory", "email": "mallory@evil.example", "phone": "+1 555 0666"}


def sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


@dataclass
class Site:
    """A company's site with the chat widget, its admin's console session, and a victim profile."""

    api: ApiClient
    company_id: uuid.UUID
    agent_id: uuid.UUID
    admin_token: str
    victim_id: uuid.UUID
    support_token: str | None = None

    def visit(self, customer: dict[str, Any] | None) -> uuid.UUID:
        response = self.api.request(
            "POST",
            f"/v1/widget/agents/{self.agent_id}/conversations",
            json_body={"customer": customer} if customer is not None else {},
            headers={"origin": SITE},
        )
        assert response.status == 201, response.body
        return uuid.UUID(response.body["conversation_id"])

    def admin(self, method: str, path: str, body: Any = None) -> ApiResponse:
        return self.api.request(method, path, token=self.admin_token, json_body=body)

    def require_verification(self, on: bool = True) -> None:
        response = self.admin("PATCH", "/v1/companies/me", {"require_identity_verification": on})
        assert response.status == 200, response.body
        assert response.body["require_identity_verification"] is on

    def rotate_secret(self) -> str:
        response = self.admin("POST", "/v1/companies/me/identity-secret")
        assert response.status == 201, response.body
        secret: str = response.body["identity_secret"]
        return secret


def _add_victim(db: Session, company_id: uuid.UUID, **fields: Any) -> uuid.UUID:
    victim = Customer(company_id=company_id, metadata_={"plan": "gold"}, **{**VICTIM, **fields})
    db.add(victim)
    db.flush()
    return victim.id


@pytest.fixture
def existing_site(owner_session: Session, local_aws: LocalAws) -> Site:
    """A company that existed before identity verification: the setting is off."""
    tenant = new_tenant(owner_session.get_bind(), "Legacy")  # type: ignore[arg-type]
    saved = tenant.call(
        "PUT",
        f"/v1/agents/{tenant.data.agent_id}/widget",
        json_body={"allowed_domains": ["shop.example.com"]},
    )
    assert saved.status == 200, saved.body
    victim_id = _add_victim(owner_session, tenant.data.company_id)
    owner_session.commit()
    return Site(
        tenant.api,
        tenant.data.company_id,
        tenant.data.agent_id,
        tenant.token,
        victim_id,
        tenant.data.tokens["support"],
    )


@pytest.fixture
def new_site(api: ApiClient, tenants: Tenants, owner_session: Session, local_aws: LocalAws) -> Site:
    """A company created today by a master admin (the console's admin screen), as it comes."""
    slug = f"fresh-{uuid.uuid4().hex[:8]}"
    created = api.request(
        "POST",
        "/v1/admin/companies",
        token=tenants.master_admin_token,
        json_body={"name": "Fresh Co", "slug": slug, "admin_email": f"admin@{slug}.example"},
    )
    assert created.status == 201, created.body
    company_id = uuid.UUID(created.body["company"]["id"])
    admin_id = owner_session.scalar(select(User.id).where(User.company_id == company_id))
    assert admin_id is not None
    token = _session_token(owner_session, admin_id)
    agent = Agent(company_id=company_id, name="Fresh bot", status=AgentStatus.ACTIVE)
    owner_session.add(agent)
    owner_session.flush()
    owner_session.add(
        WidgetConfig(company_id=company_id, agent_id=agent.id, allowed_domains=["shop.example.com"])
    )
    victim_id = _add_victim(owner_session, company_id)
    owner_session.commit()
    return Site(api, company_id, agent.id, token, victim_id)


def _linked(db: Session, conversation_id: uuid.UUID) -> str | None:
    db.expire_all()
    conversation = db.get(Conversation, conversation_id)
    assert conversation is not None
    return conversation.customer_id


def _victim(db: Session, site: Site) -> dict[str, Any]:
    db.expire_all()
    victim = db.get(Customer, site.victim_id)
    assert victim is not None
    return {
        "external_id": victim.external_id,
        "email": victim.email,
        "name": victim.name,
        "phone": victim.phone,
        "metadata": victim.metadata_,
    }


UNTOUCHED = {**VICTIM, "metadata": {"plan": "gold"}}


def test_unsigned_claims_are_ignored_when_verification_is_required(
    new_site: Site, owner_session: Session
) -> None:
    """(a) New companies require verification: claiming a customer's id or e-mail gets nothing."""
    by_id = new_site.visit({"external_id": VICTIM["external_id"], **MALLORY, "metadata": {"plan": "free"}})
    by_email = new_site.visit({"email": VICTIM["email"], "name": "Mallory", "phone": MALLORY["phone"]})
    assert _linked(owner_session, by_id) is None, "an unsigned external_id linked the visitor to the victim"
    assert _linked(owner_session, by_email) is None, "an unsigned e-mail linked the visitor to the victim"
    assert _victim(owner_session, new_site) == UNTOUCHED, "the visitor rewrote the victim's profile"
    # The visitor stays anonymous: the claimed details are not shown to agents as the customer's either.
    conversation = owner_session.get(Conversation, by_id)
    assert conversation is not None
    assert conversation.customer_email is None and conversation.customer_name is None
    assert owner_session.scalar(select(Customer.id).where(Customer.email == MALLORY["email"])) is None


def test_a_valid_signature_links_the_profile(existing_site: Site, owner_session: Session) -> None:
    """(b) The site signs the external id (or, without one, the e-mail): the visitor is the customer."""
    existing_site.require_verification()
    secret = existing_site.rotate_secret()
    signed = existing_site.visit(
        {"external_id": VICTIM["external_id"], "name": "Victim Renamed", "user_hash": sign(secret, "user-42")}
    )
    assert _linked(owner_session, signed) == str(existing_site.victim_id)
    assert _victim(owner_session, existing_site)["name"] == "Victim Renamed"  # verified: updates are allowed
    by_email = existing_site.visit(
        {"email": "Victim@Shop.Example", "user_hash": sign(secret, VICTIM["email"].lower())}
    )
    assert _linked(owner_session, by_email) == str(existing_site.victim_id)


def test_a_wrong_or_outdated_signature_is_ignored(existing_site: Site, owner_session: Session) -> None:
    """(c) A hash of something else, a made-up hash (hexadecimal or not), or one made with the secret
    before rotation."""
    existing_site.require_verification()
    old = existing_site.rotate_secret()
    current = existing_site.rotate_secret()
    assert old != current
    claims = [
        {"external_id": "user-42", **MALLORY, "user_hash": sign(current, "user-43")},
        {"external_id": "user-42", **MALLORY, "user_hash": "0" * 64},
        {"external_id": "user-42", **MALLORY, "user_hash": sign(old, "user-42")},
        {"external_id": "user-42", **MALLORY, "user_hash": sign(current, VICTIM["email"])},  # the e-mail's
        {"email": VICTIM["email"], "name": "Mallory", "user_hash": sign(current, "user-42")},
        # Found by `./run fuzz`: a hash that is not even ASCII made the comparison raise (500).
        {"external_id": "user-42", **MALLORY, "user_hash": "é" * 64},
    ]
    for claim in claims:
        assert _linked(owner_session, existing_site.visit(claim)) is None, claim
    assert _victim(owner_session, existing_site) == UNTOUCHED


def test_without_verification_a_claim_links_but_never_overwrites(
    existing_site: Site, owner_session: Session
) -> None:
    """(d) Existing integrations keep linking, but an unsigned claim only fills what is empty."""
    victim = owner_session.get(Customer, existing_site.victim_id)
    assert victim is not None
    victim.phone = None
    owner_session.commit()
    linked = existing_site.visit(
        {"external_id": "user-42", **MALLORY, "metadata": {"plan": "free", "referrer": "ad"}}
    )
    assert _linked(owner_session, linked) == str(existing_site.victim_id)
    profile = _victim(owner_session, existing_site)
    assert (profile["name"], profile["email"]) == (VICTIM["name"], VICTIM["email"]), (
        "an unsigned claim overwrote the victim's name and e-mail"
    )
    assert profile["phone"] == MALLORY["phone"]  # an empty field may be filled
    assert profile["metadata"] == {"plan": "gold", "referrer": "ad"}


def test_another_companys_secret_does_not_sign(
    existing_site: Site, new_site: Site, owner_session: Session
) -> None:
    """(e) Identity secrets are per company: B's secret signs nothing for A."""
    existing_site.require_verification()
    existing_site.rotate_secret()
    their_secret = new_site.rotate_secret()
    forged = existing_site.visit(
        {"external_id": "user-42", **MALLORY, "user_hash": sign(their_secret, "user-42")}
    )
    assert _linked(owner_session, forged) is None
    assert _victim(owner_session, existing_site) == UNTOUCHED
    # ...while it does sign for B itself.
    own = new_site.visit({"external_id": "user-42", "user_hash": sign(their_secret, "user-42")})
    assert _linked(owner_session, own) == str(new_site.victim_id)


def test_the_secret_is_shown_once_and_stored_sealed(existing_site: Site, owner_session: Session) -> None:
    secret = existing_site.rotate_secret()
    company = existing_site.admin("GET", "/v1/companies/me").body
    patched = existing_site.admin("PATCH", "/v1/companies/me", {"name": "Legacy Co"}).body
    for body in (company, patched):
        assert secret not in str(body)
    assert patched["identity_secret_set"] is True and patched["require_identity_verification"] is False
    owner_session.expire_all()
    row = owner_session.get(Company, existing_site.company_id)
    assert row is not None and is_sealed(row.identity_secret) and secret not in row.identity_secret
    # Only company admins rotate it.
    support = existing_site.api.request(
        "POST", "/v1/companies/me/identity-secret", token=existing_site.support_token
    )
    assert support.status == 403, support.body


def _readme_block(language: str) -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Identity verification", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match, f"the README's Identity verification section has no {language} block"
    return match.group(1)


def test_the_readmes_python_signing_links_the_profile(existing_site: Site, owner_session: Session) -> None:
    """The documented server-side snippet, run as written, signs identities the widget API accepts."""
    namespace: dict[str, Any] = {}
    exec(compile(_readme_block("python"), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    buzzi_user_hash = namespace["buzzi_user_hash"]
    existing_site.require_verification()
    secret = existing_site.rotate_secret()
    by_id = existing_site.visit({"external_id": "user-42", "user_hash": buzzi_user_hash(secret, "user-42")})
    assert _linked(owner_session, by_id) == str(existing_site.victim_id)
    by_email = existing_site.visit(
        {"email": " Victim@Shop.example", "user_hash": buzzi_user_hash(secret, email=" Victim@Shop.example")}
    )
    assert _linked(owner_session, by_email) == str(existing_site.victim_id)
    # The Node.js snippet computes the same hash (checked where Node.js is installed; Buzzi needs none).
    node = shutil.which("node")
    if node:
        script = (
            _readme_block("javascript") + f"\nprocess.stdout.write(buzziUserHash({secret!r}, 'user-42'));"
        )
        result = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
        assert result.stdout == buzzi_user_hash(secret, "user-42")
