from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chatapp.channels import verification as v

BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_meta_handshake_and_signature() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert v.meta_handshake("tok", query) == "1158201444"
    with pytest.raises(v.WebhookRejected):
        v.meta_handshake("other", query)
    good = "sha256=" + hmac.new(b"app-secret", BODY, hashlib.sha256).hexdigest()
    v.meta_signature("app-secret", BODY, good)
    for bad in (None, "", "sha256=00", good.replace("sha256=", "sha1=")):
        with pytest.raises(v.WebhookRejected):
            v.meta_signature("app-secret", BODY, bad)
    with pytest.raises(v.WebhookRejected):
        v.meta_signature("app-secret", BODY + b" ", good)  # the raw body is what is signed


def test_telegram_secret_token() -> None:
    v.telegram_secret("s3cret", "s3cret")
    for bad in (None, "", "S3cret"):
        with pytest.raises(v.WebhookRejected):
            v.telegram_secret("s3cret", bad)


def test_slack_signature_and_replay_window() -> None:
    now = time.time()
    stamp = str(int(now))
    signature = "v0=" + hmac.new(b"signing", f"v0:{stamp}:".encode() + BODY, hashlib.sha256).hexdigest()
    v.slack_signature("signing", stamp, BODY, signature, now=now)
    with pytest.raises(v.WebhookRejected, match="stale"):
        v.slack_signature("signing", stamp, BODY, signature, now=now + 301)
    with pytest.raises(v.WebhookRejected):
        v.slack_signature("other", stamp, BODY, signature, now=now)
    with pytest.raises(v.WebhookRejected):
        v.slack_signature("signing", None, BODY, signature, now=now)


def test_custom_signature() -> None:
    now = int(time.time())
    signature = v.sign_custom("whk", now, BODY)
    v.custom_signature("whk", str(now), BODY, signature)
    with pytest.raises(v.WebhookRejected):
        v.custom_signature("whk", str(now - 3600), BODY, v.sign_custom("whk", now - 3600, BODY))
    with pytest.raises(v.WebhookRejected):
        v.custom_signature("whk", str(now), b"{}", signature)


def _keys() -> tuple[Any, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": "k1"}


def test_teams_bearer_token() -> None:
    private, jwk = _keys()
    issuer = "https://api.botframework.com"
    claims = {
        "iss": issuer,
        "aud": "app-id",
        "exp": int(time.time()) + 600,
        "serviceurl": "https://smba.example",
    }
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k1"})
    accepted = v.teams_token(
        f"Bearer {token}", "app-id", issuer, {jwk.get("kid"): jwk}.get, service_url="https://smba.example/"
    )
    assert accepted["serviceurl"] == "https://smba.example"
    other_private, _ = _keys()
    forged = jwt.encode(claims, other_private, algorithm="RS256", headers={"kid": "k1"})
    expired = jwt.encode(
        {**claims, "exp": int(time.time()) - 3600}, private, algorithm="RS256", headers={"kid": "k1"}
    )
    wrong_audience = jwt.encode(
        {**claims, "aud": "someone-else"}, private, algorithm="RS256", headers={"kid": "k1"}
    )
    wrong_issuer = jwt.encode(
        {**claims, "iss": "https://evil"}, private, algorithm="RS256", headers={"kid": "k1"}
    )
    unknown_key = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k2"})
    no_service_url = jwt.encode(
        {key: value for key, value in claims.items() if key != "serviceurl"},
        private,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    for bad in (forged, expired, wrong_audience, wrong_issuer, unknown_key, no_service_url):
        with pytest.raises(v.WebhookRejected):
            v.teams_token(
                f"Bearer {bad}",
                "app-id",
                issuer,
                {jwk.get("kid"): jwk}.get,
                service_url="https://smba.example",
            )
    with pytest.raises(v.WebhookRejected):  # a genuine token, for another service URL
        v.teams_token(
            f"Bearer {token}", "app-id", issuer, {jwk.get("kid"): jwk}.get, service_url="https://evil.example"
        )
    with pytest.raises(v.WebhookRejected):
        v.teams_token(None, "app-id", issuer, {jwk.get("kid"): jwk}.get, service_url="https://smba.example")


def test_long_replies_split_at_natural_boundaries() -> None:
    from chatapp.channels.catalogue import split_text

    paragraph = "word " * 300
    parts = split_text(f"{paragraph}\n\n{paragraph}", 1000)
    assert all(len(p) <= 1000 for p in parts) and len(parts) >= 3
    assert " ".join(parts).split() == f"{paragraph} {paragraph}".split()  # nothing lost or cut mid-word
    assert split_text("short", 1000) == ["short"]
    assert all(len(p) <= 10 for p in split_text("x" * 35, 10))  # no boundary: hard cuts


def test_teams_replies_go_only_to_bot_framework_hosts() -> None:
    from chatapp.channels.credential_checks import teams_service_url_allowed

    for url in (
        "https://smba.trafficmanager.net/amer/",
        "https://europe.botframework.com/",
        "https://smba.infra.gov.teams.microsoft.us/",
        "https://x.botframework.azure.us",
    ):
        assert teams_service_url_allowed(url), url
    for url in (
        "https://botframework.com.evil.example/",
        "https://evilbotframework.com/",
        "https://botframework.com/",  # "*." is subdomains only
        "https://user@smba.trafficmanager.net/",
        "ftp://smba.trafficmanager.net/",
        "https://169.254.169.254/",
        "not a url",
        "",
    ):
        assert not teams_service_url_allowed(url), url
