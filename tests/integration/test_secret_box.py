"""Sealed secrets: KMS envelope encryption (moto's KMS), bound to their context."""

from __future__ import annotations

import pytest

from chatapp.integrations.secret_box import SecretUnreadable, is_sealed, open_sealed, seal
from tests.integration.stack import LocalAws


def test_a_sealed_secret_opens_only_in_its_own_context(local_aws: LocalAws) -> None:
    context = {"company": "c1", "purpose": "channel:telegram"}
    sealed = seal("123456:bot-token", context)
    assert is_sealed(sealed) and "bot-token" not in sealed
    assert open_sealed(sealed, context) == "123456:bot-token"
    assert seal("123456:bot-token", context) != sealed  # a fresh data key and nonce every time
    with pytest.raises(SecretUnreadable):
        open_sealed(sealed, {"company": "c2", "purpose": "channel:telegram"})
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretUnreadable):
        open_sealed(tampered, context)
    with pytest.raises(SecretUnreadable):
        open_sealed("plain text", context)
