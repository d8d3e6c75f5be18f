"""Sign-in by e-mail: a single-use link, valid for minutes, sent through Amazon SES.

Only the link token's SHA-256 is stored (`chatapp_verification_tokens`, identifier = the e-mail
address). Asking for a link always gets the same answer, so the endpoint does not reveal who has
an account. Verifying deletes the token in the transaction that creates the session.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import delete
from sqlalchemy.orm import Session as DbSession

from chatapp.audit import entries
from chatapp.config import get_settings
from chatapp.db.models.core import VerificationToken
from chatapp.db.tenancy import system_session
from chatapp.errors import DomainError, Unauthenticated
from chatapp.identity.schemas import SessionIssuedOut
from chatapp.identity.sign_in import (
    Caller,
    audited_attempt,
    enforce_sign_in_limits,
    find_user,
    require_may_sign_in,
    start_session,
)
from chatapp.integrations import email as mail
from chatapp.observability import logger
from chatapp.security import TokenKind, new_token, token_digest, token_kind

METHOD = "magic_link"
LINK_REQUESTED = "auth.magic_link_requested"
ACCEPTED_MESSAGE = (
    "If an account uses this address, a sign-in link is on its way. It is valid for {minutes} minutes."
)


def _link_invalid() -> Unauthenticated:
    return Unauthenticated(
        "This sign-in link is not valid: it has expired or was already used. Ask for a new one.",
        code="link_invalid",
    )


def add_link_token(db: DbSession, email: str) -> str:
    """Store a new link token for `email` inside `db`'s (system) transaction; returns the token."""
    now = datetime.now(UTC)
    db.execute(
        delete(VerificationToken).where(
            VerificationToken.identifier == email, VerificationToken.expires <= now
        )
    )
    token = new_token(TokenKind.VERIFICATION)
    minutes = get_settings().magic_link_ttl_minutes
    db.add(
        VerificationToken(
            identifier=email, token=token_digest(token), expires=now + timedelta(minutes=minutes)
        )
    )
    return token


def link_url(token: str) -> str:
    return f"{get_settings().console_url.rstrip('/')}/auth/verify?{urlencode({'token': token})}"


def send_link(email: str, token: str, *, welcome_to: str | None = None) -> bool:
    """E-mail the link (after the token's transaction committed). Failures are logged, not raised:
    the answer must not differ for existing accounts, and a new link can be asked for."""
    settings = get_settings()
    url = link_url(token)
    if settings.is_local:  # never outside development and tests: the link is a credential
        logger.info("sign-in link (local only)", extra={"email": email, "url": url})
    minutes = settings.magic_link_ttl_minutes
    intro = f"Welcome to Buzzi! Your company {welcome_to} is ready." if welcome_to else "Sign in to Buzzi."
    text = (
        f"{intro}\n\nOpen this link to sign in (valid for {minutes} minutes, once):\n{url}\n\n"
        "If you did not ask for it, ignore this e-mail."
    )
    html = (  # the company name is the signer-up's own text: escaped, never markup
        f'<p>{escape(intro)}</p><p><a href="{escape(url)}">Sign in to Buzzi</a>'
        f" (valid for {minutes} minutes, once).</p><p>If you did not ask for it, ignore this e-mail.</p>"
    )
    try:
        mail.send(mail.Email(to=email, subject="Your Buzzi sign-in link", text=text, html=html))
    except (BotoCoreError, ClientError) as error:
        logger.error("sign-in e-mail not sent", extra={"error_type": type(error).__name__})
        return False
    return True


def request_link(email: str, caller: Caller) -> str:
    """Send a link when `email` belongs to a user who may sign in; the same answer either way, and
    in the same time: sending mail is slow, so an answer that came quicker would tell that the
    address has no account. Every answer is held until `signin_response_floor_ms` has passed."""
    started = time.monotonic()
    try:
        return _request_link(email, caller)
    finally:
        remaining = get_settings().signin_response_floor_ms / 1000 - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)


def _request_link(email: str, caller: Caller) -> str:
    with audited_attempt(caller, METHOD, email=email):
        enforce_sign_in_limits(caller, email=email)
    token = None
    with system_session("request a sign-in link") as db:
        found = find_user(db, email)
        refusal: str | None = "unknown_email" if found is None else None
        if found is not None:
            try:
                require_may_sign_in(*found)
            except DomainError as error:
                refusal = error.code
            else:
                token = add_link_token(db, email)
        user = found[0] if found else None
        entries.record(
            db,
            action=LINK_REQUESTED,
            company_id=user.company_id if user else None,
            user_id=user.id if user else None,
            resource_type="user" if user else None,
            resource_id=user.id if user else None,
            ip=caller.ip,
            user_agent=caller.user_agent,
            success=refusal is None,
            error=refusal,
            details={"method": METHOD, "email": email},
        )
    if token is not None:
        send_link(email, token)
    return ACCEPTED_MESSAGE.format(minutes=get_settings().magic_link_ttl_minutes)


def verify(token: str, caller: Caller) -> SessionIssuedOut:
    """Consume the link (deleted with the session's creation, in one transaction) and sign in."""
    with audited_attempt(caller, METHOD) as attempt:
        enforce_sign_in_limits(caller)
        if token_kind(token) is not TokenKind.VERIFICATION:
            raise _link_invalid()
        with system_session("verify a sign-in link") as db:
            consumed = db.execute(
                delete(VerificationToken)
                .where(VerificationToken.token == token_digest(token))
                .returning(VerificationToken.identifier, VerificationToken.expires)
            ).one_or_none()
            if consumed is None:
                raise _link_invalid()
            attempt.email = consumed.identifier
            if consumed.expires <= datetime.now(UTC):
                raise _link_invalid()
            enforce_sign_in_limits(email=consumed.identifier, db=db)
            found = find_user(db, consumed.identifier)
            if found is None:
                raise _link_invalid()
            attempt.found(found[0])
            require_may_sign_in(*found)
            return start_session(db, found[0], caller, method=METHOD, email_verified=True)
