"""Signed records: one canonical map of exactly the listed fields, each read with its type."""

import cbor2
import pytest

from buildinghub.credentials.cose import sign1
from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.signed_record import (
    MalformedRecord,
    blob,
    optional_uint,
    public_key,
    read_record,
    sign_record,
    text,
    uint,
)

FIELDS = ("lock", "at")


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


def test_a_record_reads_back_and_verifies_with_its_key(key: SigningKey) -> None:
    data = sign_record("example", {"lock": "door-1", "at": 5}, key, max_size=256)

    record = read_record(data, record_type="example", fields=FIELDS, max_size=256)
    record.verify(key.public_key)

    assert dict(record.fields) == {"type": "example", "lock": "door-1", "at": 5}
    assert record.kid == key.public_key.kid


def test_a_record_checked_against_another_key_is_refused(key: SigningKey) -> None:
    data = sign_record("example", {"lock": "door-1", "at": 5}, key, max_size=256)
    record = read_record(data, record_type="example", fields=FIELDS, max_size=256)

    with pytest.raises(BadSignature, match="not by the expected key"):
        record.verify(SigningKey.generate().public_key)


def test_type_is_not_a_field(key: SigningKey) -> None:
    with pytest.raises(ValueError, match="record type"):
        sign_record("example", {"type": "other"}, key, max_size=256)


def test_a_record_larger_than_its_readers_accept_is_not_signed(key: SigningKey) -> None:
    with pytest.raises(MalformedRecord, match="more than the 100"):
        sign_record("example", {"lock": "x" * 64, "at": 5}, key, max_size=100)


def test_a_record_larger_than_accepted_is_refused_before_parsing(key: SigningKey) -> None:
    data = sign_record("example", {"lock": "door-1", "at": 5}, key, max_size=256)

    with pytest.raises(MalformedRecord, match="more than the 100 accepted"):
        read_record(data, record_type="example", fields=FIELDS, max_size=100)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (cbor2.dumps(["example"]), "must be a CBOR map"),
        # Keys out of canonical order (RFC 8949 §4.2.1 sorts by encoded bytes).
        (b"\xa3\x64type\x67example\x64lock\x66door-1\x62at\x05", "deterministically"),
        (cbor2.dumps({"type": "example", "lock": "door-1"}), "missing"),
        (cbor2.dumps({"type": "other", "lock": "door-1", "at": 5}), "expected a example"),
    ],
    ids=["array", "unsorted", "missing-field", "other-type"],
)
def test_a_payload_out_of_shape_is_refused(key: SigningKey, payload: bytes, message: str) -> None:
    data = sign1(payload, key, key.public_key.kid)

    with pytest.raises(MalformedRecord, match=message):
        read_record(data, record_type="example", fields=FIELDS, max_size=256)


def test_the_readers_check_each_type() -> None:
    fields: dict[str, object] = {
        "name": "x" * 65,
        "count": -1,
        "flag": True,
        "none": None,
        "short": b"",
        "key": bytes(65),
    }

    with pytest.raises(MalformedRecord, match="1 to 64 characters"):
        text(fields, "name")
    with pytest.raises(MalformedRecord, match="non-negative"):
        uint(fields, "count")
    with pytest.raises(MalformedRecord, match="non-negative"):
        uint(fields, "flag")
    assert optional_uint(fields, "none") is None
    with pytest.raises(MalformedRecord, match="1 to 64 bytes"):
        blob(fields, "short")
    with pytest.raises(MalformedRecord, match="byte string"):
        blob(fields, "name")
    with pytest.raises(MalformedRecord, match="key: "):
        public_key(fields, "key")
