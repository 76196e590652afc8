"""Sharing an e-key: chains of grants where every link may only narrow the one before.

The root of a chain is an e-key the bay's issuer signed (checked by a GrantVerifier against
its trust store). Each later link is a ``share`` grant signed by the holder of the link
before it, with the key that link names in its cnf, and naming that link's SHA-256 in its
``parent`` claim. A link is refused unless it:

- is a share, of a parent that allows sharing, in an explicit mode (co-use or transfer);
- is signed by the parent's holder key and names the parent's subject as its issuer;
- is for the same lock or bay;
- keeps its window inside the parent's, and its use count at or under the parent's;
- is not revoked.

What a verifier remembers between uses (counts, transfers, freezes) is in use_ledger.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import BrokenChain, MalformedGrant, ShareNotAllowed, ShareWidens, WrongAudience
from .grant import Grant, GrantKind, ShareMode, SignedGrant, issue_grant
from .keys import PublicKey, SigningKey
from .verifier import GrantVerifier, read_signed_grant

# An e-key and up to three shares below it: bounds the work one unlock can ask of a lock.
MAX_CHAIN_LINKS = 4
ROOT_KINDS = frozenset({GrantKind.EKEY})


@dataclass(frozen=True, slots=True)
class Chain:
    """A verified chain: the e-key first, the grant being used last."""

    links: tuple[SignedGrant, ...]

    @property
    def leaf(self) -> SignedGrant:
        """The grant whose holder is using the chain."""
        return self.links[-1]

    @property
    def root(self) -> SignedGrant:
        """The e-key the bay's issuer signed."""
        return self.links[0]

    def grant_ids(self) -> tuple[bytes, ...]:
        """The ids of every link, root first."""
        return tuple(link.grant.grant_id for link in self.links)


def verify_root(verifier: GrantVerifier, data: bytes, *, upcoming: bool = False) -> Chain:
    """A chain of one: an e-key signed by an issuer the verifier trusts."""
    signed = verifier.verify(data, upcoming=upcoming)
    if signed.grant.kind not in ROOT_KINDS:
        raise BrokenChain(
            f"a chain starts with an e-key, not a {signed.grant.kind} grant: present the "
            f"e-key this grant was shared from"
        )
    return Chain((signed,))


def verify_share(
    verifier: GrantVerifier, parent: Chain, data: bytes, *, upcoming: bool = False
) -> Chain:
    """``parent`` with the share in data appended, if it is a valid narrowing of its leaf."""
    if len(parent.links) >= MAX_CHAIN_LINKS:
        raise ShareWidens(
            f"a chain may have at most {MAX_CHAIN_LINKS} links (an e-key and "
            f"{MAX_CHAIN_LINKS - 1} shares): share from a grant nearer the e-key"
        )
    signed, to_be_signed, signature = read_signed_grant(data)
    above = parent.leaf
    check_narrows(above, signed)
    if signed.kid != above.grant.holder_key.kid:
        raise BrokenChain(
            f"the share is signed with key {signed.kid.hex()}, not with the key of "
            f"{above.grant.subject!r} who holds the parent grant"
        )
    above.grant.holder_key.verify(signature, to_be_signed)
    verifier.verify_not_revoked(signed.grant)
    if upcoming:
        verifier.verify_not_expired(signed.grant)
    else:
        verifier.verify_window(signed.grant)
    return Chain((*parent.links, signed))


def verify_chain(
    verifier: GrantVerifier, links: Sequence[bytes], *, upcoming: bool = False
) -> Chain:
    """Verify an e-key and the shares below it, root first; raise why not otherwise."""
    if not 1 <= len(links) <= MAX_CHAIN_LINKS:
        raise MalformedGrant(f"a chain has 1 to {MAX_CHAIN_LINKS} links, got {len(links)}")
    chain = verify_root(verifier, links[0], upcoming=upcoming)
    for data in links[1:]:
        chain = verify_share(verifier, chain, data, upcoming=upcoming)
    return chain


def check_narrows(parent: SignedGrant, child: SignedGrant) -> None:
    """Raise unless child is a share of parent that asks for nothing parent does not have."""
    above, below = parent.grant, child.grant
    if below.kind is not GrantKind.SHARE:
        raise BrokenChain(f"a link below an e-key must be a share, not {below.kind}")
    if below.share_mode is None:
        raise MalformedGrant("a share must say whether it is co_use or transfer")
    if below.parent != parent.digest:
        raise BrokenChain(
            "the share names another parent grant: present it with the grant it was shared from"
        )
    if not above.may_share:
        raise ShareNotAllowed(
            f"grant {above.grant_id.hex()} of {above.subject!r} does not allow sharing"
        )
    if below.issuer != above.subject:
        raise BrokenChain(
            f"a share is issued by the parent's holder {above.subject!r}, not {below.issuer!r}"
        )
    if below.audience != above.audience:
        raise WrongAudience(
            f"the share is for {below.audience!r} but its parent is for {above.audience!r}"
        )
    _check_window(above, below)
    _check_uses(above, below)


def _check_window(above: Grant, below: Grant) -> None:
    if below.not_before < above.not_before or below.expires > above.expires:
        raise ShareWidens(
            f"the share's window {below.not_before}..{below.expires} is not inside its "
            f"parent's {above.not_before}..{above.expires}"
        )


def _check_uses(above: Grant, below: Grant) -> None:
    if above.max_uses is None:
        return
    if below.max_uses is None or below.max_uses > above.max_uses:
        wanted = "no limit" if below.max_uses is None else str(below.max_uses)
        raise ShareWidens(
            f"the share asks for {wanted} unlocks but its parent allows {above.max_uses}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareTerms:
    """What a holder gives a named recipient: never more than the holder has."""

    recipient: str
    recipient_key: PublicKey
    not_before: int
    expires: int
    max_uses: int | None
    mode: ShareMode
    may_share: bool = False


def issue_share(
    parent: SignedGrant, sharer_key: SigningKey, terms: ShareTerms, *, grant_id: bytes, now: int
) -> bytes:
    """Sign a share of parent with the sharer's holder key (the one parent's cnf names).

    Nothing is checked here beyond the grant's own shape: the verifier decides whether the
    share narrows its parent, so a share that widens is signed and then refused there.
    """
    if sharer_key.public_key != parent.grant.holder_key:
        raise BrokenChain("only the holder of a grant, with the key its cnf names, can share it")
    share = Grant(
        issuer=parent.grant.subject,
        subject=terms.recipient,
        audience=parent.grant.audience,
        not_before=terms.not_before,
        expires=terms.expires,
        issued_at=min(now, terms.not_before),
        grant_id=grant_id,
        holder_key=terms.recipient_key,
        kind=GrantKind.SHARE,
        max_uses=terms.max_uses,
        may_share=terms.may_share,
        share_mode=terms.mode,
        parent=parent.digest,
    )
    return issue_grant(share, sharer_key)
