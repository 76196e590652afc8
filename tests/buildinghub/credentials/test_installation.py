"""Installation records: which lock guards which flat for which landlord, signed by them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import cbor2
import pytest

from buildinghub.credentials import (
    BadSignature,
    GrantTooLarge,
    MalformedGrant,
    MalformedKey,
    SigningKey,
    sign1,
)
from buildinghub.credentials.installation import (
    MAX_RECORD_BYTES,
    InstallationRecord,
    sign_installation,
    verify_installation,
)
from buildinghub.credentials.sealing import SealingKey

NOW = 1_767_225_600


@pytest.fixture(scope="module")
def landlord_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def record(landlord_key: SigningKey) -> InstallationRecord:
    return InstallationRecord(
        lock_id="door-01",
        flat="Flat 1A",
        landlord="landlord:ana",
        landlord_key=landlord_key.public_key,
        lock_key=SigningKey.generate().public_key,
        lock_sealing_key=SealingKey.generate().public_key,
        installed_at=NOW,
    )


def claims_of(record: InstallationRecord) -> dict[str, Any]:
    return {
        "lock_id": record.lock_id,
        "flat": record.flat,
        "landlord": record.landlord,
        "landlord_key": record.landlord_key.to_bytes(),
        "lock_key": record.lock_key.to_bytes(),
        "lock_sealing_key": record.lock_sealing_key.to_bytes(),
        "installed_at": record.installed_at,
    }


def signed(claims: object, key: SigningKey) -> bytes:
    """Any claims, signed by ``key`` under its own kid, as a landlord's app would."""
    return sign1(cbor2.dumps(claims, canonical=True), key, key.public_key.kid)


def test_a_signed_record_verifies_to_the_same_record(
    record: InstallationRecord, landlord_key: SigningKey
) -> None:
    assert verify_installation(sign_installation(record, landlord_key)) == record


def test_a_record_can_only_be_signed_by_the_key_it_names(record: InstallationRecord) -> None:
    with pytest.raises(ValueError, match="must name the key that signs it"):
        sign_installation(record, SigningKey.generate())


def test_a_record_signed_by_another_key_is_refused(record: InstallationRecord) -> None:
    with pytest.raises(MalformedGrant, match="not signed by the landlord it names"):
        verify_installation(signed(claims_of(record), SigningKey.generate()))


def test_a_record_signed_by_another_key_under_the_landlords_kid_is_refused(
    record: InstallationRecord, landlord_key: SigningKey
) -> None:
    payload = cbor2.dumps(claims_of(record), canonical=True)
    forged = sign1(payload, SigningKey.generate(), landlord_key.public_key.kid)

    with pytest.raises(BadSignature):
        verify_installation(forged)


def test_a_record_changed_after_signing_is_refused(
    record: InstallationRecord, landlord_key: SigningKey
) -> None:
    genuine = sign_installation(record, landlord_key)
    changed = genuine.replace(b"Flat 1A", b"Flat 1B")
    assert changed != genuine

    with pytest.raises(BadSignature):
        verify_installation(changed)


@pytest.mark.parametrize("missing", ["flat", "installed_at", "lock_sealing_key"])
def test_a_record_missing_a_field_is_refused(
    record: InstallationRecord, landlord_key: SigningKey, missing: str
) -> None:
    claims = claims_of(record)
    del claims[missing]

    with pytest.raises(MalformedGrant, match="exactly the fields"):
        verify_installation(signed(claims, landlord_key))


def test_a_record_with_an_extra_field_is_refused(
    record: InstallationRecord, landlord_key: SigningKey
) -> None:
    claims = claims_of(record) | {"master_pin": "0000"}

    with pytest.raises(MalformedGrant, match="exactly the fields"):
        verify_installation(signed(claims, landlord_key))


@pytest.mark.parametrize(
    ("field", "value"),
    [("lock_id", ""), ("flat", "x" * 65), ("landlord", b"landlord:ana"), ("lock_id", 1)],
    ids=["empty", "too-long", "bytes", "number"],
)
def test_a_record_whose_names_are_not_short_text_is_refused(
    record: InstallationRecord, landlord_key: SigningKey, field: str, value: object
) -> None:
    claims = claims_of(record) | {field: value}

    with pytest.raises(MalformedGrant, match="text of 1 to 64 characters"):
        verify_installation(signed(claims, landlord_key))


@pytest.mark.parametrize("value", [-1, True, 1.5, "2026-01-01"])
def test_a_record_whose_installation_time_is_not_a_unix_time_is_refused(
    record: InstallationRecord, landlord_key: SigningKey, value: object
) -> None:
    claims = claims_of(record) | {"installed_at": value}

    with pytest.raises(MalformedGrant, match="installed_at"):
        verify_installation(signed(claims, landlord_key))


def test_a_record_whose_keys_are_not_byte_strings_is_refused(
    record: InstallationRecord, landlord_key: SigningKey
) -> None:
    claims = claims_of(record) | {"lock_key": record.lock_key.to_bytes().hex()}

    with pytest.raises(MalformedGrant, match="byte strings"):
        verify_installation(signed(claims, landlord_key))


def test_a_record_naming_a_key_that_is_not_a_p256_point_is_refused(
    record: InstallationRecord, landlord_key: SigningKey
) -> None:
    claims = claims_of(record) | {"lock_sealing_key": b"\x04" + bytes(64)}

    with pytest.raises(MalformedKey):
        verify_installation(signed(claims, landlord_key))


def test_a_record_whose_payload_is_not_a_map_is_refused(landlord_key: SigningKey) -> None:
    with pytest.raises(MalformedGrant, match="exactly the fields"):
        verify_installation(signed(["door-01", "Flat 1A"], landlord_key))


def test_a_record_larger_than_a_lock_keeps_is_refused(
    record: InstallationRecord, landlord_key: SigningKey
) -> None:
    large = sign_installation(replace(record, flat="x" * 64), landlord_key)
    padded = large + bytes(MAX_RECORD_BYTES - len(large) + 1)

    with pytest.raises(GrantTooLarge):
        verify_installation(padded)


def test_bytes_that_are_not_a_signed_record_are_refused() -> None:
    with pytest.raises(MalformedGrant):
        verify_installation(b"door-01 is mine")
