"""Timing against the physical limit: a grant's verification beside cryptography's bare ES256."""

from __future__ import annotations

import time
from collections.abc import Callable

import cbor2
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, SECP256R1, generate_private_key
from cryptography.hazmat.primitives.hashes import SHA256

from buildinghub.credentials import decode_sign1


def rate(operation: Callable[[], None], seconds: float) -> float:
    """Operations per second over about `seconds`, timing batches to keep the clock out."""
    batch = 50
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            operation()
        done += batch
        elapsed = time.perf_counter() - start
        if start + elapsed >= deadline:
            return done / elapsed


def best_against_raw(
    operation: Callable[[], None], signed: bytes, *, rounds: int, seconds: float
) -> tuple[float, float]:
    """Best rates of ``operation`` and of a bare ES256 verify of ``signed``'s Sig_structure.

    The two are measured in alternating rounds of the same run, so a busy machine slows
    both alike; the bare verify checks a message of exactly the size ``operation`` checks.
    """
    message = decode_sign1(signed, max_size=len(signed))
    to_be_signed = cbor2.dumps(["Signature1", message.protected, b"", message.payload])
    bare_private_key = generate_private_key(SECP256R1())
    der_signature = bare_private_key.sign(to_be_signed, ECDSA(SHA256()))
    bare_key = bare_private_key.public_key()

    def raw_verify() -> None:
        bare_key.verify(der_signature, to_be_signed, ECDSA(SHA256()))

    measured: list[float] = []
    raw: list[float] = []
    for _ in range(rounds):
        measured.append(rate(operation, seconds))
        raw.append(rate(raw_verify, seconds))
    return max(measured), max(raw)
