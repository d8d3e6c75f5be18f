"""Integration tests share the fixtures of tests/conftest.py (`tenants`, `api`, `owner_session`),
which tests/security uses too, and the webhook stand-ins (a receiver, the delivery queue), which the
API guide's examples use as well as tests/integration/webhooks."""

from tests.integration.webhooks.conftest import (  # noqa: F401
    builtin_packages,
    hooks,
    receiver,
    webhook_queue,
)
