"""The key ledger the cloud connector keeps (SPEC K1, K4): a KeyLog backed by the database.

Every entry is a row of ``ledger_entries``, inserted in the same transaction that checks it
against the key state; rows are never updated or deleted. At start the log is rebuilt by
replaying the rows, which rebuilds the Merkle tree and the key state. After each append the
log signs a checkpoint, sends it with a consistency proof to every witness, collects their
cosignatures, and stores the cosigned checkpoint: look-ups are proven against that one.

Several replicas may serve one PostgreSQL database (SPEC C3). The rows are the ledger; each
process's KeyLog is a copy it brings up to date (:meth:`Ledger.refresh`) before it answers
from it. Appends have one writer at a time across all replicas: the transaction that inserts
an entry first takes the ledger's advisory lock (writer_lock), then reads the rows other
replicas committed, then checks the entry against that state, so no two replicas can store
two entries at one index or decide against a stale key state. A checkpoint is signed and
sent to the witnesses under the same lock, only over entries already committed, and always
over the newest tree: every replica has (or can read) every tree a checkpoint commits to,
and the witnesses see sizes only grow. A witness that is down is skipped: the checkpoint then
carries fewer cosignatures, and a hub that needs more refuses it until the witness is back.
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
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from buildinghub.credentials.clock import Clock
from buildinghub.credentials.keys import PublicKey
from buildinghub.keylog.entries import Entry, encode_entry
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.log import KeyLog, ProvenEntry
from buildinghub.keylog.login import LoginService
from buildinghub.keylog.note import NoteSignature, SignedNote, parse_note
from buildinghub.keylog.proof import leaf_hash
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteKey

from .schema import ledger_checkpoints, ledger_entries
from .service_secrets import LOGIN_SECRET, shared_secret
from .writer_lock import WriterLock, hold

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
    stored_id: int = 0  # its row in ledger_checkpoints (0: not stored)


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

    def held(self, checkpoint: PublishedCheckpoint) -> None:
        """Note that the witness holds checkpoint if it cosigned it (another replica may have
        sent it): the next proof starts there, saving a refusal and a second round trip."""
        if self.key is not None and any(
            (signature.name, signature.key_id) == (self.key.name, self.key.key_id)
            for signature in checkpoint.note.signatures
        ):
            self.size = max(self.size, checkpoint.size)

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
        self.witnesses = [WitnessPeer(url) for url in witness_urls]
        # Appends of this process queue here rather than on the database's lock.
        self._appending = asyncio.Lock()
        self._signer = signer
        self._session: aiohttp.ClientSession | None = None
        self._login_secret: bytes | None = None
        self.published = PublishedCheckpoint(0, self.log.checkpoint(), 0)

    @property
    def login(self) -> LoginService:
        """Logins against the key state as this process last read it (see :meth:`refresh`),
        with challenges every replica accepts (the secret is shared in the database)."""
        if self._login_secret is None:
            raise RuntimeError("the ledger is not started")
        return LoginService(
            self._signer.verifier.name, self.log.state, self._clock, secret=self._login_secret
        )

    async def start(self) -> None:
        """Replay the stored entries and publish the current checkpoint to the witnesses."""
        self._session = aiohttp.ClientSession()
        self._login_secret = await shared_secret(self._engine, LOGIN_SECRET)
        async with self._appending:
            await self._replay()
            await self._publish(0, always=True)

    async def close(self) -> None:
        """Close the connections to the witnesses."""
        if self._session is not None:
            await self._session.close()

    async def refresh(self) -> None:
        """Read what other replicas stored since: their entries and their latest checkpoint."""
        async with self._engine.connect() as connection:
            # The checkpoint first: the entries it covers were committed before it.
            latest = await _latest_checkpoint(connection, self.published.stored_id)
            await self._catch_up(connection)
        if latest is not None:
            self._advance(latest)

    async def _replay(self) -> None:
        log = KeyLog(self._signer)
        async with self._engine.connect() as connection:
            await self._catch_up(connection, log)
        self.log = log

    async def _catch_up(self, connection: AsyncConnection, log: KeyLog | None = None) -> None:
        log = self.log if log is None else log
        rows = await connection.execute(
            select(ledger_entries.c.position, ledger_entries.c.data)
            .where(ledger_entries.c.position >= log.size)
            .order_by(ledger_entries.c.position)
        )
        # No await from here on: the rows go into the log as one step of this process.
        for position, data in rows.all():
            if position < log.size:  # another request of this process read it meanwhile
                continue
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

    async def append(self, entry: Entry, now: int) -> int:
        """Check entry against the key state, store it, publish a cosigned checkpoint.

        Raises the log's refusal (EntryRefused, MalformedEntry) with nothing written.
        """
        data = encode_entry(entry)
        async with self._appending:
            index = -1
            try:
                async with self._engine.begin() as connection:
                    await hold(connection, WriterLock.LEDGER)
                    await self._catch_up(connection)
                    index = self.log.append(entry)
                    await connection.execute(
                        insert(ledger_entries).values(
                            position=index, data=data, leaf_hash=leaf_hash(data), appended_at=now
                        )
                    )
            except Exception:
                if index >= 0:
                    # Appended in memory but not stored: rebuild from the rows that are.
                    await self._replay()
                raise
            await self._publish(now)
        return index

    async def _publish(self, now: int, *, always: bool = False) -> None:
        """Sign, cosign and store a checkpoint of the newest tree, unless one is stored."""
        async with self._engine.begin() as connection:
            await hold(connection, WriterLock.LEDGER)
            await self._catch_up(connection)
            latest = await _latest_checkpoint(connection, self.published.stored_id)
            if latest is None:
                latest = self.published if self.published.stored_id else None
            if latest is not None:
                for witness in self.witnesses:
                    witness.held(latest)
            if not always and latest is not None and latest.size >= self.log.size:
                # Another replica published a tree holding everything stored: keep that one.
                self._advance(latest)
                return
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
            stored = await connection.execute(
                insert(ledger_checkpoints)
                .values(
                    size=self.log.size,
                    note=note.encode().decode(),
                    cosignatures=count,
                    published_at=now,
                )
                .returning(ledger_checkpoints.c.id)
            )
            stored_id = stored.scalar_one()
        self._advance(PublishedCheckpoint(self.log.size, note, count, stored_id))

    def _advance(self, checkpoint: PublishedCheckpoint) -> None:
        # Published sizes only grow (a later one of the same size may carry more cosignatures),
        # and a checkpoint is served only over a tree this process holds.
        if self.published.size <= checkpoint.size <= self.log.size:
            self.published = checkpoint

    def prove(self, indexes: Sequence[int]) -> list[ProvenEntry]:
        """The entries at indexes with inclusion proofs against the published checkpoint."""
        size = self.published.size
        return [self.log.prove(index, size) for index in indexes if index < size]


async def _latest_checkpoint(
    connection: AsyncConnection, known_id: int
) -> PublishedCheckpoint | None:
    """The latest stored checkpoint, or None if there is none or it is the one known_id."""
    newest = (
        select(ledger_checkpoints.c.id)
        .order_by(ledger_checkpoints.c.size.desc(), ledger_checkpoints.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    row = (
        await connection.execute(
            select(ledger_checkpoints).where(
                ledger_checkpoints.c.id == newest, ledger_checkpoints.c.id != known_id
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return PublishedCheckpoint(row.size, parse_note(row.note), row.cosignatures, row.id)


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    """How the connector runs the ledger: its signing key, origin and witnesses' URLs."""

    signer: LogNoteSigner
    witness_urls: tuple[str, ...] = ()
