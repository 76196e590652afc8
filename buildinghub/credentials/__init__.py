"""Grants, their verification and proof of possession (ES256, COSE_Sign1, CWT)."""

from .clock import Clock, MonotonicClock
from .cose import Sign1, decode_sign1, sign1, verify_sign1
from .errors import (
    BadSignature,
    CredentialError,
    GrantExpired,
    GrantRevoked,
    GrantTooLarge,
    MalformedGrant,
    MalformedKey,
    NotYetValid,
    ProofMismatch,
    StaleChallenge,
    UnknownIssuer,
    UsesExhausted,
    WrongAudience,
)
from .grant import (
    MAX_GRANT_BYTES,
    Grant,
    GrantKind,
    ShareMode,
    SignedGrant,
    decode_grant,
    issue_grant,
)
from .keys import PublicKey, SigningKey
from .possession import ChallengeBook, new_challenge, possession_message, prove, verify_proof
from .verifier import GrantVerifier, StaticTrustStore, TrustedIssuer, TrustStore

__all__ = [
    "MAX_GRANT_BYTES",
    "BadSignature",
    "ChallengeBook",
    "Clock",
    "CredentialError",
    "Grant",
    "GrantExpired",
    "GrantKind",
    "GrantRevoked",
    "GrantTooLarge",
    "GrantVerifier",
    "MalformedGrant",
    "MalformedKey",
    "MonotonicClock",
    "NotYetValid",
    "ProofMismatch",
    "PublicKey",
    "ShareMode",
    "Sign1",
    "SignedGrant",
    "SigningKey",
    "StaleChallenge",
    "StaticTrustStore",
    "TrustStore",
    "TrustedIssuer",
    "UnknownIssuer",
    "UsesExhausted",
    "WrongAudience",
    "decode_grant",
    "decode_sign1",
    "issue_grant",
    "new_challenge",
    "possession_message",
    "prove",
    "sign1",
    "verify_proof",
    "verify_sign1",
]
