"""Timing against the physical limit: a grant's verification beside cryptography's bare ES256."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence

import cbor2
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, SECP256R1, generate_private_key
from cryptography.hazmat.primitives.hashes import SHA256

from buildinghub.credentials import decode_sign1
from buildinghub.credentials.keys import KNOWN_KEYS
from buildinghub.credentials.verifier import KNOWN_GRANTS


def rate(operation: Callable[[], None], seconds: float) -> float:
    """Operations per second of this process's CPU time over about `seconds` of it.

    CPU time, not wall time: on a machine shared with other work the time this process waits
    for a core would otherwise count against whichever operation it happened to hit. Batches
    keep the clock out of the figure.
    """
    batch = 50
    done = 0
    start = time.process_time()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            operation()
        done += batch
        elapsed = time.process_time() - start
        if start + elapsed >= deadline:
            return done / elapsed


def best_against_raw(
    operations: Mapping[str, Callable[[], None]], signed: bytes, *, rounds: int, seconds: float
) -> tuple[dict[str, float], float]:
    """Best rates of each operation, and of a bare ES256 verify of ``signed``'s Sig_structure.

    They are measured in alternating rounds of the same run, so a busy machine slows all
    alike; the bare verify checks a message of exactly the size the operations check.
    """
    message = decode_sign1(signed, max_size=len(signed))
    to_be_signed = cbor2.dumps(["Signature1", message.protected, b"", message.payload])
    bare_private_key = generate_private_key(SECP256R1())
    der_signature = bare_private_key.sign(to_be_signed, ECDSA(SHA256()))
    bare_key = bare_private_key.public_key()

    def raw_verify() -> None:
        bare_key.verify(der_signature, to_be_signed, ECDSA(SHA256()))

    measured: dict[str, list[float]] = {name: [] for name in operations}
    raw: list[float] = []
    for _ in range(rounds):
        for name, operation in operations.items():
            measured[name].append(rate(operation, seconds))
        raw.append(rate(raw_verify, seconds))
    return {name: max(rates) for name, rates in measured.items()}, max(raw)


def first_seen[T](pool: Sequence[T], verify: Callable[[T], object]) -> Callable[[], None]:
    """An operation verifying the next item of ``pool`` each time, round and round.

    With more items than the library keeps decoded (KNOWN_GRANTS grants, KNOWN_KEYS keys),
    a least-recently-used cache never holds the next one: every verify starts from bytes.
    """
    items = itertools.cycle(pool)

    def operation() -> None:
        verify(next(items))

    return operation


def first_seen_pool_size(keys_per_item: int) -> int:
    """How many items, each naming ``keys_per_item`` new keys, outgrow both caches."""
    return max(KNOWN_GRANTS, KNOWN_KEYS // keys_per_item) + 64
