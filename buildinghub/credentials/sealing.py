"""PINs sealed to one lock with HPKE (RFC 9180), so only that lock can read them.

The landlord seals a grant's PIN to the lock's sealing key (DHKEM P-256,
HKDF-SHA256, AES-128-GCM, base mode) and puts the result inside the signed
grant, which already authenticates it. ``info`` binds the lock and the grant,
so a sealed PIN moved to another grant or another lock does not open.

A lock has a sealing key separate from its signing key: one key, one use.
"""

from __future__ import annotations

import hmac
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey

from .errors import MalformedGrant
from .keys import PublicKey

_SUITE: Final = CipherSuite.new(KEMId.DHKEM_P256_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES128_GCM)
_ENC_SIZE: Final = 65
_TAG_SIZE: Final = 16
PIN_MIN_DIGITS: Final = 4
PIN_MAX_DIGITS: Final = 12
SEALED_PIN_MAX: Final = _ENC_SIZE + PIN_MAX_DIGITS + _TAG_SIZE


class PinRefused(ValueError):
    """A PIN that a lock keypad cannot take (the message never repeats the PIN)."""


def check_pin(pin: str) -> None:
    """A PIN is 4 to 12 digits."""
    if not (pin.isascii() and pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS):
        raise PinRefused(f"a PIN must be {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")


def _info(audience: str, grant_id: bytes) -> bytes:
    return b"buildinghub-pin-v1\x00" + audience.encode() + b"\x00" + grant_id


class SealingKey:
    """A lock's private key for opening what was sealed to it."""

    __slots__ = ("_key",)

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("a sealing key must be P-256")
        self._key = key

    @classmethod
    def generate(cls) -> SealingKey:
        """A fresh key, made where it will live."""
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: bytes) -> SealingKey:
        """Load a PKCS8 key written by :meth:`to_pem`."""
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("not an EC private key")
        return cls(key)

    def to_pem(self) -> bytes:
        """PKCS8 PEM, for the device's own storage only."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_key(self) -> PublicKey:
        """What others seal to."""
        return PublicKey.from_bytes(
            self._key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def open_pin(self, sealed: bytes, *, audience: str, grant_id: bytes) -> str:
        """Open a PIN sealed to this key for this lock and grant."""
        if not _ENC_SIZE + _TAG_SIZE < len(sealed) <= SEALED_PIN_MAX:
            raise MalformedGrant("the sealed PIN has the wrong size")
        try:
            context = _SUITE.create_recipient_context(
                sealed[:_ENC_SIZE],
                KEMKey.from_pyca_cryptography_key(self._key),
                info=_info(audience, grant_id),
            )
            pin = context.open(sealed[_ENC_SIZE:]).decode("ascii")
        except Exception:
            raise MalformedGrant(
                "the sealed PIN does not open with this lock's key for this grant"
            ) from None
        try:
            check_pin(pin)
        except PinRefused:
            raise MalformedGrant("the sealed PIN is not a valid PIN") from None
        return pin

    def __repr__(self) -> str:
        return "SealingKey(<private>)"


def seal_pin(pin: str, lock_key: PublicKey, *, audience: str, grant_id: bytes) -> bytes:
    """Seal ``pin`` so that only the holder of ``lock_key`` can open it for this grant."""
    check_pin(pin)
    recipient = _SUITE.kem.deserialize_public_key(lock_key.to_bytes())
    enc, context = _SUITE.create_sender_context(recipient, info=_info(audience, grant_id))
    return bytes(enc) + bytes(context.seal(pin.encode("ascii")))


def pin_digest(salt: bytes, pin: str) -> bytes:
    """What a lock stores instead of the PIN: a keyed hash under its own secret salt."""
    return hmac.new(salt, pin.encode("ascii"), "sha256").digest()
