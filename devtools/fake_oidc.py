"""A fake OpenID Connect provider on loopback, for tests and local sign-in without Google.

It signs ID tokens (RS256) with an RSA key made at start and serves:

    /authorize  with `login_hint=<e-mail>`: issues a code for that address and redirects back to
                `redirect_uri` with `code` and `state`, as a provider does after the user agrees
    /token      the code exchange: checks the code (single use), client_id, client_secret (when
                set), redirect_uri, and the PKCE S256 challenge against `code_verifier`
    /jwks       the public key

Tests skip the browser: take `state`, `nonce` and `code_challenge` from the authorization URL,
`register_code(...)` for an e-mail address and subject, then call the application's callback.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_ID = "fake-oidc-key"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class PendingCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    claims: dict[str, Any]
    sign_with_other_key: bool = False


@dataclass
class FakeOidcProvider:
    client_id: str = "buzzi-test-client"
    client_secret: str | None = "fake-client-secret"  # noqa: S105 - a test double's fixed secret
    codes: dict[str, PendingCode] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = _new_key()
        self._other_key = _new_key()  # same key id, unknown to the JWKS: a forged signature
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeOidcProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider._get(self)

            def do_POST(self) -> None:
                provider._post(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def issuer(self) -> str:
        assert self._server is not None, "start() the provider first"
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.issuer}/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    def environment(self) -> dict[str, str]:
        """The application's settings that point Google sign-in at this provider."""
        env = {
            "GOOGLE_CLIENT_ID": self.client_id,
            "GOOGLE_ISSUER": self.issuer,
            "GOOGLE_AUTHORIZATION_ENDPOINT": self.authorization_endpoint,
            "GOOGLE_TOKEN_ENDPOINT": self.token_endpoint,
            "GOOGLE_JWKS_URI": self.jwks_uri,
        }
        if self.client_secret:
            env["GOOGLE_CLIENT_SECRET"] = self.client_secret
        return env

    # ------------------------------------------------------------------ what a user's consent produces
    def register_code(
        self,
        *,
        email: str,
        subject: str,
        nonce: str,
        code_challenge: str,
        redirect_uri: str,
        email_verified: bool = True,
        audience: str | None = None,
        sign_with_other_key: bool = False,
        **claims: Any,
    ) -> str:
        """An authorization code as the provider would issue it; its ID token carries these claims."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = PendingCode(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge,
                sign_with_other_key=sign_with_other_key,
                claims={
                    "sub": subject,
                    "email": email,
                    "email_verified": email_verified,
                    "nonce": nonce,
                    "aud": audience or self.client_id,
                    **claims,
                },
            )
        return code

    def id_token(self, claims: dict[str, Any], *, sign_with_other_key: bool = False) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "iat": now, "exp": now + 3600, **claims}
        key = self._other_key if sign_with_other_key else self._key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": KEY_ID})

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    # ------------------------------------------------------------------ HTTP
    def _get(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/jwks":
            _reply(request, 200, self.jwks())
        elif url.path == "/authorize":
            self._authorize(request, query)
        else:
            _reply(request, 404, {"error": "not_found"})

    def _authorize(self, request: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        required = ("client_id", "redirect_uri", "state", "nonce", "code_challenge", "login_hint")
        if query.get("client_id") != self.client_id or not all(query.get(name) for name in required):
            _reply(request, 400, {"error": "invalid_request", "needs": list(required)})
            return
        if query.get("code_challenge_method") != "S256":
            _reply(request, 400, {"error": "invalid_request", "error_description": "S256 only"})
            return
        email = query["login_hint"].lower()
        code = self.register_code(
            email=email,
            subject=f"fake-{hashlib.sha256(email.encode()).hexdigest()[:16]}",
            nonce=query["nonce"],
            code_challenge=query["code_challenge"],
            redirect_uri=query["redirect_uri"],
        )
        separator = "&" if "?" in query["redirect_uri"] else "?"
        location = f"{query['redirect_uri']}{separator}{urlencode({'code': code, 'state': query['state']})}"
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        if urlsplit(request.path).path != "/token":
            _reply(request, 404, {"error": "not_found"})
            return
        length = int(request.headers.get("Content-Length") or 0)
        form = {key: values[0] for key, values in parse_qs(request.rfile.read(length).decode()).items()}
        self.token_requests.append(form)
        status, body = self._exchange(form)
        _reply(request, status, body)

    def _exchange(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("client_id") != self.client_id or (
            self.client_secret and form.get("client_secret") != self.client_secret
        ):
            return 401, {"error": "invalid_client"}
        with self._lock:
            pending = self.codes.pop(form.get("code", ""), None)  # single use
        if pending is None:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if form.get("redirect_uri") != pending.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or challenge != pending.code_challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        return 200, {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "openid email profile",
            "id_token": self.id_token(pending.claims, sign_with_other_key=pending.sign_with_other_key),
        }


def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.send_header("Cache-Control", "no-store")
    request.end_headers()
    request.wfile.write(data)
