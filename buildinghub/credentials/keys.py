"""ES256 keys: a P-256 signing key and the public key that verifies its signatures.

Signatures are raw r||s, 64 bytes (RFC 9053 §2.1), not DER, and canonical (SPEC S4): s is in
the lower half of the group order. ECDSA is malleable: if (r, s) verifies so does (r, n - s),
the same statement under other bytes. Only the low-s form verifies and our signers only make
it, so a signed record has exactly one valid encoding per signature.
"""

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .errors import BadSignature, MalformedKey

SIGNATURE_LENGTH = 64
KID_LENGTH = 16
_COORDINATE_LENGTH = 32
_POINT_LENGTH = 1 + 2 * _COORDINATE_LENGTH
_UNCOMPRESSED = 0x04
_UNCOMPRESSED_PREFIX = bytes((_UNCOMPRESSED,))

# P-256 (SEC 2 §2.4.2): y^2 = x^3 - 3x + b over GF(p).
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_COORDINATE_MASK = (1 << 256) - 1

# COSE_Key labels and values (RFC 9052 §7, RFC 9053 §7.1).
_KTY, _CRV, _X, _Y = 1, -1, -2, -3
_KTY_EC2 = 2
_CRV_P256 = 1
_COSE_KEY_LABELS = frozenset((_KTY, _CRV, _X, _Y))

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())

# The order n of P-256's group (SEC 2 §2.4.2); a canonical s is at most n // 2.
CURVE_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_ORDER = CURVE_ORDER // 2
# Big-endian, fixed width: comparing the bytes compares the numbers.
_HALF_ORDER_BYTES = HALF_ORDER.to_bytes(_COORDINATE_LENGTH)

# DER heads (tag, one-byte length) for the signature's two integers and their sequence.
_DER_INTEGER_HEADS = tuple(bytes((0x02, length)) for length in range(_COORDINATE_LENGTH + 2))
_DER_SEQUENCE_HEADS = tuple(bytes((0x30, length)) for length in range(2 * _COORDINATE_LENGTH + 7))


@dataclass(frozen=True, slots=True, repr=False)
class PublicKey:
    """A P-256 public key, held as its 65-byte uncompressed SEC1 point.

    The point is validated on construction (SEC1 §3.2.2.1; P-256 has cofactor 1, so a
    point on the curve is in the group). The cryptography key object is built on first use
    and kept, so a key held by a trust store is parsed once. Keys read with from_bytes,
    from_coordinates or from_cose_key are shared by point among the last few thousand read
    (see _known_key): the holder keys of grants a lock sees again are checked and parsed once.
    """

    point: bytes
    _verifier: ec.EllipticCurvePublicKey | None = field(default=None, init=False, compare=False)
    _kid: bytes | None = field(default=None, init=False, compare=False)

    def __post_init__(self) -> None:
        point = self.point
        if len(point) != _POINT_LENGTH or point[0] != _UNCOMPRESSED:
            raise MalformedKey(
                f"a public key is a 65-byte uncompressed P-256 point (0x04 || x || y), "
                f"got {len(point)} bytes"
            )
        _check_on_curve(point)

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicKey:
        """Read the 65-byte uncompressed SEC1 encoding."""
        point = bytes(data)
        if len(point) != _POINT_LENGTH or point[0] != _UNCOMPRESSED:
            return cls(point)  # refused, saying why
        return _known_key(point)

    def to_bytes(self) -> bytes:
        """The 65-byte uncompressed SEC1 encoding."""
        return self.point

    @classmethod
    def from_coordinates(cls, x: bytes, y: bytes) -> PublicKey:
        """The key whose point is (x, y), each 32 bytes big-endian; checked as on construction."""
        if len(x) != _COORDINATE_LENGTH or len(y) != _COORDINATE_LENGTH:
            raise MalformedKey(f"P-256 coordinates are 32 bytes each, got {len(x)} and {len(y)}")
        return _known_key(_UNCOMPRESSED_PREFIX + x + y)

    @classmethod
    def from_cose_key(cls, cose_key: Mapping[object, object]) -> PublicKey:
        """Read an EC2 P-256 COSE_Key map {1: 2, -1: 1, -2: x, -3: y}; nothing else is accepted."""
        if cose_key.keys() != _COSE_KEY_LABELS:
            raise MalformedKey(
                f"a COSE_Key here has exactly the labels 1, -1, -2, -3, "
                f"got {sorted(map(repr, cose_key))}"
            )
        kty, crv, x, y = cose_key[_KTY], cose_key[_CRV], cose_key[_X], cose_key[_Y]
        if type(kty) is not int or kty != _KTY_EC2:
            raise MalformedKey(f"COSE_Key kty must be 2 (EC2), got {kty!r}")
        if type(crv) is not int or crv != _CRV_P256:
            raise MalformedKey(f"COSE_Key crv must be 1 (P-256), got {crv!r}")
        if type(x) is not bytes or type(y) is not bytes:
            raise MalformedKey("COSE_Key x and y must be byte strings")
        if len(x) != _COORDINATE_LENGTH or len(y) != _COORDINATE_LENGTH:
            raise MalformedKey(f"COSE_Key x and y are 32 bytes each, got {len(x)} and {len(y)}")
        return cls.from_coordinates(x, y)

    def to_cose_key(self) -> dict[int, int | bytes]:
        """The EC2 P-256 COSE_Key map of this key."""
        return {
            _KTY: _KTY_EC2,
            _CRV: _CRV_P256,
            _X: self.point[1:33],
            _Y: self.point[33:],
        }

    @property
    def kid(self) -> bytes:
        """Key id: the first 16 bytes of SHA-256 of the SEC1 point."""
        kid = self._kid
        if kid is None:
            kid = hashlib.sha256(self.point).digest()[:KID_LENGTH]
            _set_kid(self, kid)
        return kid

    def verify(self, signature: bytes, message: bytes) -> None:
        """Check a canonical (low-s) raw r||s ES256 signature over message; BadSignature if not."""
        if len(signature) != SIGNATURE_LENGTH:
            raise BadSignature(
                f"an ES256 signature is 64 bytes (r || s), got {len(signature)}: "
                f"check that it is not DER-encoded or truncated"
            )
        if signature[_COORDINATE_LENGTH:] > _HALF_ORDER_BYTES:
            raise BadSignature(
                "the signature is not in its canonical low-s form (s above n/2): "
                "it was re-encoded from another signature, or made by a signer that does not "
                "normalise s"
            )
        try:
            self._cryptography_key().verify(_der_signature(signature), message, _ECDSA_SHA256)
        except InvalidSignature:
            raise BadSignature(
                f"the signature does not verify with key {self.kid.hex()}: "
                f"the data was changed or signed by another key"
            ) from None

    def _cryptography_key(self) -> ec.EllipticCurvePublicKey:
        key = self._verifier
        if key is None:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.point)
            _set_verifier(self, key)
        return key

    def __repr__(self) -> str:
        return f"PublicKey(kid={self.kid.hex()})"


def _check_on_curve(point: bytes) -> None:
    # A pure-integer check, several times cheaper than building the OpenSSL key: every grant
    # verification reads its holder key. One integer holds 0x04 || x || y.
    xy = int.from_bytes(point)
    x = (xy >> 256) & _COORDINATE_MASK
    y = xy & _COORDINATE_MASK
    if x >= _P or y >= _P or (y * y - (x * x * x - 3 * x + _B)) % _P:
        raise MalformedKey("the public key is not a point on P-256: check its x and y")


_set_point = PublicKey.__dict__["point"].__set__
_set_verifier = PublicKey.__dict__["_verifier"].__set__
_set_kid = PublicKey.__dict__["_kid"].__set__

# How many recently read keys stay shared: a lock or hub sees a few hundred holders at most.
KNOWN_KEYS = 4096


@functools.lru_cache(maxsize=KNOWN_KEYS)
def _known_key(point: bytes) -> PublicKey:
    # The PublicKey of a 65-byte uncompressed point, checked on the curve once and then shared
    # by every reader of that point, with the cryptography key it builds on first verify. A
    # cache of parsing only: the same point always gives the same key, so it never changes
    # which key a check trusts (kid lookup, issuer name, scope and revocation run every time).
    # A refused point raises and is not cached. PublicKey(point) would set each frozen field
    # with object.__setattr__; the slots' own descriptors do the same for less.
    _check_on_curve(point)
    key = object.__new__(PublicKey)
    _set_point(key, point)
    _set_verifier(key, None)
    _set_kid(key, None)
    return key


def _der_signature(signature: bytes) -> bytes:
    # The DER ECDSA-Sig-Value SEQUENCE {r INTEGER, s INTEGER} (RFC 3279 §2.2.3) that OpenSSL
    # verifies, built by hand because it is on every verification and Python integers cost
    # more than the bytes. X.690 §8.3: each integer in the fewest bytes, with a leading 0x00
    # where the top bit would read as a sign; at most 33 bytes, so every length is one byte.
    # test_keys.py checks it against cryptography's encoder.
    r = signature[:_COORDINATE_LENGTH].lstrip(b"\x00") or b"\x00"
    s = signature[_COORDINATE_LENGTH:].lstrip(b"\x00") or b"\x00"
    if r[0] & 0x80:
        r = b"\x00" + r
    if s[0] & 0x80:
        s = b"\x00" + s
    r_head, s_head = _DER_INTEGER_HEADS[len(r)], _DER_INTEGER_HEADS[len(s)]
    return b"".join((_DER_SEQUENCE_HEADS[len(r) + len(s) + 4], r_head, r, s_head, s))


def low_s(s: int) -> int:
    """The canonical one of s and n - s (both verify the same signature)."""
    return CURVE_ORDER - s if s > HALF_ORDER else s


class SigningKey:
    """A P-256 private key that makes ES256 signatures. Generate it where it lives."""

    __slots__ = ("_key", "_public_key")

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        """Wrap a cryptography P-256 private key."""
        if not isinstance(key.curve, ec.SECP256R1):
            raise MalformedKey(f"signing keys are P-256, got {key.curve.name}")
        self._key = key
        self._public_key = PublicKey(
            key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @classmethod
    def generate(cls) -> Self:
        """A new random P-256 key."""
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_key(self) -> PublicKey:
        """The public key that verifies this key's signatures."""
        return self._public_key

    def sign(self, message: bytes) -> bytes:
        """ES256 signature over message, raw r||s (64 bytes), s in its canonical low form."""
        r, s = decode_dss_signature(self._key.sign(message, _ECDSA_SHA256))
        return r.to_bytes(_COORDINATE_LENGTH) + low_s(s).to_bytes(_COORDINATE_LENGTH)

    def to_pem(self) -> bytes:
        """Unencrypted PKCS8 PEM, for storage that is itself protected."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pem(cls, data: bytes) -> Self:
        """Read an unencrypted PKCS8 PEM P-256 private key."""
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except ValueError, TypeError, UnsupportedAlgorithm:
            raise MalformedKey(
                "not an unencrypted PKCS8 PEM private key: "
                "check the file and that it has no password"
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise MalformedKey("the PEM holds a private key that is not elliptic-curve (P-256)")
        return cls(key)

    def __repr__(self) -> str:
        return f"SigningKey(kid={self._public_key.kid.hex()})"
