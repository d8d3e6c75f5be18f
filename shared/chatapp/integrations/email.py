"""Outgoing e-mail through Amazon SES (moto's SES locally and in tests)."""

from __future__ import annotations

from dataclasses import dataclass

from chatapp.config import get_settings
from chatapp.integrations.aws import client


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None


def send(email: Email) -> str:
    """Send one message from the configured sender; returns SES's message id."""
    body: dict[str, dict[str, str]] = {"Text": {"Data": email.text, "Charset": "UTF-8"}}
    if email.html is not None:
        body["Html"] = {"Data": email.html, "Charset": "UTF-8"}
    response = client("ses").send_email(
        Source=get_settings().email_from,
        Destination={"ToAddresses": [email.to]},
        Message={"Subject": {"Data": email.subject, "Charset": "UTF-8"}, "Body": body},
    )
    message_id: str = response["MessageId"]
    return message_id
