"""Encryption at rest with the key-encryption key (AES-256-GCM).

Each sealed value is bound to a context string (the key id, the account), so a sealed blob
copied to another row does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"


class UnsealError(Exception):
    """The value was not sealed with this key-encryption key, or it was altered."""


def _aead(key_encryption_key: str) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"citizen-idp sealing v1"
    ).derive(key_encryption_key.encode())
    return AESGCM(key)


def seal(plaintext: bytes, *, context: str, key_encryption_key: str) -> bytes:
    nonce = os.urandom(12)
    return VERSION + nonce + _aead(key_encryption_key).encrypt(nonce, plaintext, context.encode())


def unseal(sealed: bytes, *, context: str, key_encryption_key: str) -> bytes:
    if sealed[:1] != VERSION:
        raise UnsealError("unknown sealing version")
    try:
        return _aead(key_encryption_key).decrypt(sealed[1:13], sealed[13:], context.encode())
    except InvalidTag:
        raise UnsealError("the sealed value does not open with this key") from None
