"""How fast a lock decides on a grant, against the bare ES256 verification it cannot avoid.

grant_verify_per_s: fully verify a realistic lease grant (GrantVerifier.verify) that the
lock has seen before, as at every unlock with a stored grant: the signature and every check
run each time; the decoded grant and its holder key come from the library's bounded caches.
grant_verify_first_seen_per_s: the same for grants never seen before (each its own holder
key, more of them than the caches hold): decode, point check and all.
raw_es256_verify_per_s: cryptography's bare ECDSA P-256 verify of a message the size of that
grant's COSE Sig_structure. grant_over_raw_es256 and first_seen_over_raw_es256: each rate
over the raw one, how much our parsing and checks cost on top of the signature (1.0 would be
none). Each figure is the best of several rounds of about a second, all measured alternately
in the same run.
unlock_decision_p99_ms: the hub's path from a resident's unlock request to the first command
handed to the radio, radio excluded: pick the user's usable grant among the lock's grants,
move the counter, sign the lock's nonce (proof of possession), encode the request, digest it
and hand ``transfer_begin`` to the link. The lock's nonce is taken as already received.
Wall time; unlock_decision_cpu_p99_ms is the same path's p99 in this thread's CPU time, which
time spent waiting for a core on a busy machine does not inflate.
"""

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import replace

from buildinghub.credentials import (
    Grant,
    GrantKind,
    GrantVerifier,
    MonotonicClock,
    SigningKey,
    StaticTrustStore,
    TrustedIssuer,
    decode_grant,
    issue_grant,
)
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.sealing import SealingKey
from buildinghub.devices.door_lock_protocol import answer_challenge
from buildinghub.devices.grant_book import GrantBook, HeldGrant
from buildinghub.radio.cluster import ObjectKind
from buildinghub.radio.transfer import StatusReply, send_object

from .es256 import best_against_raw, first_seen, first_seen_pool_size

_NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
_ISSUER = "cloud.building-7.example"
_LOCK = "b7-floor3-flat12-door"
_SEALED_PIN_BYTES = 91  # HPKE P-256 enc (65) + a 10-digit PIN + the AES-GCM tag (16)


def main(argv: list[str]) -> dict[str, object]:
    """Measure and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m bench grants")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--samples", type=int, default=3000, help="unlock decisions timed")
    options = parser.parse_args(argv)

    issuer = SigningKey.generate()
    encoded = issue_grant(lease(), issuer)
    unseen = [issue_grant(lease(), issuer) for _ in range(first_seen_pool_size(1))]
    verifier = GrantVerifier(
        _LOCK,
        StaticTrustStore([TrustedIssuer(_ISSUER, issuer.public_key)]),
        MonotonicClock(lambda: _NOW),
    )

    def grant_verify() -> None:
        verifier.verify(encoded)

    best, raw_best = best_against_raw(
        {"seen": grant_verify, "first_seen": first_seen(unseen, verifier.verify)},
        encoded,
        rounds=options.rounds,
        seconds=options.seconds,
    )
    return {
        "grant_verify_per_s": round(best["seen"]),
        "grant_verify_first_seen_per_s": round(best["first_seen"]),
        "raw_es256_verify_per_s": round(raw_best),
        "grant_over_raw_es256": round(best["seen"] / raw_best, 3),
        "first_seen_over_raw_es256": round(best["first_seen"] / raw_best, 3),
        "grant_bytes": len(encoded),
        **_unlock_decision(issuer, samples=options.samples),
    }


def lease() -> Grant:
    return Grant(
        issuer=_ISSUER,
        subject="tenant-0042@building-7",
        audience=_LOCK,
        not_before=_NOW - 86_400,
        expires=_NOW + 180 * 86_400,
        issued_at=_NOW - 86_400,
        grant_id=os.urandom(16),
        holder_key=SigningKey.generate().public_key,
        kind=GrantKind.LEASE,
        may_share=True,
        sealed_pin=os.urandom(_SEALED_PIN_BYTES),
    )


class _RadioReached(Exception):
    """Raised by the link at the moment the first command would go on air."""


class _FirstCommand:
    """A link that only notes when ``transfer_begin`` is handed to it."""

    async def begin(
        self, transfer_id: int, kind: ObjectKind, size: int, digest: bytes
    ) -> StatusReply:
        raise _RadioReached

    async def chunk(self, transfer_id: int, offset: int, data: bytes) -> StatusReply:
        raise _RadioReached

    async def commit(self, transfer_id: int) -> StatusReply:
        raise _RadioReached


def _unlock_decision(issuer: SigningKey, *, samples: int) -> dict[str, float]:
    """Time the hub's unlock decision for a lock holding eight grants of several users."""
    hub_key = SigningKey.generate()
    book = GrantBook(MonotonicClock(lambda: _NOW))
    book.trust_lock(
        "lock-ieee",
        InstallationRecord(
            lock_id=_LOCK,
            flat="Flat 12",
            landlord=_ISSUER,
            landlord_key=issuer.public_key,
            lock_key=SigningKey.generate().public_key,
            lock_sealing_key=SealingKey.generate().public_key,
            installed_at=_NOW - 86_400,
        ),
    )
    for index in range(8):
        grant = replace(lease(), holder_key=hub_key.public_key, grant_id=os.urandom(16))
        signed = decode_grant(issue_grant(grant, issuer))
        book.add(HeldGrant(signed=signed, lock="lock-ieee", user=f"user-{index}"))
    nonce = os.urandom(16)
    link = _FirstCommand()

    async def decide(counter: int) -> None:
        held = book.remote_grant("lock-ieee", "user-7", hub_key.public_key)
        assert held is not None
        request = answer_challenge(held.signed, hub_key, nonce, counter)
        try:
            await send_object(
                link,
                device="lock-ieee",
                transfer_id=1,
                kind=ObjectKind.unlock,
                payload=request.encode(),
            )
        except _RadioReached:
            return

    async def run() -> tuple[list[float], list[float]]:
        timings, cpu_timings = [], []
        for counter in range(1, samples + 1):
            start, cpu_start = time.perf_counter(), time.thread_time()
            await decide(counter)
            cpu_timings.append((time.thread_time() - cpu_start) * 1000)
            timings.append((time.perf_counter() - start) * 1000)
        return timings, cpu_timings

    timings, cpu_timings = asyncio.run(run())
    percentiles = statistics.quantiles(timings, n=100)
    cpu_percentiles = statistics.quantiles(cpu_timings, n=100)
    return {
        "unlock_decision_p50_ms": round(percentiles[49], 3),
        "unlock_decision_p99_ms": round(percentiles[98], 3),
        "unlock_decision_cpu_p99_ms": round(cpu_percentiles[98], 3),
    }
