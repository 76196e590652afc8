"""Ledger entries: one canonical encoding each, strict decoding, no personal data."""

import cbor2
import pytest

from buildinghub.credentials import SigningKey
from buildinghub.keylog.entries import (
    KeyRegistration,
    KeyRevocation,
    RecordKind,
    Role,
    SignedRecord,
    decode_entry,
    encode_entry,
    rotate_key,
)
from buildinghub.keylog.errors import MalformedEntry
from buildinghub.keylog.identity import identity_lookup_hash

from .conftest import BUILDING, SALT


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


def test_every_entry_type_round_trips(key: SigningKey) -> None:
    entries = [
        KeyRegistration(
            Role.TENANT,
            key.public_key,
            identity_lookup_hash(SALT, "AB123456"),
            "tenant-7",
            1_767_225_600,
            building=BUILDING,
        ),
        rotate_key(key, SigningKey.generate().public_key, 1_767_225_700, building=BUILDING),
        KeyRevocation(key.public_key.kid, 1_767_225_800, "phone lost", building=BUILDING),
        SignedRecord(RecordKind.LISTING, b"\xd2\x84signed"),
    ]

    for entry in entries:
        assert decode_entry(encode_entry(entry)) == entry


def test_identity_lookup_hash_never_contains_the_number_and_normalises_it() -> None:
    digest = identity_lookup_hash(SALT, "ab 123-456")

    assert digest == identity_lookup_hash(SALT, "AB123456")
    assert digest != identity_lookup_hash(b"another pepper, 32 bytes long!!!", "AB123456")
    assert b"123456" not in digest
    assert len(digest) == 32


def test_identity_lookup_refuses_a_short_salt_without_echoing_the_number() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        identity_lookup_hash(b"short", "AB123456")
    with pytest.raises(ValueError, match="letters and digits") as refused:
        identity_lookup_hash(SALT, "AB/123456")
    assert "123456" not in str(refused.value)


def test_registration_holds_only_public_key_salted_hash_public_name_and_building(
    key: SigningKey,
) -> None:
    owner = identity_lookup_hash(SALT, "AB123456")
    data = encode_entry(
        KeyRegistration(Role.TENANT, key.public_key, owner, "tenant-7", 1, building=BUILDING)
    )

    assert set(cbor2.loads(data)) == {"type", "role", "key", "owner", "subject", "building", "at"}
    assert b"AB123456" not in data


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "delete", "kid": b"x"}, "unknown entry type"),
        ({"type": "revoke", "kid": bytes(16), "at": 1}, "exactly the fields"),
        (
            {"type": "revoke", "kid": bytes(16), "at": 1, "reason": "r", "x": 1},
            "exactly the fields",
        ),
        ({"type": "revoke", "kid": bytes(15), "at": 1, "reason": "r", "building": "b"}, "16 bytes"),
        (
            {"type": "revoke", "kid": bytes(16), "at": True, "reason": "r", "building": "b"},
            "integer",
        ),
        (
            {"type": "revoke", "kid": bytes(16), "at": -1, "reason": "r", "building": "b"},
            "unix seconds",
        ),
        ({"type": "revoke", "kid": "k", "at": 1, "reason": "r", "building": "b"}, "byte string"),
        ({"type": "listing", "record": ""}, "byte string"),
        ({"type": "listing", "record": b""}, "must not be empty"),
        (
            {
                "type": "register",
                "role": "janitor",
                "key": bytes(65),
                "owner": bytes(32),
                "subject": "s",
                "building": "b",
                "at": 1,
            },
            "unknown role",
        ),
        (
            {
                "type": "register",
                "role": "lock",
                "key": b"\x04" + bytes(64),
                "owner": bytes(32),
                "subject": "s",
                "building": "b",
                "at": 1,
            },
            "not a point on P-256",
        ),
    ],
)
def test_malformed_entries_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(MalformedEntry, match=message):
        decode_entry(cbor2.dumps(fields, canonical=True))


def test_non_canonical_and_trailing_bytes_are_refused(key: SigningKey) -> None:
    entry = KeyRevocation(key.public_key.kid, 5, "lost", building=BUILDING)
    fields = {"type": "revoke", "kid": entry.kid, "at": 5, "reason": "lost", "building": BUILDING}
    unsorted = cbor2.dumps(fields)  # insertion order, not canonical key order

    assert unsorted != encode_entry(entry)
    with pytest.raises(MalformedEntry, match="canonical"):
        decode_entry(unsorted)
    with pytest.raises(MalformedEntry, match="after its end"):
        decode_entry(encode_entry(entry) + b"\x00")


def test_an_entry_written_before_entries_named_their_building_is_refused(
    key: SigningKey,
) -> None:
    old_format = {
        "type": "register",
        "role": "landlord",
        "key": key.public_key.to_bytes(),
        "owner": bytes(32),
        "subject": "landlord.building-7.example",
        "at": 1,
    }

    with pytest.raises(MalformedEntry, match=r"exactly the fields.*'building'"):
        decode_entry(cbor2.dumps(old_format, canonical=True))
