"""HPKE envelopes (RFC 9180): data sealed so that only one key holder can open it.

One suite everywhere: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, the suite the PIN
sealing uses. An envelope is the KEM's encapsulated key (65 bytes) followed by the ciphertext
(plaintext + 16-byte tag):

- Base mode (no sender key): anyone can seal to the recipient; used for records stored
  encrypted to their own owner and for files re-encrypted to one reader.
- Auth mode (sender's KEM key): opening also proves the envelope was made by the holder of the
  sender's private key, so a bundle from an unknown sender does not open at all.

``info`` must bind everything the envelope is for (who, which lock, which request): an envelope
moved to another context does not open. Recipients and senders hold a SealingKey (a P-256 key
kept apart from their signing key: one key, one use).
"""

from typing import Final

from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey, KEMKeyInterface

from .errors import CredentialError
from .keys import PublicKey
from .sealing import SealingKey

SUITE: Final = CipherSuite.new(KEMId.DHKEM_P256_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES128_GCM)
ENC_SIZE: Final = 65
TAG_SIZE: Final = 16
OVERHEAD: Final = ENC_SIZE + TAG_SIZE


class EnvelopeRefused(CredentialError):
    """The envelope does not open with this key, for this context, from this sender."""

    reason = "envelope_refused"


def seal(
    plaintext: bytes,
    recipient: PublicKey,
    *,
    info: bytes,
    aad: bytes = b"",
    sender: SealingKey | None = None,
) -> bytes:
    """Seal plaintext to recipient: Auth mode when sender is given, Base mode otherwise."""
    context_key = SUITE.kem.deserialize_public_key(recipient.to_bytes())
    enc, context = SUITE.create_sender_context(
        context_key, info=info, sks=None if sender is None else _kem_private_key(sender)
    )
    return bytes(enc) + bytes(context.seal(plaintext, aad=aad))


def open_envelope(
    sealed: bytes,
    key: SealingKey,
    *,
    info: bytes,
    max_plaintext: int,
    aad: bytes = b"",
    sender: PublicKey | None = None,
) -> bytes:
    """Open an envelope sealed to key (from sender, in Auth mode); EnvelopeRefused otherwise.

    The error never says which check failed: the key, the context and the sender are checked
    by one AEAD tag, and a tampered byte looks the same as a wrong key.
    """
    if not OVERHEAD <= len(sealed) <= OVERHEAD + max_plaintext:
        raise EnvelopeRefused(
            f"an envelope here is {OVERHEAD} to {OVERHEAD + max_plaintext} bytes, got {len(sealed)}"
        )
    try:
        context = SUITE.create_recipient_context(
            sealed[:ENC_SIZE],
            _kem_private_key(key),
            info=info,
            pks=None if sender is None else SUITE.kem.deserialize_public_key(sender.to_bytes()),
        )
        return bytes(context.open(sealed[ENC_SIZE:], aad=aad))
    except Exception:  # pyhpke raises several types (and ValueError for bad points)
        raise EnvelopeRefused(
            "the envelope does not open: it was sealed to another key, for another context or "
            "by another sender, or it was changed"
        ) from None


def _kem_private_key(key: SealingKey) -> KEMKeyInterface:
    # SealingKey keeps its private key to itself; its PKCS8 form is the one public way to
    # hand it to pyhpke, in memory only.
    return KEMKey.from_pem(key.to_pem())
