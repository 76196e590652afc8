"""How a tenant is found in the ledger without their identity number being in it (SPEC K2).

The ledger stores ``identity_lookup_hash(salt, id_number)``: HMAC-SHA256 keyed with the salt
over a domain tag and the normalised number. Identity numbers are short and guessable, so the
salt must be a secret of the service that computes the hashes (a "pepper", at least 16 random
bytes): with it public, anyone could hash every possible number. The number itself is never
stored or logged.
"""

import hashlib
import hmac

LOOKUP_HASH_LENGTH = 32
MIN_SALT_LENGTH = 16
_DOMAIN = b"buildinghub-identity-lookup-v1\x00"


def identity_lookup_hash(salt: bytes, id_number: str) -> bytes:
    """The 32-byte lookup hash of an identity number under salt.

    The number is normalised (spaces and dashes dropped, letters upper-cased) so that
    "ab 123-456" and "AB123456" find the same tenant.
    """
    if len(salt) < MIN_SALT_LENGTH:
        raise ValueError(f"the salt must be at least {MIN_SALT_LENGTH} bytes")
    normalised = "".join(ch for ch in id_number if ch not in " -").upper()
    if not normalised or not normalised.isalnum():
        # Never echo the number: it is personal data.
        raise ValueError("an identity number is letters and digits (spaces and dashes ignored)")
    return hmac.new(salt, _DOMAIN + normalised.encode(), hashlib.sha256).digest()
