"""The signing keys: created by `idp init`, private halves sealed at rest, public halves
published as the JWKS (RFC 7517 §5), rotated with a lead time.

A key's life, per algorithm (``lifecycle``)::

    PENDING ──activates_at──► ACTIVE ──next key activates──► RETIRED ──token lifetime──► EXPIRED
    └───────────────────────── published in the JWKS ──────────────────┘    (`idp keys prune`)

A rotated-in key is published ``KEY_PUBLISH_LEAD_TIME`` seconds before it signs, so portals that
cache the JWKS hold it before they meet a token it signed, rather than relying on each of them to
refetch on an unknown ``kid``. A retired key stays published until every token it signed has
expired (OIDC Core §10.1.1: the JWKS retains recently decommissioned signing keys).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import groupby
from typing import Any

from flask import current_app, g
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey, import_key
from sqlalchemy import delete, select

from idp import clock
from idp.extensions import db
from idp.keys.sealing import seal, unseal
from idp.models import SigningKey

# The single list of ID-token signing algorithms: discovery advertises it, registration checks
# against it, `idp init` makes a key for each. EdDSA is RFC 8037 with Ed25519 keys only.
SUPPORTED_ALGS = ("ES256", "RS256", "PS256", "EdDSA")
DEFAULT_ALG = "ES256"


class KeyState(StrEnum):
    PENDING = "pending"
    """Published, not signing yet: portals' JWKS caches learn it first."""
    ACTIVE = "active"
    """Signs new tokens of its algorithm."""
    RETIRED = "retired"
    """A newer key signs; published until the tokens this one signed have expired."""
    EXPIRED = "expired"
    """Every token it signed has expired: no longer published, `idp keys prune` deletes it."""


@dataclass(frozen=True, slots=True)
class KeyStatus:
    key: SigningKey
    state: KeyState
    retired_at: datetime | None
    """When the next key of its algorithm activated; None while this one is not retired."""
    published_until: datetime | None
    """When it leaves the JWKS; None while that is not decided (not retired)."""

    @property
    def is_published(self) -> bool:
        return self.state is not KeyState.EXPIRED


def lifecycle(
    keys: Iterable[SigningKey], *, now: datetime, token_lifetime: timedelta
) -> list[KeyStatus]:
    """The state of each key at ``now``, in the order given. Per algorithm, keys take over in
    order of activation; the active key is the last one activated."""
    rows = list(keys)
    statuses: dict[str, KeyStatus] = {}
    ordered = sorted(rows, key=lambda k: (k.alg, k.activates_at, k.created_at, k.kid))
    for _, same_alg in groupby(ordered, key=lambda k: k.alg):
        chain = list(same_alg)
        for key, successor in zip(chain, [*chain[1:], None], strict=True):
            retired_at = None
            if successor is not None and successor.activates_at <= now:
                retired_at = successor.activates_at
            statuses[key.kid] = _status(key, retired_at, now, token_lifetime)
    return [statuses[key.kid] for key in rows]


def _status(
    key: SigningKey, retired_at: datetime | None, now: datetime, token_lifetime: timedelta
) -> KeyStatus:
    if key.activates_at > now:
        return KeyStatus(key, KeyState.PENDING, None, None)
    if retired_at is None:
        return KeyStatus(key, KeyState.ACTIVE, None, None)
    published_until = retired_at + token_lifetime
    state = KeyState.EXPIRED if published_until <= now else KeyState.RETIRED
    return KeyStatus(key, state, retired_at, published_until)


def token_lifetime() -> timedelta:
    """How long a token signed by a key may be relied on, so how long a retired key stays
    published: the longest of the ID and access token lifetimes."""
    config = current_app.config
    return timedelta(seconds=max(config["ID_TOKEN_LIFETIME"], config["ACCESS_TOKEN_LIFETIME"]))


def _generate(alg: str) -> Key:
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    if alg in ("RS256", "PS256"):
        return RSAKey.generate_key(3072, private=True)
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519", private=True)
    raise ValueError(f"unsupported algorithm {alg}")


def create_key(alg: str, *, activates_at: datetime | None = None) -> SigningKey:
    """A new key for ``alg``, published at once and signing from ``activates_at`` (now when
    not given)."""
    key = _generate(alg)
    kid = key.thumbprint()  # RFC 7638 thumbprint: stable and unique per key
    # RFC 7517 §4.4: `alg` names the one algorithm the key is for, so an RSA key made for
    # PS256 is never taken for RS256.
    public = key.as_dict(private=False, kid=kid, alg=alg, use="sig")
    private = json.dumps(key.as_dict(private=True)).encode()
    now = clock.now()
    row = SigningKey(
        kid=kid,
        alg=alg,
        public_jwk=dict(public),
        private_jwk_sealed=seal(
            private,
            context=f"key:{kid}",
            key_encryption_key=current_app.config["KEY_ENCRYPTION_KEY"],
        ),
        created_at=now,
        activates_at=now if activates_at is None else activates_at,
    )
    db.session.add(row)
    db.session.commit()
    forget_key_rows()
    return row


def ensure_keys() -> list[SigningKey]:
    """Create a key, signing at once, for each supported algorithm that has none; return the
    created ones. No token of that algorithm exists yet, so there is nothing to lead."""
    present = set(db.session.scalars(select(SigningKey.alg)))
    return [create_key(alg) for alg in SUPPORTED_ALGS if alg not in present]


def rotate(alg: str) -> SigningKey:
    """A new key for ``alg``, published now and signing after ``KEY_PUBLISH_LEAD_TIME`` (at
    once when the algorithm has no key yet)."""
    has_key = db.session.scalar(select(SigningKey.kid).where(SigningKey.alg == alg).limit(1))
    lead = current_app.config["KEY_PUBLISH_LEAD_TIME"] if has_key else 0
    return create_key(alg, activates_at=clock.now() + timedelta(seconds=lead))


def key_statuses() -> list[KeyStatus]:
    """Every key with its state now, oldest first."""
    return lifecycle(_key_rows(), now=clock.now(), token_lifetime=token_lifetime())


_KEY_ROWS = "_idp_signing_keys"  # the attribute of flask.g holding this request's copies
_SHARED_ROWS = "idp.signing_keys"  # app.extensions: (read at, rows), shared by a worker's threads
# How long a worker reuses the key rows it read, in seconds. A rotation by another process shows
# in this worker's JWKS and signatures within this time: the contract is 5 seconds
# (docs/operations.md, tests/e2e/test_many_hosts.py); in this process, at once.
KEY_ROWS_REUSE = 2.0


def _key_rows() -> list[SigningKey]:
    """Every key row, oldest first. A request (or command) keeps the copies it first took, so
    the three uses in a token exchange (access token, ID-token header, ID-token key set) agree;
    the worker reads them again at most every ``KEY_ROWS_REUSE`` seconds, so the JWKS and the
    token endpoint do not query the keys on every request. The copies are detached, so a commit
    does not expire and reload them; ``create_key`` and ``prune`` forget them at once."""
    rows: list[SigningKey] | None = g.get(_KEY_ROWS)
    if rows is None:
        shared: tuple[float, list[SigningKey]] | None = current_app.extensions.get(_SHARED_ROWS)
        if shared is None or time.monotonic() - shared[0] > KEY_ROWS_REUSE:
            read_at = time.monotonic()
            columns = SigningKey.__table__.columns
            result = db.session.execute(
                select(*columns).order_by(SigningKey.created_at, SigningKey.kid)
            )
            shared = (read_at, [SigningKey(**row._asdict()) for row in result])
            current_app.extensions[_SHARED_ROWS] = shared
        rows = shared[1]
        setattr(g, _KEY_ROWS, rows)
    return rows


def forget_key_rows() -> None:
    """Read the key rows again on next use (after a change to them in this process)."""
    g.pop(_KEY_ROWS, None)
    current_app.extensions.pop(_SHARED_ROWS, None)


def active_key(alg: str) -> tuple[str, Key]:
    """The key that signs for ``alg`` now, as (kid, private key)."""
    rows = [row for row in _key_rows() if row.alg == alg]
    statuses = lifecycle(rows, now=clock.now(), token_lifetime=token_lifetime())
    active = [s.key for s in statuses if s.state is KeyState.ACTIVE]
    if not active:
        raise LookupError(f"no active {alg} signing key: run `idp init`")
    (row,) = active
    return row.kid, _open(row.kid, row.private_jwk_sealed, current_app.config["KEY_ENCRYPTION_KEY"])


def signing_key_set(alg: str) -> KeySet:
    """Every published private key for ``alg``. Given the header's ``kid``, joserfc signs with
    that key, so a rotation between choosing the header and signing cannot mismatch them."""
    kek = current_app.config["KEY_ENCRYPTION_KEY"]
    return KeySet(
        [
            _open(s.key.kid, s.key.private_jwk_sealed, kek)
            for s in key_statuses()
            if s.key.alg == alg and s.is_published
        ]
    )


@lru_cache(maxsize=16)
def _open(kid: str, sealed: bytes, key_encryption_key: str) -> Key:
    data = unseal(sealed, context=f"key:{kid}", key_encryption_key=key_encryption_key)
    return import_key(json.loads(data))


def jwks() -> dict[str, Any]:
    """The published keys (pending, active and retired), oldest first."""
    return {"keys": [s.key.public_jwk for s in key_statuses() if s.is_published]}


def prune() -> list[SigningKey]:
    """Delete the expired keys; return them."""
    expired = [s.key for s in key_statuses() if s.state is KeyState.EXPIRED]
    if expired:
        db.session.execute(
            delete(SigningKey).where(SigningKey.kid.in_([key.kid for key in expired]))
        )
        db.session.commit()
        forget_key_rows()
    return expired
