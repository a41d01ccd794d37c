"""Encryption at rest with the key-encryption key (AES-256-GCM), and the other keys derived
from it.

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


def derive_key(key_encryption_key: str, purpose: bytes) -> bytes:
    """A 256-bit key for one ``purpose`` (RFC 5869 HKDF-SHA256): keys of different purposes
    are independent, and none reveals the key-encryption key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        key_encryption_key.encode()
    )


def _aead(key_encryption_key: str) -> AESGCM:
    return AESGCM(derive_key(key_encryption_key, b"citizen-idp sealing v1"))


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
