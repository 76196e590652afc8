"""The verifier's memory of a chain: counts, transfers and freezes, kept across restarts."""

import pytest

from buildinghub.credentials import (
    GrantVerifier,
    KeyTransferred,
    MemberFrozen,
    ShareMode,
    SigningKey,
    StaleChallenge,
    UsesExhausted,
)
from buildinghub.credentials.delegation import Chain, verify_chain
from buildinghub.credentials.use_ledger import UnknownMember, UseLedger

from .conftest import NOW, SettableClock
from .test_delegation import HOUR, Holder, ekey, person, share


@pytest.fixture
def driver() -> Holder:
    return person("driver:dana")


@pytest.fixture
def friend() -> Holder:
    return person("friend:femi")


@pytest.fixture
def ledger(clock: SettableClock) -> UseLedger:
    return UseLedger(clock)


def use(ledger: UseLedger, chain: Chain) -> None:
    state = ledger.state(chain.leaf.grant.grant_id)
    ledger.record_use(chain, (state.last_counter if state else 0) + 1)


def test_a_three_use_share_is_refused_on_the_fourth_use(
    verifier: GrantVerifier,
    ledger: UseLedger,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver)
    chain = verify_chain(verifier, [root, share(root, driver, friend, uses=3)])
    ledger.register(chain)
    for _ in range(3):
        use(ledger, chain)

    with pytest.raises(UsesExhausted, match="all 3 unlocks"):
        use(ledger, chain)
    assert ledger.uses_left(chain) == 0


def test_a_share_uses_up_its_parent_too(
    verifier: GrantVerifier,
    ledger: UseLedger,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver, max_uses=4)
    own = verify_chain(verifier, [root])
    shared = verify_chain(verifier, [root, share(root, driver, friend, uses=3)])
    ledger.register(shared)
    for _ in range(3):
        use(ledger, shared)
    use(ledger, own)

    assert ledger.uses_left(own) == 0
    with pytest.raises(UsesExhausted):
        use(ledger, own)


def test_a_transfer_stops_the_sharer_at_once(
    verifier: GrantVerifier,
    ledger: UseLedger,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver)
    own = verify_chain(verifier, [root])
    use(ledger, own)
    transferred = verify_chain(
        verifier, [root, share(root, driver, friend, mode=ShareMode.TRANSFER)]
    )

    ledger.register(transferred)

    with pytest.raises(KeyTransferred, match="transferred grant"):
        use(ledger, own)
    use(ledger, transferred)  # the recipient opens


def test_a_transferred_key_cannot_be_shared_or_transferred_again(
    verifier: GrantVerifier,
    ledger: UseLedger,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver)
    ledger.register(
        verify_chain(verifier, [root, share(root, driver, friend, mode=ShareMode.TRANSFER)])
    )
    second = verify_chain(
        verifier, [root, share(root, driver, person("other:olu"), mode=ShareMode.TRANSFER)]
    )
    co_use = verify_chain(verifier, [root, share(root, driver, person("other:oz"))])

    with pytest.raises(KeyTransferred):
        ledger.register(second)
    with pytest.raises(KeyTransferred):
        ledger.register(co_use)


def test_giving_a_transfer_back_returns_the_key(
    verifier: GrantVerifier,
    ledger: UseLedger,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver)
    own = verify_chain(verifier, [root])
    transferred = verify_chain(
        verifier, [root, share(root, driver, friend, mode=ShareMode.TRANSFER)]
    )
    ledger.register(transferred)

    ledger.release(transferred.leaf.grant.grant_id)

    use(ledger, own)


def test_a_frozen_member_is_refused_until_unfrozen_and_so_are_its_shares(
    verifier: GrantVerifier,
    ledger: UseLedger,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver)
    middle = share(root, driver, friend, may_share=True)
    leaf = share(middle, friend, person("guest:gil"), uses=1)
    friend_chain = verify_chain(verifier, [root, middle])
    guest_chain = verify_chain(verifier, [root, middle, leaf])
    ledger.register(guest_chain)

    ledger.set_frozen(friend_chain.leaf.grant.grant_id, True)

    with pytest.raises(MemberFrozen):
        use(ledger, friend_chain)
    with pytest.raises(MemberFrozen):
        use(ledger, guest_chain)
    use(ledger, verify_chain(verifier, [root]))  # the e-key's own holder is not frozen
    ledger.set_frozen(friend_chain.leaf.grant.grant_id, False)
    use(ledger, guest_chain)


def test_freezing_an_unknown_member_says_so(ledger: UseLedger) -> None:
    with pytest.raises(UnknownMember):
        ledger.set_frozen(b"\x00" * 16, True)


def test_a_replayed_counter_is_refused_and_counts_nothing(
    verifier: GrantVerifier, ledger: UseLedger, issuer_key: SigningKey, driver: Holder
) -> None:
    chain = verify_chain(verifier, [ekey(issuer_key, driver)])
    ledger.record_use(chain, 7)

    with pytest.raises(StaleChallenge, match="replayed"):
        ledger.record_use(chain, 7)
    with pytest.raises(StaleChallenge):
        ledger.record_use(chain, 3)
    assert ledger.uses_left(chain) == 9


def test_counts_survive_a_restart_and_registering_again_resets_nothing(
    verifier: GrantVerifier,
    clock: SettableClock,
    ledger: UseLedger,
    issuer_key: SigningKey,
    driver: Holder,
    friend: Holder,
) -> None:
    root = ekey(issuer_key, driver)
    chain = verify_chain(
        verifier, [root, share(root, driver, friend, uses=3, mode=ShareMode.TRANSFER)]
    )
    ledger.register(chain)
    use(ledger, chain)
    use(ledger, chain)
    ledger.set_frozen(chain.root.grant.grant_id, False)

    restarted = UseLedger(clock)
    restarted.load_json(ledger.to_json())
    restarted.register(chain)  # the same share delivered again after the restart

    assert restarted.uses_left(chain) == 1
    with pytest.raises(StaleChallenge):
        restarted.record_use(chain, 2)
    use(restarted, chain)
    with pytest.raises(UsesExhausted):
        use(restarted, chain)
    with pytest.raises(KeyTransferred):
        use(restarted, verify_chain(verifier, [root]))


def test_an_old_snapshot_never_lowers_a_count(
    verifier: GrantVerifier, ledger: UseLedger, issuer_key: SigningKey, driver: Holder
) -> None:
    chain = verify_chain(verifier, [ekey(issuer_key, driver)])
    use(ledger, chain)
    old = ledger.to_json()
    use(ledger, chain)

    ledger.load_json(old)

    assert ledger.uses_left(chain) == 8
    state = ledger.state(chain.leaf.grant.grant_id)
    assert state is not None
    assert state.last_counter == 2


def test_expired_links_are_purged(
    verifier: GrantVerifier,
    clock: SettableClock,
    ledger: UseLedger,
    issuer_key: SigningKey,
    driver: Holder,
) -> None:
    chain = verify_chain(verifier, [ekey(issuer_key, driver)])
    ledger.register(chain)
    clock.time = NOW + 10 * HOUR

    assert ledger.purge_expired() == 1
    assert ledger.state(chain.leaf.grant.grant_id) is None
