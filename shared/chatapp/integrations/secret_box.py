"""Secrets the platform must read back (channel tokens, webhook signing secrets), sealed with KMS
envelope encryption: each value gets a fresh AES-256-GCM data key from KMS; only the KMS-encrypted
data key, the nonce and the ciphertext are stored. An encryption context (which company, which
purpose) is bound to every value, so a sealed value copied to another row does not open.

Decrypted data keys are remembered by the warm container (keyed by their encrypted form), so
reading the same secret again costs no KMS call.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from chatapp.config import get_settings
from chatapp.integrations.aws import client

PREFIX = "kms1"


class SecretUnreadable(Exception):
    """A sealed value that does not open (tampered, another context, or another key)."""


def seal(plaintext: str, context: dict[str, str]) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    response = client("kms").generate_data_key(
        KeyId=get_settings().secrets_kms_key_id, KeySpec="AES_256", EncryptionContext=context
    )
    nonce = os.urandom(12)
    ciphertext = AESGCM(response["Plaintext"]).encrypt(nonce, plaintext.encode(), _aad(context))
    parts = (response["CiphertextBlob"], nonce, ciphertext)
    return ":".join([PREFIX, *(base64.urlsafe_b64encode(p).decode() for p in parts)])


def open_sealed(sealed: str, context: dict[str, str]) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        prefix, *encoded = sealed.split(":")
        if prefix != PREFIX or len(encoded) != 3:
            raise ValueError("not a sealed value")
        encrypted_key, nonce, ciphertext = (base64.urlsafe_b64decode(p) for p in encoded)
        data_key = _data_key(encrypted_key, tuple(sorted(context.items())))
        return AESGCM(data_key).decrypt(nonce, ciphertext, _aad(context)).decode()
    except (ValueError, InvalidTag) as error:
        raise SecretUnreadable("a sealed secret could not be opened") from error


@lru_cache(maxsize=256)
def _data_key(encrypted_key: bytes, context: tuple[tuple[str, str], ...]) -> bytes:
    from botocore.exceptions import ClientError

    try:
        plaintext: bytes = client("kms").decrypt(
            CiphertextBlob=encrypted_key, EncryptionContext=dict(context)
        )["Plaintext"]
    except ClientError as error:
        raise ValueError("KMS refused the data key") from error
    return plaintext


def _aad(context: dict[str, str]) -> bytes:
    return "&".join(f"{k}={v}" for k, v in sorted(context.items())).encode()


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":")
