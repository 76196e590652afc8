"""Grants: every claim round-trips, the encoding stays small, bad claims are refused."""

import hashlib
import os
from collections.abc import Callable

import cbor2
import pytest

from buildinghub.credentials import (
    Grant,
    GrantKind,
    GrantTooLarge,
    MalformedGrant,
    ShareMode,
    SigningKey,
    decode_grant,
    issue_grant,
    sign1,
)

MakeGrant = Callable[..., Grant]


def _issue_claims(claims: dict[int, object], key: SigningKey) -> bytes:
    """Sign any claims map, bypassing Grant's own checks, as a faulty issuer would."""
    return sign1(cbor2.dumps(claims, canonical=True), key, key.public_key.kid)


def test_every_field_round_trips(make_grant: MakeGrant, issuer_key: SigningKey) -> None:
    grant = make_grant(
        kind=GrantKind.SHARE,
        max_uses=3,
        may_share=True,
        share_mode=ShareMode.TRANSFER,
        sealed_pin=os.urandom(93),
        parent=hashlib.sha256(b"parent grant").digest(),
    )

    signed = decode_grant(issue_grant(grant, issuer_key))

    assert signed.grant == grant
    assert signed.kid == issuer_key.public_key.kid


def test_optional_fields_left_unset_round_trip(
    make_grant: MakeGrant, issuer_key: SigningKey
) -> None:
    grant = make_grant(kind=GrantKind.VIEWING, sealed_pin=None)

    decoded = decode_grant(issue_grant(grant, issuer_key)).grant

    assert decoded == grant
    assert (decoded.max_uses, decoded.share_mode, decoded.sealed_pin, decoded.parent) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize("kind", list(GrantKind))
def test_every_kind_round_trips(
    make_grant: MakeGrant, issuer_key: SigningKey, kind: GrantKind
) -> None:
    grant = make_grant(kind=kind)

    assert decode_grant(issue_grant(grant, issuer_key)).grant.kind is kind


def test_claims_use_cwt_keys_and_private_use_keys_for_ours(make_grant: MakeGrant) -> None:
    claims = make_grant(max_uses=1, share_mode=ShareMode.CO_USE, parent=bytes(32)).to_claims()

    assert set(claims) == {1, 2, 3, 4, 5, 6, 7, 8, -70001, -70002, -70003, -70004, -70005, -70006}
    assert claims[8] == {1: make_grant().holder_key.to_cose_key()}
    assert claims[-70001] == "lease"


def test_lease_with_holder_key_and_sealed_pin_stays_well_under_512_bytes(
    make_grant: MakeGrant, issuer_key: SigningKey
) -> None:
    encoded = issue_grant(make_grant(sealed_pin=os.urandom(91)), issuer_key)

    print(f"lease grant with cnf and a 91-byte sealed PIN: {len(encoded)} bytes")
    assert len(encoded) <= 448


def test_digest_is_sha256_of_the_exact_encoding(encoded_lease: bytes) -> None:
    assert decode_grant(encoded_lease).digest == hashlib.sha256(encoded_lease).digest()


def test_decoding_does_not_check_the_signature(make_grant: MakeGrant) -> None:
    untrusted = issue_grant(make_grant(), SigningKey.generate())

    assert decode_grant(untrusted).grant == make_grant()


def test_issuing_a_grant_too_large_to_verify_is_refused(
    make_grant: MakeGrant, issuer_key: SigningKey
) -> None:
    with pytest.raises(GrantTooLarge, match="shorten"):
        issue_grant(make_grant(sealed_pin=bytes(900)), issuer_key)


def test_decoding_more_than_1024_bytes_is_refused(encoded_lease: bytes) -> None:
    with pytest.raises(GrantTooLarge):
        decode_grant(encoded_lease + bytes(1024 - len(encoded_lease) + 1))


def test_unknown_claim_is_refused(lease: Grant, issuer_key: SigningKey) -> None:
    claims = {**lease.to_claims(), -70099: "surprise"}

    with pytest.raises(MalformedGrant, match="unknown claims"):
        decode_grant(_issue_claims(claims, issuer_key))


@pytest.mark.parametrize(("key", "name"), [(3, "aud"), (7, "cti"), (8, "cnf"), (-70001, "kind")])
def test_missing_claim_is_refused(
    lease: Grant, issuer_key: SigningKey, key: int, name: str
) -> None:
    claims = lease.to_claims()
    del claims[key]

    with pytest.raises(MalformedGrant, match=f"missing claims.*{name}"):
        decode_grant(_issue_claims(claims, issuer_key))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (5, True, "nbf must be int"),
        (4, "tomorrow", "exp must be int"),
        (1, b"issuer", "iss must be str"),
        (7, "0123456789abcdef", "cti must be bytes"),
        (-70002, 2.0, "max_uses must be int"),
        (-70003, 1, "may_share must be bool"),
        (-70001, "master", "kind must be one of"),
        (-70004, "lend", "share_mode must be one of"),
        (-70005, None, "sealed_pin must be bytes"),
        (8, {1: {1: 2}}, "cnf:"),
        (8, {2: b"kid"}, "cnf must be"),
    ],
)
def test_claim_of_the_wrong_type_or_value_is_refused(
    lease: Grant, issuer_key: SigningKey, key: int, value: object, message: str
) -> None:
    claims = {**lease.to_claims(), key: value}

    with pytest.raises(MalformedGrant, match=message):
        decode_grant(_issue_claims(claims, issuer_key))


def test_claims_wrapped_in_a_semantic_tag_are_refused(lease: Grant, issuer_key: SigningKey) -> None:
    claims = {**lease.to_claims(), 4: cbor2.CBORTag(1, lease.expires)}  # an epoch date

    with pytest.raises(MalformedGrant, match="not CBOR in the form grants use"):
        decode_grant(_issue_claims(claims, issuer_key))


def test_payload_that_is_not_a_map_is_refused(issuer_key: SigningKey) -> None:
    encoded = sign1(cbor2.dumps([1, 2]), issuer_key, issuer_key.public_key.kid)

    with pytest.raises(MalformedGrant, match="map of claims"):
        decode_grant(encoded)


def test_payload_with_bytes_after_the_claims_is_refused(
    lease: Grant, issuer_key: SigningKey
) -> None:
    payload = cbor2.dumps(lease.to_claims(), canonical=True) + b"\x00"
    encoded = sign1(payload, issuer_key, issuer_key.public_key.kid)

    with pytest.raises(MalformedGrant, match="bytes after its end"):
        decode_grant(encoded)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"expires": 1_000, "not_before": 1_000}, "window is empty"),
        ({"expires": 999, "not_before": 1_000}, "window is empty"),
        ({"issued_at": -1}, "issued_at must be a unix time"),
        ({"grant_id": bytes(15)}, "grant_id must be 16 bytes"),
        ({"audience": ""}, "audience must be 1 to 64"),
        ({"subject": "x" * 65}, "subject must be 1 to 64"),
        ({"max_uses": 0}, "max_uses must be 1"),
        ({"sealed_pin": b""}, "sealed_pin must not be empty"),
        ({"parent": bytes(20)}, "parent must be the 32-byte"),
    ],
)
def test_grant_with_an_impossible_value_cannot_be_made(
    make_grant: MakeGrant, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(MalformedGrant, match=message):
        make_grant(**changes)


def test_grant_with_an_impossible_value_is_refused_when_decoded(
    lease: Grant, issuer_key: SigningKey
) -> None:
    claims = {**lease.to_claims(), 5: lease.expires}  # nbf == exp

    with pytest.raises(MalformedGrant, match="window is empty"):
        decode_grant(_issue_claims(claims, issuer_key))
