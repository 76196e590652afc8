"""The key ledger as a person's own client trusts it (SPEC K3 for people, not only hubs).

``trust-ledger`` pins, in the person's directory, the log's origin and key and the witnesses
whose cosignatures count, with a quorum (ledger.json, public). Each look-up then syncs a
LedgerMirror from the cloud: the checkpoint must be signed by the log and cosigned by the
quorum, extend the checkpoint trusted last time (ledger-view.json, only moves forward), and the
entries must give its root; the key's registration is proven by inclusion. So the other party's
key comes from the log everyone sees, not from whatever the connector answers.

A tenant key counts only once an authorised station's identity check bound it (SPEC R1, S2),
and a landlord key for a lock only under the subject and building of that lock's installation
record in the log (``landlord_of_lock``, keylog.landlord_trust).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp

from buildinghub.credentials.clock import MonotonicClock
from buildinghub.credentials.keys import PublicKey

from .atomic_file import write_atomically
from .client import LedgerClient
from .entries import Role
from .errors import IdentityNotChecked, LandlordNotTrusted
from .key_record import KeyRecord
from .landlord_trust import trusted_landlord
from .mirror import LedgerMirror
from .person_home import HomeError
from .signers import LogNoteKey, WitnessNoteKey
from .trusted_view import TrustedLogView

TRUST_FILE: Final = "ledger.json"
VIEW_FILE: Final = "ledger-view.json"


@dataclass(frozen=True, slots=True)
class LedgerTrust:
    """Which log a person trusts, and which witnesses must vouch for it."""

    log: LogNoteKey
    witnesses: tuple[WitnessNoteKey, ...]
    quorum: int

    def to_json(self) -> dict[str, Any]:
        """The public configuration, as kept in ledger.json."""
        return {
            "origin": self.log.name,
            "log_key": _b64(self.log.key),
            "witnesses": [{"name": w.name, "key": _b64(w.key)} for w in self.witnesses],
            "quorum": self.quorum,
        }


def _b64(key: PublicKey) -> str:
    return base64.b64encode(key.to_bytes()).decode()


def _key(text: object) -> PublicKey:
    return PublicKey.from_bytes(base64.b64decode(str(text), validate=True))


def trust_from_json(data: dict[str, Any]) -> LedgerTrust:
    """Read ledger.json (ValueError, KeyError or CredentialError if it is not one)."""
    witnesses = tuple(WitnessNoteKey(str(w["name"]), _key(w["key"])) for w in data["witnesses"])
    quorum = int(data["quorum"])
    if not 1 <= quorum <= len(witnesses):
        raise ValueError(f"the quorum is 1 to {len(witnesses)} witnesses")
    return LedgerTrust(LogNoteKey(str(data["origin"]), _key(data["log_key"])), witnesses, quorum)


async def fetch_trust(
    session: aiohttp.ClientSession, cloud: str, witness_urls: list[str], quorum: int
) -> LedgerTrust:
    """The log key from the cloud and each witness's key from the witness itself.

    Print it and compare the log key with the one the operator publishes: this pins it.
    """
    async with session.get(cloud.rstrip("/") + "/v1/ledger/log-key") as response:
        response.raise_for_status()
        log = await response.json()
    witnesses = []
    for url in witness_urls:
        async with session.get(url.rstrip("/") + "/key") as response:
            response.raise_for_status()
            witness = await response.json()
        witnesses.append({"name": witness["name"], "key": witness["public_key"]})
    data = {"origin": log["origin"], "log_key": log["public_key"], "witnesses": witnesses}
    return trust_from_json({**data, "quorum": quorum})


def save_trust(directory: Path, trust: LedgerTrust) -> None:
    """Pin the trust in directory (a new pin starts a new trusted view)."""
    write_atomically(directory / TRUST_FILE, json.dumps(trust.to_json(), indent=2).encode())
    (directory / VIEW_FILE).unlink(missing_ok=True)


def load_trust(directory: Path) -> LedgerTrust:
    """The pinned trust; HomeError if the person has not run trust-ledger."""
    try:
        return trust_from_json(json.loads((directory / TRUST_FILE).read_text()))
    except FileNotFoundError:
        raise HomeError(
            f"{directory} trusts no key ledger yet: run trust-ledger with the witnesses' URLs"
        ) from None
    except (ValueError, KeyError, TypeError) as err:
        raise HomeError(f"{directory / TRUST_FILE} is not a ledger trust file: {err}") from None


class ProvenKeys:
    """Keys looked up in the ledger the person trusts, each proven against a synced mirror."""

    def __init__(self, client: LedgerClient, directory: Path, trust: LedgerTrust) -> None:
        """Sync through client; keep the trusted checkpoint in directory."""
        view = TrustedLogView(
            trust.log, trust.witnesses, trust.quorum, directory / VIEW_FILE, MonotonicClock()
        )
        self._client = client
        self._mirror = LedgerMirror(view)
        self._synced = False

    async def record(self, kid: bytes, role: Role) -> KeyRecord:
        """What the log says of the active key with this id and role, its entry proven; a
        tenant key only once an identity check bound it (the log's KeylogError otherwise)."""
        if not self._synced:
            await self._client.sync(self._mirror)
            self._synced = True
        record = self._mirror.verify_key(kid, frozenset({role}))
        if not record.vouched:
            raise IdentityNotChecked(
                f"tenant key {kid.hex()} is not bound to an identity: no station of its building "
                f"checked it"
            )
        return record

    async def key(self, kid: bytes, role: Role) -> PublicKey:
        """The active key with this id and role (see ``record``)."""
        return (await self.record(kid, role)).key

    async def landlord_of_lock(self, kid: bytes, *, building: str, lock: str) -> KeyRecord:
        """The landlord key kid if the log trusts it for this lock of this building: the name
        and the building of the lock's published installation record (LandlordNotTrusted)."""
        await self.record(kid, Role.LANDLORD)
        published = self._mirror.state.installation(building, lock)
        if published is None:
            raise LandlordNotTrusted(
                f"the key ledger holds no installation record of lock {lock!r} in {building!r}"
            )
        return trusted_landlord(self._mirror.state, kid, published[1], building=building)
