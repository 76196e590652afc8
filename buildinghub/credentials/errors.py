"""Why a key, grant or proof was refused.

Every error carries a stable snake_case `reason` that devices send over the air and Home
Assistant translates; the message says what is wrong and what to check. Messages never
contain key material, PINs or signatures.
"""

# The names are the domain's words (GrantExpired, WrongAudience), not "...Error".

from typing import ClassVar


class CredentialError(Exception):
    """A key, grant or proof of possession was refused."""

    reason: ClassVar[str] = "credential_error"


class MalformedKey(CredentialError):
    """The bytes are not a P-256 key in the expected encoding."""

    reason = "malformed_key"


class MalformedGrant(CredentialError):
    """The bytes are not a grant in the one encoding we accept."""

    reason = "malformed"


class GrantTooLarge(CredentialError):
    """The grant is larger than a verifier accepts."""

    reason = "oversized"


class UnknownIssuer(CredentialError):
    """The grant was signed by a key the verifier does not trust for its issuer."""

    reason = "unknown_issuer"


class BadSignature(CredentialError):
    """The signature does not verify with the key it should come from."""

    reason = "bad_signature"


class WrongAudience(CredentialError):
    """The grant is for another lock or bay."""

    reason = "wrong_audience"


class NotYetValid(CredentialError):
    """The grant's window has not started."""

    reason = "not_yet_valid"


class GrantExpired(CredentialError):
    """The grant's window has ended."""

    reason = "expired"


class GrantRevoked(CredentialError):
    """The grant was revoked."""

    reason = "revoked"


class ProofMismatch(CredentialError):
    """The proof of possession was not made by the grant's holder for this challenge."""

    reason = "proof_mismatch"


class StaleChallenge(CredentialError):
    """The challenge is unknown, already used or expired."""

    reason = "stale_challenge"


class UsesExhausted(CredentialError):
    """The grant has no uses left."""

    reason = "uses_exhausted"


class ShareNotAllowed(CredentialError):
    """A grant was shared although it does not allow sharing."""

    reason = "share_not_allowed"


class ShareWidens(CredentialError):
    """A shared grant asks for more than its parent: a longer window, more uses, or re-sharing."""

    reason = "share_widens"


class BrokenChain(CredentialError):
    """A shared grant does not follow from the grant it names as its parent."""

    reason = "broken_chain"


class KeyTransferred(CredentialError):
    """The grant was transferred to someone else and no longer opens anything for its holder."""

    reason = "transferred"


class MemberFrozen(CredentialError):
    """The bay's manager froze this share (or one it comes from) until further notice."""

    reason = "frozen"


class UnauthorisedCommand(CredentialError):
    """A lock command is signed by a key that neither the lock's installation record nor an
    appointment by its landlord (or, on a bay, the target's own share chain) authorises."""

    reason = "unauthorised_command"


class RevocationsFull(CredentialError):
    """The lock's revocation memory is full: it forgets no revocation before its grant ends,
    so it refuses a new one until some expire."""

    reason = "revocations_full"


class ShareLimit(CredentialError):
    """A share would take more of the lock's storage than one e-key, one member or all shares
    together may hold: the rest is kept for the owner and the bay's other members."""

    reason = "share_limit"
