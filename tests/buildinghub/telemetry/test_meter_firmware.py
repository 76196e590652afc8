"""The meter keeps each reading until a real receipt for it arrives (SPEC M1, M3, M4)."""

from __future__ import annotations

import cbor2
import pytest

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.errors import (
    BadSignature,
    MalformedMessage,
    NotInReceipt,
    ReadingMismatch,
    UnknownReading,
)
from buildinghub.telemetry.reading import Reading, sign_reading

from .conftest import NOW, Bench


def test_readings_stay_in_memory_until_erased(bench: Bench) -> None:
    packets = [bench.firmware.measure(100) for _ in range(3)]

    assert list(bench.firmware.memory) == [1, 2, 3]
    assert bench.firmware.held_after(1) == packets[1]
    assert bench.firmware.held_after(3) is None


def test_a_valid_erase_command_erases_exactly_that_storage_unit(bench: Bench) -> None:
    packets = [bench.firmware.measure(100) for _ in range(3)]

    bench.firmware.erase(bench.erase_command(packets[1]).encoded)

    assert list(bench.firmware.memory) == [1, 3]
    assert bench.firmware.forced_erasures == 0


def test_one_erase_command_erases_the_meters_run_of_a_batch(bench: Bench) -> None:
    packets = [bench.firmware.measure(100) for _ in range(4)]

    bench.firmware.erase(bench.erase_command(*packets[:3]).encoded)

    assert list(bench.firmware.memory) == [4]


def test_a_forged_erase_command_changes_nothing(bench: Bench) -> None:
    packet = bench.firmware.measure(100)

    # A receipt over the reading's true entry, signed by anyone but the cloud.
    with pytest.raises(BadSignature):
        bench.firmware.erase(bench.erase_command(packet, key=SigningKey.generate()).encoded)
    with pytest.raises(MalformedMessage):
        bench.firmware.erase(b"\x82\x40\x40")

    assert list(bench.firmware.memory) == [1]


def test_a_replayed_erase_command_changes_nothing(bench: Bench) -> None:
    first = bench.firmware.measure(100)
    bench.firmware.measure(100)
    command = bench.erase_command(first).encoded
    bench.firmware.erase(command)

    with pytest.raises(UnknownReading):
        bench.firmware.erase(command)

    assert list(bench.firmware.memory) == [2]


def test_another_meters_erase_command_relabelled_for_this_meter_changes_nothing(
    bench: Bench,
) -> None:
    bench.firmware.measure(100)
    batch = bench.batch(bench.firmware.measure(100))
    theirs = next(c for c in batch.commands if c.meter_id == "meter-1")
    fields = cbor2.loads(theirs.encoded)
    fields[2] = "meter-1a-e"
    fields[4] = [[1, *fields[4][0][1:]]]

    with pytest.raises(NotInReceipt):
        bench.firmware.erase(cbor2.dumps(fields))

    assert list(bench.firmware.memory) == [1, 2]


def test_a_genuine_receipt_spliced_with_another_batchs_entries_changes_nothing(
    bench: Bench,
) -> None:
    first, second = bench.firmware.measure(100), bench.firmware.measure(100)
    other_receipt = bench.erase_command(first).receipt.encoded
    fields = cbor2.loads(bench.erase_command(second).encoded)
    fields[1] = other_receipt

    with pytest.raises(NotInReceipt):
        bench.firmware.erase(cbor2.dumps(fields))

    assert list(bench.firmware.memory) == [1, 2]


def test_an_erase_command_widened_to_another_held_reading_changes_nothing(bench: Bench) -> None:
    first, second = bench.firmware.measure(100), bench.firmware.measure(100)
    fields = cbor2.loads(bench.erase_command(first).encoded)
    fields[4].append([2, second.digest, NOW])

    with pytest.raises(NotInReceipt):
        bench.firmware.erase(cbor2.dumps(fields))
    fields[4] = [[2, second.digest, NOW]]  # the same proof, relabelled to the other reading
    with pytest.raises(NotInReceipt):
        bench.firmware.erase(cbor2.dumps(fields))

    assert list(bench.firmware.memory) == [1, 2]


def test_a_receipt_for_other_content_under_the_same_sequence_changes_nothing(
    bench: Bench,
) -> None:
    held = bench.firmware.measure(100)
    other = sign_reading(
        Reading(held.reading.meter_id, 1, held.reading.quantity, 7, 0, "1A"), bench.meter_key
    )

    with pytest.raises(ReadingMismatch):
        bench.firmware.erase(bench.erase_command(other).encoded)

    assert list(bench.firmware.memory) == [1]


def test_one_mismatched_reading_in_a_run_erases_nothing_of_it(bench: Bench) -> None:
    first, second = bench.firmware.measure(100), bench.firmware.measure(100)
    other = sign_reading(
        Reading(second.reading.meter_id, 2, second.reading.quantity, 7, 0, "1A"), bench.meter_key
    )

    with pytest.raises(ReadingMismatch):
        bench.firmware.erase(bench.erase_command(first, other).encoded)

    assert list(bench.firmware.memory) == [1, 2]


def test_an_erase_repeated_after_a_lost_answer_erases_what_is_still_held(bench: Bench) -> None:
    first, second = bench.firmware.measure(100), bench.firmware.measure(100)
    bench.firmware.erase(bench.erase_command(first).encoded)

    bench.firmware.erase(bench.erase_command(first, second).encoded)

    assert list(bench.firmware.memory) == []


def test_without_an_erase_the_meter_erases_anyway_after_the_retry_limit_and_counts_it(
    bench: Bench,
) -> None:
    bench.firmware.measure(100)
    forced: list[int] = []
    bench.firmware.add_erase_listener(
        lambda packet, was_forced: forced.append(packet.reading.sequence) if was_forced else None
    )

    dropped = [bench.firmware.retry_tick() for _ in range(4)]

    assert dropped == [[], [], [], [1]]
    assert forced == [1]
    assert bench.firmware.memory == {}
    assert bench.firmware.forced_erasures == 1


def test_a_full_memory_drops_the_oldest_reading_and_counts_it(bench: Bench) -> None:
    for _ in range(9):
        bench.firmware.measure(1)

    assert list(bench.firmware.memory) == list(range(2, 10))
    assert bench.firmware.forced_erasures == 1
