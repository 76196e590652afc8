"""Share chains: an e-key and shares below it, each link only narrowing the one above."""

import os
from dataclasses import dataclass, replace

import pytest

from buildinghub.credentials import (
    BadSignature,
    BrokenChain,
    Grant,
    GrantExpired,
    GrantKind,
    GrantRevoked,
    GrantVerifier,
    MalformedGrant,
    ShareMode,
    ShareNotAllowed,
    ShareWidens,
    SigningKey,
    StaticTrustStore,
    UnknownIssuer,
    WrongAudience,
    decode_grant,
    issue_grant,
)
from buildinghub.credentials.delegation import (
    MAX_CHAIN_LINKS,
    ShareTerms,
    issue_share,
    verify_chain,
)

from .conftest import ISSUER, LOCK, NOW, SettableClock

HOUR = 3600


@dataclass
class Holder:
    name: str
    key: SigningKey


def person(name: str) -> Holder:
    return Holder(name, SigningKey.generate())


def ekey(issuer_key: SigningKey, driver: Holder, **changes: object) -> bytes:
    grant = Grant(
        issuer=ISSUER,
        subject=driver.name,
        audience=LOCK,
        not_before=NOW - HOUR,
        expires=NOW + 10 * HOUR,
        issued_at=NOW - HOUR,
        grant_id=os.urandom(16),
        holder_key=driver.key.public_key,
        kind=GrantKind.EKEY,
        max_uses=10,
        may_share=True,
    )
    return issue_grant(replace(grant, **changes), issuer_key)  # type: ignore[arg-type]


def share(
    parent: bytes,
    sharer: Holder,
    recipient: Holder,
    *,
    start: int = 0,
    end: int = 2 * HOUR,
    uses: int | None = 3,
    mode: ShareMode = ShareMode.CO_USE,
    may_share: bool = False,
) -> bytes:
    terms = ShareTerms(
        recipient=recipient.name,
        recipient_key=recipient.key.public_key,
        not_before=NOW + start,
        expires=NOW + end,
        max_uses=uses,
        mode=mode,
        may_share=may_share,
    )
    return issue_share(decode_grant(parent), sharer.key, terms, grant_id=os.urandom(16), now=NOW)


@pytest.fixture
def driver() -> Holder:
    return person("driver:dana")


@pytest.fixture
def friend() -> Holder:
    return person("friend:femi")


def test_a_share_of_an_ekey_verifies_as_a_chain_of_two(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    child = share(root, driver, friend)

    chain = verify_chain(verifier, [root, child])

    assert chain.leaf.grant.subject == friend.name
    assert chain.leaf.grant.holder_key == friend.key.public_key
    assert chain.root.grant.subject == driver.name
    assert chain.leaf.grant.parent == decode_grant(root).digest


def test_a_chain_of_three_links_verifies(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    third = person("neighbour:nia")
    root = ekey(issuer_key, driver)
    middle = share(root, driver, friend, may_share=True)
    leaf = share(middle, friend, third, end=HOUR, uses=2)

    chain = verify_chain(verifier, [root, middle, leaf])

    assert [link.grant.subject for link in chain.links] == [driver.name, friend.name, third.name]


def test_a_longer_window_than_the_parent_is_refused(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    with pytest.raises(ShareWidens, match="window"):
        verify_chain(verifier, [root, share(root, driver, friend, end=11 * HOUR)])
    with pytest.raises(ShareWidens, match="window"):
        verify_chain(verifier, [root, share(root, driver, friend, start=-2 * HOUR)])


def test_more_uses_than_the_parent_is_refused(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    with pytest.raises(ShareWidens, match="11 unlocks but its parent allows 10"):
        verify_chain(verifier, [root, share(root, driver, friend, uses=11)])
    with pytest.raises(ShareWidens, match="no limit"):
        verify_chain(verifier, [root, share(root, driver, friend, uses=None)])


def test_resharing_a_share_that_does_not_allow_it_is_refused(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    middle = share(root, driver, friend, may_share=False)
    leaf = share(middle, friend, person("stranger:sam"), uses=1)

    with pytest.raises(ShareNotAllowed, match="does not allow sharing"):
        verify_chain(verifier, [root, middle, leaf])


def test_an_ekey_without_share_permission_cannot_be_shared(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver, may_share=False)

    with pytest.raises(ShareNotAllowed):
        verify_chain(verifier, [root, share(root, driver, friend)])


def test_a_share_signed_by_someone_other_than_the_holder_is_refused(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    thief = person(driver.name)  # same name, own key: a copied e-key without its key
    forged_terms = decode_grant(share(root, driver, friend)).grant
    forged = issue_grant(forged_terms, thief.key)

    with pytest.raises(BrokenChain, match="signed with key"):
        verify_chain(verifier, [root, forged])


def test_only_the_holder_key_can_sign_a_share(issuer_key: SigningKey, driver: Holder) -> None:
    root = ekey(issuer_key, driver)
    with pytest.raises(BrokenChain, match="only the holder"):
        share(root, person("thief:theo"), person("x:y"))


def test_a_tampered_share_fails_its_signature(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    child = bytearray(share(root, driver, friend))
    child[-1] ^= 1

    with pytest.raises(BadSignature):
        verify_chain(verifier, [root, bytes(child)])


def test_a_share_presented_under_another_ekey_is_refused(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    other_root = ekey(issuer_key, driver)
    child = share(root, driver, friend)

    with pytest.raises(BrokenChain, match="another parent"):
        verify_chain(verifier, [other_root, child])


def test_a_share_for_another_bay_is_refused(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    parent = decode_grant(root)
    wrong = replace(decode_grant(share(root, driver, friend)).grant, audience="another-bay")
    with pytest.raises(WrongAudience):
        verify_chain(verifier, [root, issue_grant(wrong, driver.key)])
    assert parent.grant.audience == LOCK


def test_a_share_must_name_its_mode(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    modeless = replace(decode_grant(share(root, driver, friend)).grant, share_mode=None)

    with pytest.raises(MalformedGrant, match="co_use or transfer"):
        verify_chain(verifier, [root, issue_grant(modeless, driver.key)])


def test_a_share_must_name_the_sharer_as_issuer(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder, friend: Holder
) -> None:
    root = ekey(issuer_key, driver)
    renamed = replace(decode_grant(share(root, driver, friend)).grant, issuer="someone:else")

    with pytest.raises(BrokenChain, match="issued by the parent's holder"):
        verify_chain(verifier, [root, issue_grant(renamed, driver.key)])


def test_a_chain_must_start_with_an_ekey(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder
) -> None:
    lease = ekey(issuer_key, driver, kind=GrantKind.LEASE)

    with pytest.raises(BrokenChain, match="starts with an e-key"):
        verify_chain(verifier, [lease])


def test_a_root_from_an_untrusted_issuer_is_refused(
    trust: StaticTrustStore, clock: SettableClock, driver: Holder
) -> None:
    root = ekey(SigningKey.generate(), driver)

    with pytest.raises(UnknownIssuer):
        verify_chain(GrantVerifier(LOCK, trust, clock), [root])


def test_a_revoked_share_is_refused(
    trust: StaticTrustStore,
    clock: SettableClock,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver)
    child = share(root, driver, friend)
    revoked = {decode_grant(child).grant.grant_id}
    verifier = GrantVerifier(LOCK, trust, clock, revoked=revoked.__contains__)

    with pytest.raises(GrantRevoked):
        verify_chain(verifier, [root, child])
    assert verify_chain(verifier, [root]).leaf.grant.subject == driver.name


def test_an_expired_share_is_refused_while_its_parent_still_works(
    verifier: GrantVerifier,
    clock: SettableClock,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver)
    child = share(root, driver, friend, end=HOUR)
    clock.time = NOW + HOUR

    with pytest.raises(GrantExpired):
        verify_chain(verifier, [root, child])
    verify_chain(verifier, [root])


def test_chains_are_bounded_in_length(
    verifier: GrantVerifier, issuer_key: SigningKey, driver: Holder
) -> None:
    links = [ekey(issuer_key, driver)]
    holder = driver
    for index in range(MAX_CHAIN_LINKS):
        recipient = person(f"person:{index}")
        links.append(share(links[-1], holder, recipient, may_share=True))
        holder = recipient

    with pytest.raises(MalformedGrant, match="1 to 4 links"):
        verify_chain(verifier, links)
    with pytest.raises(MalformedGrant):
        verify_chain(verifier, [])
    assert len(verify_chain(verifier, links[:MAX_CHAIN_LINKS]).links) == MAX_CHAIN_LINKS
