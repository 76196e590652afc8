"""Documents both parties sign: the landlord first, then the tenant (COSE_Sign, two signers).

Contracts and move-out inspections are one canonical document with two COSE_Signatures over
the same payload (see credentials.cose_sign), so the document's SHA-256 names what was agreed
whoever signed first, and each party's signature stands on its own.
"""

from buildinghub.credentials.cose_sign import (
    MultiSigned,
    Signature,
    decode_multi_signed,
    encode_multi_signed,
    sign_payload,
    verify_signer,
)
from buildinghub.credentials.keys import PublicKey, SigningKey

LANDLORD, TENANT = 0, 1


def sign_document(
    document: bytes, key: SigningKey, *, parties: tuple[PublicKey, PublicKey]
) -> Signature:
    """One party's signature over the document; the key must be one of its two parties."""
    if key.public_key not in parties:
        raise ValueError("only the landlord and the tenant the document names may sign it")
    return sign_payload(document, key)


def countersigned(document: bytes, *, landlord: Signature, tenant: Signature) -> bytes:
    """The document with both signatures, landlord's first."""
    return encode_multi_signed(document, (landlord, tenant))


def read_countersigned(data: bytes, *, max_size: int) -> MultiSigned:
    """Parse a two-party document, without trusting it."""
    return decode_multi_signed(data, max_size=max_size, signers=2)


def verify_parties(document: MultiSigned, *, landlord: PublicKey, tenant: PublicKey) -> None:
    """Check the landlord's and the tenant's signatures; BadSignature if either fails."""
    verify_signer(document, LANDLORD, landlord)
    verify_signer(document, TENANT, tenant)
