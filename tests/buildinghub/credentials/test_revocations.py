"""The revocation memory: every revocation kept until its grant ends, bounded without forgetting."""

from __future__ import annotations

import pytest

from buildinghub.credentials import RevocationsFull
from buildinghub.credentials.revocations import RevocationList

from .conftest import NOW, SettableClock


def test_a_revocation_is_kept_until_its_grant_ends() -> None:
    clock = SettableClock(NOW)
    revoked = RevocationList(clock, capacity=2)
    revoked.add(b"a" * 16, NOW + 10)

    clock.time = NOW + 9
    revoked.purge_expired()
    assert b"a" * 16 in revoked
    clock.time = NOW + 10
    revoked.purge_expired()
    assert b"a" * 16 not in revoked


def test_a_full_memory_refuses_and_forgets_nothing() -> None:
    revoked = RevocationList(SettableClock(NOW), capacity=2)
    revoked.add(b"a" * 16, NOW + 10)
    revoked.add(b"b" * 16, NOW + 10)

    with pytest.raises(RevocationsFull, match="forgets none early"):
        revoked.add(b"c" * 16, NOW + 10)

    assert (b"a" * 16 in revoked, b"b" * 16 in revoked, b"c" * 16 in revoked) == (
        True,
        True,
        False,
    )


def test_ended_revocations_make_room() -> None:
    clock = SettableClock(NOW)
    revoked = RevocationList(clock, capacity=1)
    revoked.add(b"a" * 16, NOW + 10)
    clock.time = NOW + 10

    revoked.add(b"b" * 16, NOW + 20)

    assert list(revoked.to_json()) == [(b"b" * 16).hex()]


def test_revoking_again_keeps_the_later_end_and_takes_no_room() -> None:
    revoked = RevocationList(SettableClock(NOW), capacity=1)
    revoked.add(b"a" * 16, NOW + 20)

    revoked.add(b"a" * 16, NOW + 10)

    assert revoked.to_json() == {(b"a" * 16).hex(): NOW + 20}


def test_the_memory_survives_a_restart() -> None:
    revoked = RevocationList(SettableClock(NOW), capacity=4)
    revoked.add(b"a" * 16, NOW + 20)
    restored = RevocationList(SettableClock(NOW), capacity=4)

    restored.load_json(revoked.to_json())

    assert b"a" * 16 in restored
