"""The key ledger the cloud connector keeps (SPEC K1, K4): a KeyLog backed by the database.

Every entry is a row of ``ledger_entries``, inserted in the same transaction that checks it
against the key state; rows are never updated or deleted. At start the log is rebuilt by
replaying the rows, which rebuilds the Merkle tree and the key state. After each append the
log signs a checkpoint, sends it with a consistency proof to every witness, collects their
cosignatures, and stores the cosigned checkpoint: look-ups are proven against that one.

One process writes the ledger (appends are serialised by a lock); replicas would forward
writes to it. A witness that is down is skipped: the checkpoint then carries fewer
cosignatures, and a hub that needs more refuses it until the witness is back.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from buildinghub.credentials.clock import Clock
from buildinghub.credentials.keys import PublicKey
from buildinghub.keylog.entries import Entry, encode_entry
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.log import KeyLog, ProvenEntry
from buildinghub.keylog.login import LoginService
from buildinghub.keylog.note import NoteSignature, SignedNote
from buildinghub.keylog.proof import leaf_hash
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteKey

from .schema import ledger_checkpoints, ledger_entries

_LOGGER = logging.getLogger(__name__)
WITNESS_TIMEOUT_S = 10.0


class LedgerUnreadable(Exception):
    """The stored ledger does not replay under this version's rules; the service cannot start."""


@dataclass(frozen=True, slots=True)
class PublishedCheckpoint:
    """The latest checkpoint the log published, with the cosignatures it collected."""

    size: int
    note: SignedNote
    cosignatures: int


class WitnessPeer:
    """One witness as the log reaches it: its URL, its key, and the size it last cosigned."""

    __slots__ = ("key", "size", "url")

    def __init__(self, url: str) -> None:
        """The witness serving at url (its key is fetched on first use)."""
        self.url = url.rstrip("/")
        self.key: WitnessNoteKey | None = None
        self.size = 0

    async def cosign(
        self, session: aiohttp.ClientSession, log: KeyLog, note: SignedNote
    ) -> NoteSignature | None:
        """The witness's cosignature of note, or None (logged) if it refuses or is down."""
        try:
            if self.key is None:
                self.key = await self._fetch_key(session)
            for _ in range(2):
                answer, status = await self._add_checkpoint(session, log, note)
                if status == 409 and isinstance(answer.get("size"), int):
                    # The witness is elsewhere (restarted, or cosigned for another log process):
                    # it says which size it holds; prove from there once.
                    self.size = int(answer["size"])
                    continue
                break
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as err:
            _LOGGER.warning("witness %s unreachable: %s", self.url, err)
            return None
        if status != 200:
            _LOGGER.warning(
                "witness %s refused the checkpoint: %s", self.url, answer.get("message")
            )
            return None
        signature = NoteSignature(
            str(answer["name"]),
            base64.b64decode(str(answer["key_id"])),
            base64.b64decode(str(answer["signature"])),
        )
        if (signature.name, signature.key_id) != (self.key.name, self.key.key_id) or not (
            self.key.verify(note.text, signature.signature)
        ):
            _LOGGER.warning("witness %s answered with a cosignature that does not verify", self.url)
            return None
        self.size = log.size
        return signature

    async def _fetch_key(self, session: aiohttp.ClientSession) -> WitnessNoteKey:
        async with session.get(f"{self.url}/key", timeout=_timeout()) as response:
            response.raise_for_status()
            data = await response.json()
        return WitnessNoteKey(
            str(data["name"]),
            PublicKey.from_bytes(base64.b64decode(str(data["public_key"]), validate=True)),
        )

    async def _add_checkpoint(
        self, session: aiohttp.ClientSession, log: KeyLog, note: SignedNote
    ) -> tuple[dict[str, Any], int]:
        old = self.size if 0 < self.size <= log.size else 0
        proof = log.consistency_proof(old) if 0 < old < log.size else []
        body = {
            "old_size": old,
            "proof": [base64.b64encode(item).decode() for item in proof],
            "checkpoint": note.encode().decode(),
        }
        async with session.post(
            f"{self.url}/add-checkpoint", json=body, timeout=_timeout()
        ) as response:
            data = await response.json()
            if not isinstance(data, dict):
                raise ValueError("the witness answered with something other than a JSON object")
            return data, response.status


def _timeout() -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=WITNESS_TIMEOUT_S)


class Ledger:
    """The log, its rows, its witnesses and its latest cosigned checkpoint."""

    def __init__(
        self,
        engine: AsyncEngine,
        signer: LogNoteSigner,
        witness_urls: Sequence[str],
        clock: Clock,
    ) -> None:
        """The ledger in engine's database, signed by signer, witnessed at witness_urls."""
        self._engine = engine
        self._clock = clock
        self.log = KeyLog(signer)
        self.login = LoginService(signer.verifier.name, self.log.state, clock)
        self.witnesses = [WitnessPeer(url) for url in witness_urls]
        self._lock = asyncio.Lock()
        self._signer = signer
        self._session: aiohttp.ClientSession | None = None
        self.published = PublishedCheckpoint(0, self.log.checkpoint(), 0)

    async def start(self) -> None:
        """Replay the stored entries and publish the current checkpoint to the witnesses."""
        self._session = aiohttp.ClientSession()
        async with self._lock:
            await self._replay()
            await self._publish()

    async def close(self) -> None:
        """Close the connections to the witnesses."""
        if self._session is not None:
            await self._session.close()

    async def _replay(self) -> None:
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(ledger_entries.c.position, ledger_entries.c.data).order_by(
                        ledger_entries.c.position
                    )
                )
            ).all()
        log = KeyLog(self._signer)
        for position, data in rows:
            if position != log.size:
                raise LedgerUnreadable(f"the ledger table misses entry {log.size}")
            try:
                log.append_encoded(bytes(data))
            except KeylogError as err:
                raise LedgerUnreadable(
                    f"ledger entry {position} does not replay: {err}. A ledger written before "
                    f"entries named their building (or holding high-s signatures) is not read "
                    f"by this version, and no release wrote one: start a new ledger (a new "
                    f"database, or an empty ledger_entries table) and point hubs and witnesses "
                    f"at it afresh"
                ) from None
        self.log = log
        # Logins look keys up in the replayed state (outstanding challenges start over).
        self.login = LoginService(self._signer.verifier.name, log.state, self._clock)

    async def append(self, entry: Entry, now: int) -> int:
        """Check entry against the key state, store it, publish a cosigned checkpoint.

        Raises the log's refusal (EntryRefused, MalformedEntry) with nothing written.
        """
        data = encode_entry(entry)
        async with self._lock:
            index = self.log.size
            try:
                async with self._engine.begin() as connection:
                    self.log.append(entry)
                    await connection.execute(
                        insert(ledger_entries).values(
                            position=index, data=data, leaf_hash=leaf_hash(data), appended_at=now
                        )
                    )
            except Exception:
                if self.log.size > index:
                    # Appended in memory but not stored: rebuild from the rows that are.
                    await self._replay()
                raise
            await self._publish(now)
        return index

    async def _publish(self, now: int = 0) -> None:
        note = self.log.checkpoint()
        if self._session is not None and self.witnesses:
            session = self._session
            cosignatures = await asyncio.gather(
                *(witness.cosign(session, self.log, note) for witness in self.witnesses)
            )
            for cosignature in cosignatures:
                if cosignature is not None:
                    note = note.with_signature(cosignature)
        count = len(note.signatures) - 1
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(ledger_checkpoints).values(
                    size=self.log.size,
                    note=note.encode().decode(),
                    cosignatures=count,
                    published_at=now,
                )
            )
        self.published = PublishedCheckpoint(self.log.size, note, count)

    def prove(self, indexes: Sequence[int]) -> list[ProvenEntry]:
        """The entries at indexes with inclusion proofs against the published checkpoint."""
        size = self.published.size
        return [self.log.prove(index, size) for index in indexes if index < size]


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    """How the connector runs the ledger: its signing key, origin and witnesses' URLs."""

    signer: LogNoteSigner
    witness_urls: tuple[str, ...] = ()
