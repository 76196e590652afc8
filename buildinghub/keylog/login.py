"""Login with a ledger key (SPEC K5): sign a fresh server challenge with a registered key.

The service hands out a random challenge, good once and for ``lifetime`` seconds
(credentials.possession.ChallengeBook). The client signs the canonical CBOR array

    ["buildinghub-login-v1", service_id, challenge]

with its key; the login succeeds only if the challenge is outstanding, the key is active in
the ledger's key state (registered, not rotated away, not revoked) with an allowed role, and
the signature verifies. The challenge is used up first, so a replay fails even if the first
attempt did.
"""

import cbor2

from buildinghub.credentials.clock import Clock
from buildinghub.credentials.errors import BadSignature, StaleChallenge
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.possession import ChallengeBook

from .entries import Role
from .errors import KeyNotActive, LoginRefused, UnknownKey
from .key_state import KeyRecord, KeyState

LOGIN_DOMAIN = "buildinghub-login-v1"
DEFAULT_LOGIN_LIFETIME = 60
DEFAULT_OUTSTANDING_LOGINS = 1024


def login_message(service_id: str, challenge: bytes) -> bytes:
    """The bytes a client signs to log in to service_id with challenge."""
    return cbor2.dumps([LOGIN_DOMAIN, service_id, challenge], canonical=True)


def sign_login(key: SigningKey, service_id: str, challenge: bytes) -> bytes:
    """The client's login signature."""
    return key.sign(login_message(service_id, challenge))


class LoginService:
    """Issues login challenges and checks login signatures against the ledger's key state."""

    __slots__ = ("_challenges", "_roles", "_state", "service_id")

    def __init__(
        self,
        service_id: str,
        state: KeyState,
        clock: Clock,
        *,
        roles: frozenset[Role] = frozenset(Role),
        lifetime: int = DEFAULT_LOGIN_LIFETIME,
        capacity: int = DEFAULT_OUTSTANDING_LOGINS,
    ) -> None:
        """Log keys of roles in to service_id, looking them up in state (the log's)."""
        if not service_id:
            raise ValueError("service_id must not be empty")
        self.service_id = service_id
        self._state = state
        self._roles = roles
        self._challenges = ChallengeBook(clock, lifetime=lifetime, capacity=capacity)

    def challenge(self) -> bytes:
        """A fresh challenge for one login."""
        return self._challenges.issue()

    def login(self, kid: bytes, challenge: bytes, signature: bytes) -> KeyRecord:
        """The key's record if it signed this outstanding challenge; LoginRefused otherwise."""
        try:
            self._challenges.consume(challenge)
        except StaleChallenge as err:
            raise LoginRefused(str(err)) from None
        try:
            record = self._state.active_key(kid, self._roles)
        except (UnknownKey, KeyNotActive) as err:
            raise LoginRefused(f"this key may not log in: {err}") from None
        try:
            record.key.verify(signature, login_message(self.service_id, challenge))
        except BadSignature:
            raise LoginRefused(
                f"the login signature does not verify with key {kid.hex()}: sign this "
                f"service's challenge with the registered key"
            ) from None
        return record
