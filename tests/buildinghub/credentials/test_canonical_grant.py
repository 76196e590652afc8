"""The one-pass reader of issued grants: the strict decoder's answer, faster, or no answer."""

import dataclasses
import hashlib
import itertools
from collections.abc import Callable

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.credentials import (
    MAX_GRANT_BYTES,
    Grant,
    GrantKind,
    GrantVerifier,
    MalformedGrant,
    ShareMode,
    SignedGrant,
    SigningKey,
    decode_sign1,
    issue_grant,
    sign1,
)
from buildinghub.credentials.canonical_grant import read_canonical_grant
from buildinghub.credentials.cose import sig_structure

from .conftest import SettableClock

MakeGrant = Callable[..., Grant]
EXAMPLES = settings(max_examples=300, deadline=None)
OPTIONAL_CLAIMS = {
    "max_uses": 7,
    "share_mode": ShareMode.CO_USE,
    "sealed_pin": bytes(range(91)),
    "parent": hashlib.sha256(b"parent grant").digest(),
}


def _strictly(data: bytes) -> tuple[SignedGrant, bytes, bytes]:
    """What GrantVerifier checks when the one-pass reader gives no answer."""
    message = decode_sign1(data, max_size=MAX_GRANT_BYTES)
    return SignedGrant.from_sign1(message), sig_structure(message), message.signature


def _typed(read: tuple[SignedGrant, bytes, bytes]) -> list[tuple[type, object]]:
    """Every value read with its type: True == 1, but a bool is no max_uses."""
    signed, to_be_signed, signature = read
    grant = [getattr(signed.grant, field.name) for field in dataclasses.fields(Grant)]
    values = [*grant, signed.encoded, signed.kid, to_be_signed, signature]
    return [(type(value), value) for value in values]


def _assert_agrees_with_the_strict_decoder(data: bytes) -> None:
    read = read_canonical_grant(data)
    if read is not None:
        assert _typed(read) == _typed(_strictly(data))


def _with(data: bytes, index: int, value: int) -> bytes:
    changed = bytearray(data)
    changed[index] = value
    return bytes(changed)


@pytest.mark.parametrize(
    "optional",
    [
        dict(combination)
        for size in range(len(OPTIONAL_CLAIMS) + 1)
        for combination in itertools.combinations(OPTIONAL_CLAIMS.items(), size)
    ],
    ids=lambda optional: "+".join(optional) or "none",
)
def test_every_combination_of_claims_is_read_as_the_strict_decoder_reads_it(
    make_grant: MakeGrant, issuer_key: SigningKey, optional: dict[str, object]
) -> None:
    encoded = issue_grant(make_grant(**{"sealed_pin": None, **optional}), issuer_key)

    read = read_canonical_grant(encoded)

    assert read is not None
    assert _typed(read) == _typed(_strictly(encoded))


@pytest.mark.parametrize("kind", list(GrantKind))
@pytest.mark.parametrize("may_share", [False, True])
def test_every_kind_and_flag_is_read(
    make_grant: MakeGrant, issuer_key: SigningKey, kind: GrantKind, may_share: bool
) -> None:
    encoded = issue_grant(make_grant(kind=kind, may_share=may_share), issuer_key)

    read = read_canonical_grant(encoded)

    assert read is not None
    assert (read[0].grant.kind, read[0].grant.may_share) == (kind, may_share)


@pytest.mark.parametrize(
    "name",
    ["a", "x" * 23, "x" * 24, "x" * 64, "Bäckerstraße 7, Wohnung 3", "\U0001f511" * 63],
    ids=["1", "23", "24", "64", "umlauts", "252-bytes"],
)
def test_names_of_every_head_length_are_read(
    make_grant: MakeGrant, issuer_key: SigningKey, name: str
) -> None:
    encoded = issue_grant(make_grant(subject=name), issuer_key)

    read = read_canonical_grant(encoded)

    assert read is not None
    assert read[0].grant.subject == name


@pytest.mark.parametrize("kid_length", [1, 15, 17, 24, 32])
def test_a_kid_issue_grant_never_writes_is_left_to_the_strict_decoder(
    make_grant: MakeGrant, issuer_key: SigningKey, kid_length: int
) -> None:
    payload = cbor2.dumps(make_grant().to_claims(), canonical=True)
    encoded = sign1(payload, issuer_key, bytes(range(kid_length)))

    assert read_canonical_grant(encoded) is None
    assert _strictly(encoded)[0].grant == make_grant()


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "\U0001f511" * 64},  # 256 bytes: a three-byte head
        {"not_before": 1_000, "issued_at": 1_000},  # times with shorter heads
        {"expires": 2**32},  # after 2106: an eight-byte head
    ],
    ids=["256-byte-name", "early-times", "late-expiry"],
)
def test_valid_grants_in_rarer_shapes_are_left_to_the_strict_decoder(
    verifier: GrantVerifier,
    clock: SettableClock,
    make_grant: MakeGrant,
    issuer_key: SigningKey,
    changes: dict[str, object],
) -> None:
    grant = make_grant(**changes)
    encoded = issue_grant(grant, issuer_key)
    clock.time = grant.not_before

    assert read_canonical_grant(encoded) is None
    assert verifier.verify(encoded).grant == grant


def test_claims_in_another_order_are_left_to_the_strict_decoder(
    verifier: GrantVerifier, lease: Grant, issuer_key: SigningKey
) -> None:
    claims = dict(reversed(lease.to_claims().items()))
    encoded = sign1(cbor2.dumps(claims), issuer_key, issuer_key.public_key.kid)

    assert read_canonical_grant(encoded) is None
    assert verifier.verify(encoded).grant == lease


def test_a_value_grant_refuses_gets_the_strict_decoders_error(
    verifier: GrantVerifier, lease: Grant, issuer_key: SigningKey
) -> None:
    claims = {**lease.to_claims(), 5: lease.expires}  # nbf == exp
    encoded = sign1(cbor2.dumps(claims, canonical=True), issuer_key, issuer_key.public_key.kid)

    assert read_canonical_grant(encoded) is None
    with pytest.raises(MalformedGrant, match="window is empty"):
        verifier.verify(encoded)


def test_a_holder_key_off_the_curve_is_refused(
    verifier: GrantVerifier, lease: Grant, issuer_key: SigningKey
) -> None:
    cose_key = lease.holder_key.to_cose_key()
    cose_key[-3] = bytes(32)  # y = 0 is on no P-256 point with this x
    claims = {**lease.to_claims(), 8: {1: cose_key}}
    encoded = sign1(cbor2.dumps(claims, canonical=True), issuer_key, issuer_key.public_key.kid)

    assert read_canonical_grant(encoded) is None
    with pytest.raises(MalformedGrant, match="not a point on P-256"):
        verifier.verify(encoded)


def test_a_bytearray_is_left_to_the_strict_decoder(encoded_lease: bytes) -> None:
    assert read_canonical_grant(bytearray(encoded_lease)) is None  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def every_claim(make_grant: MakeGrant, issuer_key: SigningKey) -> bytes:
    return issue_grant(make_grant(kind=GrantKind.SHARE, **OPTIONAL_CLAIMS), issuer_key)


@EXAMPLES
@given(data=st.data())
def test_any_byte_replaced_reads_as_strictly_or_not_at_all(
    every_claim: bytes, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(every_claim) - 1), label="index")
    value = data.draw(st.integers(0, 255), label="value")

    _assert_agrees_with_the_strict_decoder(_with(every_claim, index, value))


@EXAMPLES
@given(data=st.data())
def test_any_slice_reads_as_strictly_or_not_at_all(
    encoded_lease: bytes, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(encoded_lease)), label="start")
    end = data.draw(st.integers(start, len(encoded_lease)), label="end")

    assert read_canonical_grant(encoded_lease[start:end]) is None or (start, end) == (
        0,
        len(encoded_lease),
    )


@EXAMPLES
@given(data=st.data(), inserted=st.binary(min_size=1, max_size=40))
def test_any_bytes_inserted_read_as_strictly_or_not_at_all(
    encoded_lease: bytes, data: st.DataObject, inserted: bytes
) -> None:
    index = data.draw(st.integers(0, len(encoded_lease)), label="index")

    _assert_agrees_with_the_strict_decoder(encoded_lease[:index] + inserted + encoded_lease[index:])


_CLAIM_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.text(max_size=80)
    | st.binary(max_size=100)
    | st.sampled_from([*GrantKind, *ShareMode]).map(str),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.integers(-3, 3), inner, max_size=4)
    ),
    max_leaves=8,
)


@EXAMPLES
@given(
    key=st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, -70001, -70002, -70003, -70004, -70005, -70006]),
    value=_CLAIM_VALUES,
    drop=st.booleans(),
)
def test_any_claim_value_reads_as_strictly_or_not_at_all(
    lease: Grant, issuer_key: SigningKey, key: int, value: object, drop: bool
) -> None:
    claims = lease.to_claims()
    if drop:
        claims.pop(key, None)
    else:
        claims[key] = value
    encoded = sign1(cbor2.dumps(claims, canonical=True), issuer_key, issuer_key.public_key.kid)

    _assert_agrees_with_the_strict_decoder(encoded)


_NAMES = st.text(min_size=1, max_size=64)
_TIMES = st.integers(min_value=0, max_value=2**63 - 1)


@EXAMPLES
@given(
    names=st.tuples(_NAMES, _NAMES, _NAMES),
    times=st.tuples(_TIMES, _TIMES, _TIMES),
    max_uses=st.none() | st.integers(min_value=1, max_value=2**32 - 1),
    kind=st.sampled_from(GrantKind),
    may_share=st.booleans(),
    share_mode=st.none() | st.sampled_from(ShareMode),
    sealed_pin=st.none() | st.binary(min_size=1, max_size=400),
    parent=st.none() | st.binary(min_size=32, max_size=32),
)
def test_any_valid_grant_reads_as_strictly_or_not_at_all(
    make_grant: MakeGrant,
    issuer_key: SigningKey,
    names: tuple[str, str, str],
    times: tuple[int, int, int],
    max_uses: int | None,
    kind: GrantKind,
    may_share: bool,
    share_mode: ShareMode | None,
    sealed_pin: bytes | None,
    parent: bytes | None,
) -> None:
    not_before, expires = sorted(times[:2])
    if not_before == expires:
        not_before, expires = (expires - 1, expires) if expires else (0, 1)
    grant = make_grant(
        issuer=names[0],
        subject=names[1],
        audience=names[2],
        not_before=not_before,
        expires=expires,
        issued_at=times[2],
        max_uses=max_uses,
        kind=kind,
        may_share=may_share,
        share_mode=share_mode,
        sealed_pin=sealed_pin,
        parent=parent,
    )
    encoded = sign1(
        cbor2.dumps(grant.to_claims(), canonical=True), issuer_key, issuer_key.public_key.kid
    )

    _assert_agrees_with_the_strict_decoder(encoded)
    assert _strictly(encoded)[0].grant == grant
