"""Batch storage receipts and erase commands (SPEC C1), checked from the format description in
telemetry/receipt.py with hashlib, cbor2 and cryptography only: the Merkle tree hash of
RFC 9162 §2.1.1, the range proof as "the hashes of the subtrees outside the meter's run, left
to right", and the receipt's ES256 signature (64-byte r || s) under its domain tag.

Both directions: what our cloud code issues verifies here, and a receipt and erase command
built here are accepted by our meter-side check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.errors import TelemetryError
from buildinghub.telemetry.receipt import ReceiptEntry, issue_receipt, verify_erase_command

TAG = b"buildinghub/batch-receipt/v1\x00"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# Three meters with runs of 1, 13 and 7 readings: 21 leaves, so runs straddle subtrees.
RUNS = {"meter-1a-e": [4], "meter-1b-w": list(range(100, 113)), "meter-2a-g": list(range(7))}


def _leaf(meter: str, sequence: int, digest: bytes, stored_at: int) -> bytes:
    return hashlib.sha256(b"\x00" + cbor2.dumps([meter, sequence, digest, stored_at])).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (RFC 9162 §2.1.1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(leaves: Sequence[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(_mth(leaves[:k]), _mth(leaves[k:]))


def _outside(leaves: Sequence[bytes], lo: int, hi: int, first: int, end: int) -> Iterator[bytes]:
    """The range proof: hashes of the maximal subtrees with no leaf in [first, end)."""
    if hi <= first or lo >= end:
        yield _mth(leaves[lo:hi])
        return
    if hi - lo == 1:
        return
    k = _split(hi - lo)
    yield from _outside(leaves, lo, lo + k, first, end)
    yield from _outside(leaves, lo + k, hi, first, end)


def _root_from(run: Sequence[bytes], proof: Iterator[bytes], lo: int, hi: int, first: int) -> bytes:
    end = first + len(run)
    if hi <= first or lo >= end:
        return next(proof)
    if hi - lo == 1:
        return run[lo - first]
    k = _split(hi - lo)
    left = _root_from(run, proof, lo, lo + k, first)
    return _node(left, _root_from(run, proof, lo + k, hi, first))


def _entries() -> list[tuple[str, int, bytes, int]]:
    return sorted(
        (meter, sequence, hashlib.sha256(f"{meter}/{sequence}".encode()).digest(), 1_767_225_600)
        for meter, sequences in RUNS.items()
        for sequence in sequences
    )


def _verify_es256(key: SigningKey, signature: bytes, message: bytes) -> None:
    assert len(signature) == 64
    r, s = int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key.public_key.to_bytes())
    public.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))


def test_a_batch_receipt_is_the_signed_rfc9162_root_of_its_entries() -> None:
    cloud = SigningKey.generate()
    entries = _entries()

    batch = issue_receipt([ReceiptEntry(*entry) for entry in entries], cloud)

    body, signature = cbor2.loads(batch.receipt.encoded)
    leaves = [_leaf(*entry) for entry in entries]
    assert cbor2.loads(body) == [1, len(entries), _mth(leaves)]
    _verify_es256(cloud, signature, TAG + body)


def test_each_erase_command_is_its_meters_run_with_the_subtrees_outside_it() -> None:
    cloud = SigningKey.generate()
    entries = _entries()
    leaves = [_leaf(*entry) for entry in entries]
    root = _mth(leaves)

    batch = issue_receipt([ReceiptEntry(*entry) for entry in entries], cloud)

    assert {command.meter_id for command in batch.commands} == set(RUNS)
    for command in batch.commands:
        version, receipt, meter, first, items, proof = cbor2.loads(command.encoded)
        assert (version, receipt) == (1, batch.receipt.encoded)
        run = [(meter, sequence, digest, stored_at) for sequence, digest, stored_at in items]
        assert run == entries[first : first + len(run)], "the run is the meter's own leaves"
        assert {entry[0] for entry in run} == {meter}
        assert proof == list(_outside(leaves, 0, len(leaves), first, first + len(run)))
        hashes_left = iter(proof)
        assert _root_from([_leaf(*e) for e in run], hashes_left, 0, len(leaves), first) == root
        assert next(hashes_left, None) is None, "the proof has no hash to spare"


def _cloud_sign(private: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256())))
    s = min(s, P256_ORDER - s)  # the canonical (low-s) form our verifiers accept
    return r.to_bytes(32) + s.to_bytes(32)


def _command_built_here(
    private: ec.EllipticCurvePrivateKey, meter: str, *, sign_over: bytes | None = None
) -> bytes:
    entries = _entries()
    leaves = [_leaf(*entry) for entry in entries]
    body = cbor2.dumps([1, len(leaves), _mth(leaves)])
    receipt = cbor2.dumps([body, _cloud_sign(private, TAG + (sign_over or body))])
    first = next(i for i, entry in enumerate(entries) if entry[0] == meter)
    run = [entry for entry in entries if entry[0] == meter]
    proof = list(_outside(leaves, 0, len(leaves), first, first + len(run)))
    items = [[sequence, digest, stored_at] for _, sequence, digest, stored_at in run]
    return cbor2.dumps([1, receipt, meter, first, items, proof])


def test_a_receipt_and_erase_command_built_from_the_description_are_accepted() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    cloud = SigningKey(private)

    command = verify_erase_command(
        _command_built_here(private, "meter-1b-w"), cloud.public_key, "meter-1b-w"
    )

    assert [entry.sequence for entry in command.entries] == RUNS["meter-1b-w"]


def test_one_built_here_that_breaks_the_description_is_refused() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    cloud = SigningKey(private)
    # The signature made over the body without its domain tag's version: another statement.
    other = cbor2.dumps([2, 21, bytes(32)])

    with pytest.raises(TelemetryError):
        verify_erase_command(
            _command_built_here(private, "meter-2a-g", sign_over=other),
            cloud.public_key,
            "meter-2a-g",
        )
