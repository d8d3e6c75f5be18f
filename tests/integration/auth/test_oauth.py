"""Sign in with Google (authorization code + PKCE + nonce) against a loopback OpenID provider."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp.db.models.core import Account, User
from devtools.fake_oidc import FakeOidcProvider
from tests.integration.auth.conftest import (
    REDIRECT_URI,
    AuthApi,
    Authorization,
    audit_rows,
    unique_email,
)
from tests.integration.http import ApiResponse
from tests.integration.tenant_data import CompanyData


def _start(api: AuthApi) -> Authorization:
    started = api.get(f"/v1/auth/oauth/google/start?redirect_uri={REDIRECT_URI}")
    assert started.status == 200, started.body
    authorization = Authorization.parse(started.body["authorization_url"])
    assert authorization.state == started.body["state"] and authorization.redirect_uri == REDIRECT_URI
    return authorization


def _sign_in(
    api: AuthApi, oidc: FakeOidcProvider, email: str, subject: str, **code_options: Any
) -> ApiResponse:
    """start -> the provider issues a code (the user agreed) -> callback with code and state."""
    authorization = _start(api)
    options = {
        "nonce": authorization.nonce,
        "code_challenge": authorization.code_challenge,
        "redirect_uri": authorization.redirect_uri,
        **code_options,
    }
    code = oidc.register_code(email=email, subject=subject, **options)
    return api.post("/v1/auth/oauth/google/callback", {"code": code, "state": authorization.state})


def _accounts(db: Session, user_id: uuid.UUID) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Account).where(Account.user_id == user_id))


def test_google_sign_in_links_the_account_then_reuses_it(
    auth_api: AuthApi, oidc: FakeOidcProvider, company: CompanyData, owner_session: Session
) -> None:
    user = owner_session.get(User, company.support_agent_id)
    subject = f"google-{uuid.uuid4().hex}"
    first = _sign_in(auth_api, oidc, user.email, subject)
    assert first.status == 200, first.body
    assert first.body["user"]["id"] == str(user.id) and first.body["user"]["email_verified"] is not None
    assert first.headers.get("cache-control") == "no-store"
    me = auth_api.get("/v1/auth/session", token=first.body["session_token"])
    assert me.status == 200 and me.body["role"] == "support_agent"
    account = owner_session.scalar(select(Account).where(Account.provider_account_id == subject))
    assert account.user_id == user.id and account.provider == "google" and account.access_token is None

    # The provider's exchange carried the PKCE verifier and the client's credentials.
    exchange = oidc.token_requests[-1]
    assert exchange["code_verifier"] and exchange["client_secret"] == oidc.client_secret

    # Signing in again uses the link (the subject), even after the address changed at Google.
    second = _sign_in(auth_api, oidc, unique_email("renamed"), subject)
    assert second.status == 200, second.body
    assert second.body["user"]["id"] == str(user.id)
    assert _accounts(owner_session, user.id) == 1

    rows = audit_rows(owner_session, user_id=user.id, action="auth.sign_in")
    assert [row.details for row in rows] == [
        {"method": "oauth:google", "linked": True},
        {"method": "oauth:google", "linked": False},
    ]


def test_forged_or_foreign_id_tokens_are_refused(
    auth_api: AuthApi, oidc: FakeOidcProvider, company: CompanyData, owner_session: Session
) -> None:
    email = owner_session.get(User, company.admin_id).email
    cases = {
        "signed by another key": {"sign_with_other_key": True},
        "for another client": {"audience": "someone-else"},
        "for another sign-in": {"nonce": "a-replayed-nonce"},
        "from another issuer": {"iss": "https://evil.example"},
    }
    for label, options in cases.items():
        refused = _sign_in(auth_api, oidc, email, f"sub-{uuid.uuid4().hex}", **options)
        assert refused.status == 401, (label, refused.body)
        assert refused.body["error"]["code"] == "oauth_invalid_token", label
    assert _accounts(owner_session, company.admin_id) == 1  # only the fixture's own link
    failures = audit_rows(owner_session, action="auth.sign_in_failed", user_id=None)
    mine = [row for row in failures if str(row.ip_address) == auth_api.ip]
    assert [row.error_message for row in mine] == ["oauth_invalid_token"] * 4
    assert all(row.details["method"] == "oauth:google" and not row.success for row in mine)


def test_pkce_mismatch_and_replayed_state_are_refused(
    auth_api: AuthApi, oidc: FakeOidcProvider, company: CompanyData, owner_session: Session
) -> None:
    email = owner_session.get(User, company.support_agent_id).email
    # A code issued for someone else's challenge: our verifier does not match it.
    refused = _sign_in(auth_api, oidc, email, "sub-pkce", code_challenge="x" * 43)
    assert refused.status == 401 and refused.body["error"]["code"] == "oauth_failed"

    authorization = _start(auth_api)
    code = oidc.register_code(
        email=email,
        subject=f"sub-{uuid.uuid4().hex}",
        nonce=authorization.nonce,
        code_challenge=authorization.code_challenge,
        redirect_uri=authorization.redirect_uri,
    )
    body = {"code": code, "state": authorization.state}
    assert auth_api.post("/v1/auth/oauth/google/callback", body).status == 200
    replayed = auth_api.post("/v1/auth/oauth/google/callback", body)
    assert replayed.status == 401 and replayed.body["error"]["code"] == "oauth_state_invalid"
    unknown = auth_api.post("/v1/auth/oauth/google/callback", {"code": code, "state": "made-up"})
    assert unknown.status == 401 and unknown.body["error"]["code"] == "oauth_state_invalid"


def test_unknown_or_unverified_addresses_do_not_get_in(
    auth_api: AuthApi, oidc: FakeOidcProvider, company: CompanyData, owner_session: Session
) -> None:
    stranger = _sign_in(auth_api, oidc, unique_email("stranger"), "sub-stranger")
    assert stranger.status == 403 and stranger.body["error"]["code"] == "no_account"
    email = owner_session.get(User, company.other_support_agent_id).email
    unverified = _sign_in(auth_api, oidc, email, "sub-unverified", email_verified=False)
    assert unverified.status == 403 and unverified.body["error"]["code"] == "email_not_verified"
    assert _accounts(owner_session, company.other_support_agent_id) == 0


def test_redirects_stay_on_the_console_and_unknown_providers_are_404(
    auth_api: AuthApi, oidc: FakeOidcProvider
) -> None:
    elsewhere = auth_api.get("/v1/auth/oauth/google/start?redirect_uri=https://evil.example/cb")
    assert elsewhere.status == 400 and elsewhere.body["error"]["code"] == "invalid_redirect_uri"
    other = auth_api.get(f"/v1/auth/oauth/github/start?redirect_uri={REDIRECT_URI}")
    assert other.status == 404 and other.body["error"]["code"] == "provider_not_available"


def test_the_fake_provider_authorize_endpoint_redirects_with_a_code(oidc: FakeOidcProvider) -> None:
    """Local sign-in without Google: /authorize with login_hint answers like a consenting user."""
    import urllib.error
    import urllib.request
    from urllib.parse import parse_qs, urlencode, urlsplit

    query = urlencode(
        {
            "client_id": oidc.client_id,
            "redirect_uri": REDIRECT_URI,
            "state": "s",
            "nonce": "n",
            "code_challenge": "c" * 43,
            "code_challenge_method": "S256",
            "login_hint": "Someone@Example.com",
        }
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"{oidc.authorization_endpoint}?{query}", timeout=5)
        raise AssertionError("expected a redirect")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302
        location = urlsplit(redirect.headers["Location"])
    params = parse_qs(location.query)
    assert location.path == "/auth/callback/google" and params["state"] == ["s"]
    assert oidc.codes[params["code"][0]].claims["email"] == "someone@example.com"
