"""Attack: the team invitation form as an account oracle and a mail relay.

Any company admin (a free trial is one sign-up away) could type any address into the invitation
form: Buzzi answered 409 `email_in_other_company` when the address had an account with another
company, which told a stranger who uses Buzzi and where. And `resend` had no limit at all, so a loop
of resends sent Buzzi's mail to one victim address as often as the attacker liked.

Buzzi withstands it: an invitation is answered the same way whether or not the address has an
account elsewhere (that person is told by mail, which only the address's owner reads), and
invitation mail, first sends and resends alike, is capped per company and per address.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chatapp.db.models.core import User
from tests.integration.auth.conftest import Mailbox
from tests.integration.stack import KnowledgeTenant, new_tenant

SHAPE = {"id", "email", "role", "status", "invited_by", "expires_at", "accepted_at", "created_at"}


def _invite(company: KnowledgeTenant, address: str) -> Any:
    return company.call("POST", "/v1/team/invitations", json_body={"email": address})


def test_an_invitation_does_not_tell_whether_an_address_has_an_account(
    owner_engine: Engine, mail_sender: str
) -> None:
    prober, elsewhere = new_tenant(owner_engine, "Prober"), new_tenant(owner_engine, "Elsewhere")
    mailbox = Mailbox()
    taken = f"admin-{elsewhere.data.company_id.hex[:6]}@elsewhere.example"
    with Session(owner_engine) as db, db.begin():
        user = db.get(User, elsewhere.data.admin_id)
        assert user is not None
        user.email = taken
    free = f"nobody-{uuid.uuid4().hex[:6]}@elsewhere.example"

    answers = [_invite(prober, address) for address in (taken, free)]
    assert [a.status for a in answers] == [201, 201], [a.body for a in answers]
    assert set(answers[0].body) == set(answers[1].body) == SHAPE
    assert [a.body["status"] for a in answers] == ["pending", "pending"]
    # Each address's owner hears about it; the one with an account learns why it cannot join.
    assert len(mailbox.messages(free)) == 1
    [told] = mailbox.messages(taken)
    assert "already" in told["body"] and "another" in told["body"]


def test_invitation_mail_is_capped_per_company_and_per_address(
    owner_engine: Engine, mail_sender: str
) -> None:
    relay, other = new_tenant(owner_engine, "Relay"), new_tenant(owner_engine, "Relay2")
    mailbox = Mailbox()
    victim = f"victim-{uuid.uuid4().hex[:6]}@target.example"

    first = _invite(relay, victim)
    assert first.status == 201, first.body
    statuses = [
        relay.call("POST", f"/v1/team/invitations/{first.body['id']}/resend").status for _ in range(12)
    ]
    assert 429 in statuses, statuses
    refused = relay.call("POST", f"/v1/team/invitations/{first.body['id']}/resend")
    assert refused.status == 429 and refused.body["error"]["code"] == "rate_limited"
    assert "retry-after" in {k.lower() for k in refused.headers}
    sent = len(mailbox.messages(victim))
    assert sent <= 5, f"{sent} invitation mails reached one address within the hour"

    # Another company cannot add to the same address's mail either.
    assert _invite(other, victim).status == 429
    assert len(mailbox.messages(victim)) == sent

    # And one company cannot spray the world: its own hourly cap holds across addresses.
    spray = [_invite(relay, f"x{n}-{uuid.uuid4().hex[:4]}@spray.example").status for n in range(30)]
    assert spray.count(201) < 30 and spray[-1] == 429, spray
