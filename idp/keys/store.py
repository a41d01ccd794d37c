"""The signing keys: created by `idp init`, private halves sealed at rest, public halves
published as the JWKS (RFC 7517 §5)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import current_app
from joserfc.jwk import ECKey, Key, RSAKey, import_key
from sqlalchemy import select

from idp import clock
from idp.extensions import db
from idp.keys.sealing import seal, unseal
from idp.models import SigningKey

SUPPORTED_ALGS = ("ES256", "RS256")
DEFAULT_ALG = "ES256"


def _generate(alg: str) -> Key:
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    if alg == "RS256":
        return RSAKey.generate_key(3072, private=True)
    raise ValueError(f"unsupported algorithm {alg}")


def create_key(alg: str) -> SigningKey:
    key = _generate(alg)
    kid = key.thumbprint()  # RFC 7638 thumbprint: stable and unique per key
    public = key.as_dict(private=False, kid=kid, alg=alg, use="sig")
    private = json.dumps(key.as_dict(private=True)).encode()
    row = SigningKey(
        kid=kid,
        alg=alg,
        public_jwk=dict(public),
        private_jwk_sealed=seal(
            private,
            context=f"key:{kid}",
            key_encryption_key=current_app.config["KEY_ENCRYPTION_KEY"],
        ),
        created_at=clock.now(),
    )
    db.session.add(row)
    db.session.commit()
    return row


def ensure_keys() -> list[SigningKey]:
    """Create a key for each supported algorithm that has none; return the created ones."""
    present = set(db.session.scalars(select(SigningKey.alg)))
    return [create_key(alg) for alg in SUPPORTED_ALGS if alg not in present]


def active_key(alg: str) -> tuple[str, Key]:
    """The newest key for ``alg``, as (kid, private key)."""
    row = db.session.scalar(
        select(SigningKey)
        .where(SigningKey.alg == alg)
        .order_by(SigningKey.created_at.desc())
        .limit(1)
    )
    if row is None:
        raise LookupError(f"no {alg} signing key: run `idp init`")
    return row.kid, _open(row.kid, row.private_jwk_sealed, current_app.config["KEY_ENCRYPTION_KEY"])


@lru_cache(maxsize=16)
def _open(kid: str, sealed: bytes, key_encryption_key: str) -> Key:
    data = unseal(sealed, context=f"key:{kid}", key_encryption_key=key_encryption_key)
    return import_key(json.loads(data))


def jwks() -> dict[str, Any]:
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at))
    return {"keys": [row.public_jwk for row in rows]}


def list_keys() -> list[SigningKey]:
    return list(db.session.scalars(select(SigningKey).order_by(SigningKey.created_at)))
