"""A meter's backlog in one bundle: strict, one meter, sequences rising above the cursor."""

from __future__ import annotations

import cbor2
import pytest

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.bundle import (
    MAX_BUNDLE_READINGS,
    decode_bundle,
    encode_bundle,
)
from buildinghub.telemetry.errors import MalformedMessage
from buildinghub.telemetry.reading import Quantity, Reading, sign_reading

from .conftest import NOW, Bench


def test_a_bundle_carries_the_held_readings_oldest_first(bench: Bench) -> None:
    packets = [bench.firmware.measure(10) for _ in range(3)]

    assert decode_bundle(encode_bundle(packets), after=0) == packets
    assert decode_bundle(encode_bundle([]), after=0) == []


@pytest.mark.parametrize("reason", ["reordered", "at or below the cursor", "two meters"])
def test_a_bundle_that_breaks_the_pull_is_refused(bench: Bench, reason: str) -> None:
    first, second = bench.firmware.measure(10), bench.firmware.measure(10)
    stranger = sign_reading(
        Reading("meter-2b-g", 3, Quantity.GAS, 1, NOW, "2B"), SigningKey.generate()
    )
    packets, after = {
        "reordered": ([second, first], 0),
        "at or below the cursor": ([first, second], 1),
        "two meters": ([first, second, stranger], 0),
    }[reason]

    with pytest.raises(MalformedMessage):
        decode_bundle(encode_bundle(packets), after)


def test_a_bundle_is_bounded_and_strict(bench: Bench) -> None:
    packet = bench.firmware.measure(10)

    with pytest.raises(MalformedMessage):
        decode_bundle(cbor2.dumps([packet.encoded] * (MAX_BUNDLE_READINGS + 1)), after=0)
    with pytest.raises(MalformedMessage):
        decode_bundle(cbor2.dumps(["not bytes"]), after=0)
    with pytest.raises(MalformedMessage):
        decode_bundle(encode_bundle([packet]) + b"\x00", after=0)
    with pytest.raises(ValueError, match="at most"):
        encode_bundle([packet] * (MAX_BUNDLE_READINGS + 1))
