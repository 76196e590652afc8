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
from buildinghub.telemetry.receipt import verify_erase_command, verify_receipt

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


def test_a_receipt_verifies_only_with_the_clouds_key(bench: Bench) -> None:
    packet = bench.firmware.measure(5)
    receipt = bench.receipt(packet)

    assert verify_receipt(receipt.encoded, bench.cloud_key.public_key).covers(packet)
    with pytest.raises(BadSignature):
        verify_receipt(receipt.encoded, SigningKey.generate().public_key)


def test_an_erase_command_for_another_meter_is_refused(bench: Bench) -> None:
    other = sign_reading(
        Reading("meter-2b-g", 1, Quantity.GAS, 5, NOW, "2B"), SigningKey.generate()
    )

    with pytest.raises(WrongMeter):
        verify_erase_command(bench.receipt(other).encoded, bench.cloud_key.public_key, "meter-1a-e")
