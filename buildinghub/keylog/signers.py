"""The two note signature algorithms of the ledger, both ECDSA P-256 (SPEC: every party holds
a P-256 key).

Log checkpoints: C2SP signed-note signature type 0x02, "ECDSA signatures as implemented by
github.com/transparency-dev/witness", the one ECDSA type the spec assigns. As that spec says,
its key ID is NOT the usual SHA-256(name || 0x0A || type || key)[:4] but the first four bytes
of SHA-256 of the DER SubjectPublicKeyInfo of the key, and the signature is an ASN.1 DER
ECDSA-Sig-Value over SHA-256 of the note text. We refuse DER that is not in its one canonical
form, so a signature has exactly one encoding.

Witness cosignatures: C2SP tlog-cosignature defines only Ed25519 (type 0x04) and ML-DSA-44
(0x06), neither of which our P-256 witness keys can make. We keep the tlog-cosignature v1
*message* exactly (``cosignature/v1``, ``time <t>``, then the checkpoint text) and its
``timestamped_signature`` layout (u64 big-endian timestamp || signature), with a raw 64-byte
r||s ES256 signature. Being an algorithm without an assigned byte, its key ID uses the
spec's escape byte 0xff followed by a long identifier, as signed-note recommends:

    key ID = SHA-256(name || 0x0A || 0xff || "buildinghub-cosignature-es256/v1" || SEC1 point)[:4]

so it can never collide with an Ed25519 or ML-DSA cosigner of the same name. As with Ed25519
cosignatures the message does not commit to the witness name: each witness needs its own key.
"""

import hashlib
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.keys import PublicKey, SigningKey

from .note import KEY_ID_LENGTH, NoteSignature, check_key_name

ECDSA_SIGNATURE_TYPE = 0x02
ESCAPE_SIGNATURE_TYPE = 0xFF
COSIGNATURE_IDENTIFIER = b"buildinghub-cosignature-es256/v1"
COSIGNATURE_HEADER = "cosignature/v1\n"
_RAW_SIGNATURE_LENGTH = 64
_TIMESTAMP = struct.Struct(">Q")
_MAX_TIMESTAMP = 2**63 - 1


def spki_der(key: PublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of a P-256 public key."""
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key.to_bytes())
    return point.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class LogNoteKey:
    """A log's public key as a note verifier (signature type 0x02)."""

    __slots__ = ("key", "key_id", "name")

    def __init__(self, name: str, key: PublicKey) -> None:
        """The key that signs checkpoints under name (the log's origin)."""
        check_key_name(name)
        self.name = name
        self.key = key
        self.key_id = hashlib.sha256(spki_der(key)).digest()[:KEY_ID_LENGTH]

    def verify(self, text: str, signature: bytes) -> bool:
        """Whether signature is a canonical DER ECDSA P-256 signature of text by this key."""
        try:
            r, s = decode_dss_signature(signature)
        except ValueError:
            return False
        if not (0 < r < 2**256 and 0 < s < 2**256) or encode_dss_signature(r, s) != signature:
            return False
        try:
            self.key.verify(r.to_bytes(32) + s.to_bytes(32), text.encode())
        except BadSignature:
            return False
        return True


class LogNoteSigner:
    """The log's private key, signing note texts with signature type 0x02."""

    __slots__ = ("_key", "verifier")

    def __init__(self, name: str, key: SigningKey) -> None:
        """Sign under name (the log's origin) with key."""
        self._key = key
        self.verifier = LogNoteKey(name, key.public_key)

    def sign(self, text: str) -> NoteSignature:
        """The signature line for text."""
        raw = self._key.sign(text.encode())
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        return NoteSignature(self.verifier.name, self.verifier.key_id, der)


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a witness signs: the tlog-cosignature v1 message for a checkpoint text."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


class WitnessNoteKey:
    """A witness's public key as a note verifier of its timestamped cosignatures."""

    __slots__ = ("key", "key_id", "name")

    def __init__(self, name: str, key: PublicKey) -> None:
        """The witness named name, cosigning with key."""
        check_key_name(name)
        self.name = name
        self.key = key
        self.key_id = hashlib.sha256(
            name.encode()
            + b"\n"
            + bytes((ESCAPE_SIGNATURE_TYPE,))
            + COSIGNATURE_IDENTIFIER
            + key.to_bytes()
        ).digest()[:KEY_ID_LENGTH]

    def verify(self, text: str, signature: bytes) -> bool:
        """Whether signature is timestamp || ES256 over the cosignature message of text."""
        if len(signature) != _TIMESTAMP.size + _RAW_SIGNATURE_LENGTH:
            return False
        (timestamp,) = _TIMESTAMP.unpack_from(signature)
        if timestamp > _MAX_TIMESTAMP:
            return False
        try:
            self.key.verify(signature[_TIMESTAMP.size :], cosignature_message(text, timestamp))
        except BadSignature:
            return False
        return True

    @staticmethod
    def timestamp(signature: bytes) -> int:
        """The time a cosignature says it was made (check it verified first)."""
        return int(_TIMESTAMP.unpack_from(signature)[0])


class WitnessNoteSigner:
    """A witness's private key, making timestamped cosignatures."""

    __slots__ = ("_key", "verifier")

    def __init__(self, name: str, key: SigningKey) -> None:
        """Cosign as name with key."""
        self._key = key
        self.verifier = WitnessNoteKey(name, key.public_key)

    def cosign(self, text: str, timestamp: int) -> NoteSignature:
        """The cosignature line for a checkpoint text at timestamp (unix seconds)."""
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise ValueError(f"a cosignature timestamp is 0 to 2**63 - 1, got {timestamp}")
        signature = self._key.sign(cosignature_message(text, timestamp))
        return NoteSignature(
            self.verifier.name, self.verifier.key_id, _TIMESTAMP.pack(timestamp) + signature
        )
