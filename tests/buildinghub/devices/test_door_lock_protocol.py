"""The door lock protocol, byte for byte: strict on what it reads, exact on what it writes."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zigpy.zcl.clusters.closures import OperationEvent, OperationEventSource

from buildinghub.devices.door_lock_protocol import (
    AccessEvent,
    AccessMethod,
    ProtocolError,
    UnlockRequest,
    parse_event_data,
)

GRANT_ID = bytes(range(16))
NONCE = bytes(range(100, 116))
PROOF = bytes(range(64))
REQUEST = UnlockRequest(grant_id=GRANT_ID, nonce=NONCE, counter=1_767_225_600, proof=PROOF)
EXAMPLES = settings(deadline=None, max_examples=100)


# -- unlock requests ---------------------------------------------------------------------


def test_an_unlock_request_decodes_to_what_was_encoded() -> None:
    assert UnlockRequest.decode(REQUEST.encode()) == REQUEST


def test_an_unlock_request_is_a_cbor_array_of_four_fields() -> None:
    assert cbor2.loads(REQUEST.encode()) == [GRANT_ID, NONCE, 1_767_225_600, PROOF]


@pytest.mark.parametrize(
    "fields",
    [
        [GRANT_ID[:15], NONCE, 1, PROOF],
        [GRANT_ID + b"\x00", NONCE, 1, PROOF],
        [GRANT_ID, NONCE[:15], 1, PROOF],
        [GRANT_ID, NONCE, 0, PROOF],
        [GRANT_ID, NONCE, -1, PROOF],
        [GRANT_ID, NONCE, 2**32, PROOF],
        [GRANT_ID, NONCE, True, PROOF],
        [GRANT_ID, NONCE, 1.0, PROOF],
        [GRANT_ID, NONCE, 1, PROOF[:63]],
        [GRANT_ID.hex(), NONCE, 1, PROOF],
    ],
    ids=[
        "short-grant-id",
        "long-grant-id",
        "short-nonce",
        "zero-counter",
        "negative-counter",
        "counter-past-32-bits",
        "bool-counter",
        "float-counter",
        "short-proof",
        "text-grant-id",
    ],
)
def test_an_unlock_request_with_a_wrong_field_is_refused(fields: list[object]) -> None:
    with pytest.raises(ProtocolError, match="wrong types or sizes"):
        UnlockRequest.decode(cbor2.dumps(fields))


@pytest.mark.parametrize(
    "value",
    [[GRANT_ID, NONCE, 1], [GRANT_ID, NONCE, 1, PROOF, b""], {"grant_id": GRANT_ID}, GRANT_ID],
    ids=["three-fields", "five-fields", "map", "bytes"],
)
def test_an_unlock_request_that_is_not_a_list_of_four_is_refused(value: object) -> None:
    with pytest.raises(ProtocolError, match="list of four"):
        UnlockRequest.decode(cbor2.dumps(value))


def test_an_unlock_request_with_bytes_after_it_is_refused() -> None:
    with pytest.raises(ProtocolError, match="trailing or non-canonical"):
        UnlockRequest.decode(REQUEST.encode() + b"\x00")


def test_an_unlock_request_with_a_padded_length_is_refused() -> None:
    canonical = REQUEST.encode()
    # The counter as a uint64 (0x1b) instead of the shortest uint32 (0x1a).
    padded = canonical.replace(
        b"\x1a" + (1_767_225_600).to_bytes(4), b"\x1b" + (1_767_225_600).to_bytes(8)
    )
    assert padded != canonical

    with pytest.raises(ProtocolError, match="trailing or non-canonical"):
        UnlockRequest.decode(padded)


def test_an_unlock_request_of_indefinite_length_is_refused() -> None:
    indefinite = b"\x9f" + REQUEST.encode()[1:] + b"\xff"

    with pytest.raises(ProtocolError):
        UnlockRequest.decode(indefinite)


def test_bytes_that_are_not_cbor_are_not_an_unlock_request() -> None:
    with pytest.raises(ProtocolError, match="not CBOR"):
        UnlockRequest.decode(b"\x5f")


@EXAMPLES
@given(
    grant_id=st.binary(min_size=16, max_size=16),
    nonce=st.binary(min_size=16, max_size=16),
    counter=st.integers(min_value=1, max_value=2**32 - 1),
    proof=st.binary(min_size=64, max_size=64),
)
def test_every_well_formed_unlock_request_round_trips(
    grant_id: bytes, nonce: bytes, counter: int, proof: bytes
) -> None:
    request = UnlockRequest(grant_id=grant_id, nonce=nonce, counter=counter, proof=proof)

    assert UnlockRequest.decode(request.encode()) == request


@EXAMPLES
@given(data=st.binary(max_size=200))
def test_any_bytes_are_an_unlock_request_or_a_protocol_error(data: bytes) -> None:
    try:
        request = UnlockRequest.decode(data)
    except ProtocolError:
        return
    assert request.encode() == data


# -- access events -----------------------------------------------------------------------


def event(**changes: object) -> AccessEvent:
    fields: dict[str, object] = {
        "method": AccessMethod.KEYPAD,
        "granted": False,
        "reason": "unknown_credential",
        "grant_id": None,
        "at": 1_767_225_600,
    }
    fields.update(changes)
    return AccessEvent(**fields)  # type: ignore[arg-type]


def test_an_opening_is_the_standard_unlock_event() -> None:
    assert event(granted=True, reason="granted").event_code() is OperationEvent.Unlock


@pytest.mark.parametrize("reason", ["not_yet_valid", "expired"])
def test_the_right_credential_at_the_wrong_time_is_an_invalid_schedule(reason: str) -> None:
    assert event(reason=reason).event_code() is OperationEvent.UnlockFailureInvalidSchedule


@pytest.mark.parametrize(
    "reason", ["unknown_credential", "proof_mismatch", "stale_challenge", "uses_exhausted"]
)
def test_any_other_refusal_is_an_invalid_pin_or_id(reason: str) -> None:
    assert event(reason=reason).event_code() is OperationEvent.UnlockFailureInvalidPINorID


@pytest.mark.parametrize(
    ("method", "source"),
    [
        (AccessMethod.KEYPAD, OperationEventSource.Keypad),
        (AccessMethod.REMOTE, OperationEventSource.RF),
        (AccessMethod.MANUAL, OperationEventSource.Manual),
        (AccessMethod.FINGERPRINT, OperationEventSource.Indeterminate),
    ],
)
def test_each_method_has_its_standard_event_source(
    method: AccessMethod, source: OperationEventSource
) -> None:
    assert event(method=method).source() is source


def test_the_event_data_names_method_reason_and_grant() -> None:
    assert event(method=AccessMethod.REMOTE, reason="proof_mismatch", grant_id=GRANT_ID).data() == (
        f"remote|proof_mismatch|{GRANT_ID.hex()}"
    )


def test_an_event_without_a_grant_has_an_empty_grant_field() -> None:
    assert event().data() == "keypad|unknown_credential|"


@EXAMPLES
@given(
    method=st.sampled_from(AccessMethod),
    granted=st.booleans(),
    reason=st.from_regex(r"[a-z_]{1,32}", fullmatch=True),
    grant_id=st.none() | st.binary(min_size=16, max_size=16),
    at=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_every_event_survives_the_trip_to_the_hub(
    method: AccessMethod, granted: bool, reason: str, grant_id: bytes | None, at: int
) -> None:
    sent = AccessEvent(method=method, granted=granted, reason=reason, grant_id=grant_id, at=at)

    assert parse_event_data(sent.data(), granted=granted, at=at) == sent


@pytest.mark.parametrize(
    "data",
    [
        "keypad|unknown_credential",
        "keypad|unknown_credential||",
        "door|unknown_credential|",
        "keypad||",
        f"keypad|{'x' * 33}|",
        "keypad|expired|zz",
        f"keypad|expired|{GRANT_ID[:15].hex()}",
    ],
    ids=[
        "two-fields",
        "four-fields",
        "unknown-method",
        "empty-reason",
        "long-reason",
        "grant-not-hex",
        "short-grant",
    ],
)
def test_event_data_not_in_the_protocol_is_refused(data: str) -> None:
    with pytest.raises(ProtocolError):
        parse_event_data(data, granted=False, at=0)
