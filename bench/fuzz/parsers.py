"""The parsers under fuzz: one Parser each, with valid seed inputs and its own error type.

To fuzz a new parser, add one line to PARSERS: its name, a function giving its seeds and
the call (one input, as bytes), and the exceptions it refuses bad input with. Seeds come
from the real signing code, with keys made once per run (:class:`_World`), so the first
inputs of every parser are accepted and mutations start from messages it reads in full.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import struct
from collections.abc import Callable, Sequence
from dataclasses import replace

from bench.grants import lease
from bench.unlock import three_link_chain
from buildinghub.credentials import (
    CredentialError,
    GrantKind,
    GrantVerifier,
    MonotonicClock,
    SigningKey,
    StaticTrustStore,
    TrustedIssuer,
    decode_grant,
    decode_sign1,
    issue_grant,
    sign1,
)
from buildinghub.credentials.cose import verify_sign1
from buildinghub.credentials.delegation import verify_chain
from buildinghub.credentials.possession import verify_proof
from buildinghub.devices.door_lock_protocol import (
    UNLOCK_OPERATION,
    ProtocolError,
    UnlockRequest,
    answer_challenge,
)
from buildinghub.keylog.checkpoint import Checkpoint, open_checkpoint
from buildinghub.keylog.entries import KeyRegistration, Role, decode_entry, encode_entry
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.note import NoteVerifier, SignedNote, parse_note, verified_signers
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteSigner
from buildinghub.radio.cluster import ObjectKind
from buildinghub.telemetry.errors import TelemetryError
from buildinghub.telemetry.reading import (
    Quantity,
    Reading,
    decode_packet,
    sign_reading,
    verify_packet,
)
from buildinghub.telemetry.receipt import (
    ReceiptEntry,
    issue_receipt,
    verify_erase_command,
    verify_receipt,
)
from cloud_connector.errors import RequestRefused
from cloud_connector.json_body import json_object
from cloud_connector.signed_by_key import record_field

from .engine import Parser
from .transfer_script import play, script

_NOW = 1_767_225_600
_ORIGIN = "ledger.building-7.example/log"
_METER = "meter-e-0042"
type Made = tuple[Sequence[bytes], Callable[[bytes], object]]


class _World:
    """The keys, and the signed objects every parser's seeds are made from."""

    def __init__(self) -> None:
        self.issuer = SigningKey.generate()
        self.grant = lease()
        self.verifier = GrantVerifier(
            self.grant.audience,
            StaticTrustStore([TrustedIssuer(self.grant.issuer, self.issuer.public_key)]),
            MonotonicClock(lambda: _NOW),
        )
        self.cloud = SigningKey.generate()
        self.meter = SigningKey.generate()
        self.log = LogNoteSigner(_ORIGIN, SigningKey.generate())
        self.witnesses = [
            WitnessNoteSigner(f"w{n}.example", SigningKey.generate()) for n in range(3)
        ]
        self.packets = [
            sign_reading(
                Reading(_METER, sequence, kind, value, _NOW, "Flat 12"), self.meter
            ).encoded
            for sequence, kind, value in (
                (1, Quantity.ELECTRICITY, 1234),
                (70_000, Quantity.GAS, 0),
            )
        ]
        batch = issue_receipt(
            [ReceiptEntry.of(decode_packet(packet), _NOW + 60) for packet in self.packets],
            self.cloud,
        )
        self.receipts = [batch.receipt.encoded]
        self.erase_commands = [command.encoded for command in batch.commands]

    def grants(self) -> list[bytes]:
        ekey = replace(self.grant, kind=GrantKind.EKEY, sealed_pin=None, max_uses=5)
        return [issue_grant(grant, self.issuer) for grant in (self.grant, ekey)]

    def checkpoint(self, size: int) -> bytes:
        root = hashlib.sha256(size.to_bytes(8)).digest()
        text = Checkpoint(_ORIGIN, size, root).to_text()
        signatures = (self.log.sign(text), *(w.cosign(text, _NOW) for w in self.witnesses))
        return SignedNote(text, signatures).encode()


@functools.cache
def _world() -> _World:
    return _World()


def _grants() -> Made:
    world = _world()
    return world.grants(), world.verifier.verify


# A chain travels as a list of links; the fuzzer's input frames them with a 2-byte length
# each, so mutations can add, drop, cut and splice links as well as change their bytes.
def _frame(links: Sequence[bytes]) -> bytes:
    return b"".join(struct.pack(">H", len(link)) + link for link in links)


def _unframe(data: bytes) -> list[bytes]:
    links, at = [], 0
    while at + 2 <= len(data):
        (length,) = struct.unpack_from(">H", data, at)
        links.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return links


def _chains() -> Made:
    owner = SigningKey.generate()
    links = three_link_chain(owner)
    root = decode_grant(links[0]).grant
    verifier = GrantVerifier(
        root.audience,
        StaticTrustStore([TrustedIssuer(root.issuer, owner.public_key)]),
        MonotonicClock(lambda: _NOW),
    )
    seeds = [_frame(links[:count]) for count in (3, 2, 1)]
    return seeds, lambda data: verify_chain(verifier, _unframe(data))


def _cose_sign1() -> Made:
    key = _world().issuer
    payloads = (b"", b"\x01" * 30, bytes(range(256)) * 2)
    seeds = [sign1(payload, key, key.public_key.kid) for payload in payloads]
    return seeds, lambda data: verify_sign1(decode_sign1(data, max_size=1024), key.public_key)


def _unlock_requests() -> Made:
    world = _world()
    holder = SigningKey.generate()
    signed = decode_grant(
        issue_grant(replace(world.grant, holder_key=holder.public_key), world.issuer)
    )
    seeds = [answer_challenge(signed, holder, bytes(16), n).encode() for n in (1, 70_000)]

    def call(data: bytes) -> None:
        request = UnlockRequest.decode(data)
        if request.grant_id != signed.grant.grant_id:
            # The lock looks the grant up by its id: it holds only this one.
            raise ProtocolError("no such grant on this lock")
        verify_proof(
            holder.public_key,
            request.proof,
            request.nonce,
            signed.grant.audience,
            UNLOCK_OPERATION,
            signed.digest,
            request.counter,
        )

    return seeds, call


def _transfers() -> Made:
    grant = _world().grants()[0]
    seeds = [script(ObjectKind.grant, grant), script(ObjectKind.unlock, grant[:90])]
    return seeds, play


def _reading_packets() -> Made:
    world = _world()
    return world.packets, lambda data: verify_packet(data, world.meter.public_key)


def _receipts() -> Made:
    world = _world()
    return world.receipts, lambda data: verify_receipt(data, world.cloud.public_key)


def _erase_commands() -> Made:
    world = _world()
    return world.erase_commands, lambda data: verify_erase_command(
        data, world.cloud.public_key, _METER
    )


def _signed_notes() -> Made:
    world = _world()
    verifiers: list[NoteVerifier] = [world.log.verifier, *(w.verifier for w in world.witnesses)]
    seeds = [world.checkpoint(size) for size in (1, 1_000_000)]
    return seeds, lambda data: verified_signers(parse_note(data), verifiers)


def _checkpoints() -> Made:
    world = _world()
    seeds = [world.checkpoint(size) for size in (1, 1_000_000)]
    return seeds, lambda data: open_checkpoint(data, world.log.verifier)


def _ledger_entries() -> Made:
    entry = KeyRegistration(
        Role.TENANT, SigningKey.generate().public_key, bytes(32), "tenant-7", _NOW, building="B7"
    )
    return [encode_entry(entry)], decode_entry


def _cloud_json() -> Made:
    world = _world()
    bodies = [
        {"packets": [base64.b64encode(packet).decode() for packet in world.packets]},
        {"entry": base64.b64encode(world.receipts[0]).decode(), "proof": "AAEC", "n": 12},
        {"hub": "hub-7", "meters": [{"id": _METER, "dwelling": "Flat 12", "quantity": 1}]},
        {"amount": -1.5e3, "ok": True, "none": None, "nested": [[{"a": "é\u2028"}]]},
    ]
    return [json.dumps(body).encode() for body in bodies], json_object


def _cloud_record_fields() -> Made:
    seeds = [
        json.dumps({"record": base64.b64encode(r).decode()}).encode()
        for r in (*_world().receipts, *_world().erase_commands)
    ]
    return seeds, lambda data: record_field(data, "record")


PARSERS: tuple[Parser, ...] = (
    Parser("grant", _grants, (CredentialError,)),
    Parser("share_chain", _chains, (CredentialError,)),
    Parser("cose_sign1", _cose_sign1, (CredentialError,)),
    Parser("unlock_request", _unlock_requests, (ProtocolError, CredentialError)),
    Parser("chunked_transfer", _transfers, ()),
    Parser("reading_packet", _reading_packets, (TelemetryError,)),
    Parser("storage_receipt", _receipts, (TelemetryError,)),
    Parser("erase_command", _erase_commands, (TelemetryError,)),
    Parser("signed_note", _signed_notes, (KeylogError,)),
    Parser("checkpoint", _checkpoints, (KeylogError,)),
    Parser("ledger_entry", _ledger_entries, (KeylogError,)),
    Parser("cloud_json_body", _cloud_json, (RequestRefused,)),
    Parser("cloud_record_field", _cloud_record_fields, (RequestRefused,)),
)
