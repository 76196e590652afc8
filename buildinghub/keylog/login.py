"""Login with a ledger key (SPEC K5): sign a fresh server challenge with a registered key.

A client asks for a challenge for its key id; the service answers with a challenge for that key,
good once and for ``lifetime`` seconds. The client signs the canonical CBOR array

    ["buildinghub-login-v1", service_id, challenge]

with its key; the login succeeds only if the service issued the challenge to that key and it has
not expired or been used, the key is active in the ledger's key state (registered, not rotated
away, not revoked) with an allowed role, and the signature verifies.

Nothing is kept per outstanding challenge (SPEC S6): a challenge carries its expiry and a random
part, authenticated to the key id with the service's own secret (HMAC-SHA256), so no party's
requests can fill a table or evict another party's challenges. What is kept is the challenges
each key has logged in with, until they expire, so none works twice: at most ``per_key``
logins per key per lifetime, the party's own bound.

Several processes serving one service share its ``secret`` (a challenge one issues, another
accepts) and keep the used challenges where all of them see them: they call :meth:`verify`
and remember the challenge themselves, refusing with :func:`challenge_reused` and
:func:`too_many_logins` as :meth:`login` does in memory.
"""

import hashlib
import hmac
import secrets
import struct
from collections import OrderedDict

import cbor2

from buildinghub.credentials.clock import Clock
from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.keys import KID_LENGTH, SigningKey

from .entries import Role
from .errors import KeyNotActive, LoginRefused, UnknownKey
from .key_record import KeyRecord
from .key_state import KeyState

LOGIN_DOMAIN = "buildinghub-login-v1"
DEFAULT_LOGIN_LIFETIME = 60
DEFAULT_LOGINS_PER_KEY = 8
_EXPIRY = struct.Struct(">Q")
_NONCE_LENGTH = 16
_TAG_LENGTH = 16
CHALLENGE_LENGTH = _EXPIRY.size + _NONCE_LENGTH + _TAG_LENGTH
_TAG_DOMAIN = b"buildinghub-login-challenge-v1\x00"
SECRET_LENGTH = 32


def login_message(service_id: str, challenge: bytes) -> bytes:
    """The bytes a client signs to log in to service_id with challenge."""
    return cbor2.dumps([LOGIN_DOMAIN, service_id, challenge], canonical=True)


def sign_login(key: SigningKey, service_id: str, challenge: bytes) -> bytes:
    """The client's login signature."""
    return key.sign(login_message(service_id, challenge))


class LoginService:
    """Issues login challenges per key and checks login signatures against the key state."""

    __slots__ = ("_clock", "_lifetime", "_per_key", "_roles", "_secret", "_state", "_used",
                 "service_id")  # fmt: skip

    def __init__(
        self,
        service_id: str,
        state: KeyState,
        clock: Clock,
        *,
        roles: frozenset[Role] = frozenset(Role),
        lifetime: int = DEFAULT_LOGIN_LIFETIME,
        per_key: int = DEFAULT_LOGINS_PER_KEY,
        secret: bytes | None = None,
    ) -> None:
        """Log keys of roles in to service_id, looking them up in state (the log's).

        ``secret`` authenticates the challenges (32 random bytes, made here if not given).
        """
        if not service_id:
            raise ValueError("service_id must not be empty")
        if lifetime < 1 or per_key < 1:
            raise ValueError("lifetime and per_key must be at least 1")
        if secret is not None and len(secret) < SECRET_LENGTH:
            raise ValueError(f"the challenge secret is at least {SECRET_LENGTH} bytes")
        self.service_id = service_id
        self._state = state
        self._roles = roles
        self._clock = clock
        self._lifetime = lifetime
        self._per_key = per_key
        self._secret = secrets.token_bytes(SECRET_LENGTH) if secret is None else secret
        # kid -> {challenge: expiry} of its logins; kids in the order of their latest login.
        self._used: OrderedDict[bytes, dict[bytes, int]] = OrderedDict()

    def challenge(self, kid: bytes) -> bytes:
        """A fresh challenge for one login of the key kid; LoginRefused if it may not log in."""
        self._may_log_in(kid)
        head = _EXPIRY.pack(self._clock.now() + self._lifetime) + secrets.token_bytes(_NONCE_LENGTH)
        return head + self._tag(kid, head)

    @property
    def lifetime(self) -> int:
        """How long a challenge is good, in seconds."""
        return self._lifetime

    @property
    def per_key(self) -> int:
        """How many logins a key may make within one lifetime."""
        return self._per_key

    def verify(self, kid: bytes, challenge: bytes, signature: bytes) -> tuple[KeyRecord, int]:
        """The key's record and the challenge's expiry if the key signed a live challenge
        issued to it; LoginRefused otherwise. Whether the challenge was used is not checked."""
        expiry = self._issued_to(kid, challenge)
        if self._clock.now() >= expiry:
            raise LoginRefused("this challenge has expired: ask for a new one")
        record = self._may_log_in(kid)
        try:
            record.key.verify(signature, login_message(self.service_id, challenge))
        except BadSignature:
            raise LoginRefused(
                f"the login signature does not verify with key {kid.hex()}: sign this "
                f"service's challenge with the registered key"
            ) from None
        return record, expiry

    def login(self, kid: bytes, challenge: bytes, signature: bytes) -> KeyRecord:
        """The key's record if it signed a challenge issued to it; LoginRefused otherwise."""
        now = self._clock.now()
        record, expiry = self.verify(kid, challenge, signature)
        self._forget_expired(now)
        used = self._used.get(kid, {})
        if challenge in used:
            raise challenge_reused()
        live = {item: until for item, until in used.items() if until > now}
        if len(live) >= self._per_key:
            raise too_many_logins(kid, len(live), self._lifetime)
        live[challenge] = expiry
        self._used.pop(kid, None)
        self._used[kid] = live
        return record

    def _issued_to(self, kid: bytes, challenge: bytes) -> int:
        if (
            len(kid) != KID_LENGTH
            or len(challenge) != CHALLENGE_LENGTH
            or not hmac.compare_digest(
                challenge[-_TAG_LENGTH:], self._tag(kid, challenge[:-_TAG_LENGTH])
            )
        ):
            raise LoginRefused(
                "this challenge was never issued to this key here: ask for a new one"
            )
        return int(_EXPIRY.unpack_from(challenge)[0])

    def _tag(self, kid: bytes, head: bytes) -> bytes:
        message = _TAG_DOMAIN + kid + head  # kid: always KID_LENGTH bytes
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:_TAG_LENGTH]

    def _may_log_in(self, kid: bytes) -> KeyRecord:
        try:
            return self._state.active_key(kid, self._roles)
        except (UnknownKey, KeyNotActive) as err:
            raise LoginRefused(f"this key may not log in: {err}") from None

    def _forget_expired(self, now: int) -> None:
        # Keys are in the order of their latest login, whose expiry is the latest they hold:
        # the first key with one still good ends the sweep (the clock never steps back).
        while self._used:
            kid, used = next(iter(self._used.items()))
            if any(until > now for until in used.values()):
                return
            del self._used[kid]

    def remembered(self) -> int:
        """How many used challenges are kept (each until it expires)."""
        return sum(len(used) for used in self._used.values())


def challenge_reused() -> LoginRefused:
    """The refusal of a challenge that already logged in once."""
    return LoginRefused("this challenge was already used: ask for a new one")


def too_many_logins(kid: bytes, count: int, lifetime: int) -> LoginRefused:
    """The refusal of a key that logged in ``count`` times (its bound) within one lifetime."""
    return LoginRefused(
        f"key {kid.hex()} logged in {count} times within {lifetime} seconds: wait a minute"
    )
