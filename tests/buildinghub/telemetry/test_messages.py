"""Reading packets, storage receipts and erase commands: strict, signed, unforgeable."""

from __future__ import annotations

import cbor2
import pytest

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.errors import BadSignature, MalformedMessage, WrongMeter
from buildinghub.telemetry.reading import (
    Quantity,
    Reading,
    decode_packet,
    sign_reading,
    verify_packet,
)
from buildinghub.telemetry.receipt import (
    MAX_ERASE_COMMAND_SIZE,
    MAX_ERASE_ENTRIES,
    decode_erase_command,
    verify_erase_command,
    verify_receipt,
)

from .conftest import NOW, Bench


def test_a_packet_carries_content_time_dwelling_and_the_meters_signature(bench: Bench) -> None:
    packet = bench.firmware.measure(1500)

    read = verify_packet(packet.encoded, bench.meter_key.public_key)

    assert read.reading == Reading("meter-1a-e", 1, Quantity.ELECTRICITY, 1500, NOW, "1A")
    assert read.digest == packet.digest


def test_a_changed_value_breaks_the_meters_signature(bench: Bench) -> None:
    packet = bench.firmware.measure(10)
    body, signature = cbor2.loads(packet.encoded)
    fields = cbor2.loads(body)
    fields[4] = 1
    forged = cbor2.dumps([cbor2.dumps(fields), signature])

    with pytest.raises(BadSignature):
        verify_packet(forged, bench.meter_key.public_key)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",
        cbor2.dumps([b"x"]),
        cbor2.dumps([b"x", b"y"]),
        cbor2.dumps([1, 2]),
        b"\x00" * 300,
    ],
)
def test_malformed_packets_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedMessage):
        decode_packet(data)


def test_readings_outside_their_ranges_are_refused() -> None:
    with pytest.raises(MalformedMessage, match="sequence"):
        Reading("m", -1, Quantity.GAS, 0, NOW, "1A")
    with pytest.raises(MalformedMessage, match="dwelling"):
        Reading("m", 1, Quantity.GAS, 0, NOW, "")


def test_a_batch_receipt_verifies_only_with_the_clouds_key(bench: Bench) -> None:
    packet = bench.firmware.measure(5)
    receipt = bench.batch(packet).receipt

    assert verify_receipt(receipt.encoded, bench.cloud_key.public_key) == receipt
    with pytest.raises(BadSignature):
        verify_receipt(receipt.encoded, SigningKey.generate().public_key)


def test_one_receipt_covers_the_batch_and_each_meter_gets_its_entries_and_a_proof(
    bench: Bench,
) -> None:
    packets = [bench.firmware.measure(5) for _ in range(3)]
    batch = bench.batch(*packets)

    assert {c.receipt for c in batch.commands} == {batch.receipt}
    assert batch.receipt.size == 8
    ours = [c for c in batch.commands if c.meter_id == "meter-1a-e"]
    assert [e.key for c in ours for e in c.entries] == [p.key for p in packets]
    for command in batch.commands:
        verify_erase_command(command.encoded, bench.cloud_key.public_key, command.meter_id)


def test_a_meters_long_run_is_cut_into_bounded_erase_commands(bench: Bench) -> None:
    packets = [bench.firmware.measure(1) for _ in range(MAX_ERASE_ENTRIES + 3)]
    bench.firmware.capacity = len(packets)

    ours = [c for c in bench.batch(*packets).commands if c.meter_id == "meter-1a-e"]

    assert [len(c.entries) for c in ours] == [MAX_ERASE_ENTRIES, 3]
    assert max(len(c.encoded) for c in ours) <= MAX_ERASE_COMMAND_SIZE


def test_an_erase_command_for_another_meter_is_refused(bench: Bench) -> None:
    other = sign_reading(
        Reading("meter-2b-g", 1, Quantity.GAS, 5, NOW, "2B"), SigningKey.generate()
    )

    with pytest.raises(WrongMeter):
        verify_erase_command(
            bench.erase_command(other).encoded, bench.cloud_key.public_key, "meter-1a-e"
        )


def test_an_erase_command_is_parsed_strictly(bench: Bench) -> None:
    command = cbor2.loads(bench.erase_command(bench.firmware.measure(5)).encoded)
    for broken in (
        [*command, 0],
        [2, *command[1:]],
        [*command[:3], -1, *command[4:]],
        [*command[:4], [], command[5]],
        [*command[:4], [[1, b"short", NOW]], command[5]],
        [*command[:5], [b"x" * 31]],
    ):
        with pytest.raises(MalformedMessage):
            decode_erase_command(cbor2.dumps(broken))
    with pytest.raises(MalformedMessage):
        decode_erase_command(bytes(MAX_ERASE_COMMAND_SIZE + 1))
