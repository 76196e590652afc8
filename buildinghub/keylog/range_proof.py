"""Proof that a run of consecutive leaves is in an RFC 9162 Merkle tree, and its verifier.

A batch storage receipt signs one root for many readings; a meter holds several consecutive
leaves of it and checks them all with one proof instead of one inclusion proof each. The proof
is the hashes of the subtrees of the tree's own split (RFC 9162 §2.1.1) that hold none of the
run's leaves, in left-to-right order: at most two per level, one per level for a single leaf
(then it holds the same hashes as the leaf's RFC 9162 inclusion proof). The verifier knows the
expected number of hashes from ``start``, the run's length and ``size`` before any hashing, so
a hash too many or too few is refused as such.
"""

from collections.abc import Sequence

from .errors import InvalidProof
from .proof import HASH_LENGTH, node_hash
from .tree import MerkleTree
from .tree import _largest_power_of_two_below as split_point

MAX_TREE_SIZE = 1 << 32


def range_proof(tree: MerkleTree, start: int, end: int, size: int | None = None) -> list[bytes]:
    """The proof that leaves [start, end) are in the tree of ``size`` (default: now)."""
    size = tree.size if size is None else size
    if not 0 <= start < end <= size <= tree.size:
        raise ValueError(f"leaves [{start}, {end}) are not a run of a tree of size {size}")
    return [tree.subtree_hash(lo, hi) for lo, hi in _outside(start, end, 0, size)]


def root_from_range_proof(
    start: int, leaves: Sequence[bytes], size: int, proof: Sequence[bytes]
) -> bytes:
    """The root the leaf hashes ``leaves`` at ``start`` lead to with ``proof``.

    Raise InvalidProof saying why when the run, a hash or the proof's length is wrong.
    """
    end = start + len(leaves)
    if not 0 < size <= MAX_TREE_SIZE:
        raise InvalidProof(f"a tree of size {size} has no range proofs")
    if not (leaves and start >= 0 and end <= size):
        raise InvalidProof(f"leaves [{start}, {end}) are not a run of a tree of size {size}")
    expected = sum(1 for _ in _outside(start, end, 0, size))
    if len(proof) != expected:
        raise InvalidProof(f"the range proof has {len(proof)} hashes, expected {expected}")
    for position, item in enumerate((*leaves, *proof)):
        if len(item) != HASH_LENGTH:
            raise InvalidProof(f"hash {position} of the run or proof is not {HASH_LENGTH} bytes")
    siblings = iter(proof)

    def fold(lo: int, hi: int) -> bytes:
        if hi <= start or lo >= end:
            return next(siblings)
        if hi - lo == 1:
            return leaves[lo - start]
        split = lo + split_point(hi - lo)
        return node_hash(fold(lo, split), fold(split, hi))

    return fold(0, size)


def verify_range(
    start: int, leaves: Sequence[bytes], size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaves`` are entries ``start`` onwards of the tree of ``size`` with ``root``."""
    if root_from_range_proof(start, leaves, size, proof) != root:
        raise InvalidProof(
            f"the range proof of entries {start} to {start + len(leaves) - 1} does not lead to "
            f"the root of the tree of size {size}"
        )


def _outside(start: int, end: int, lo: int, hi: int) -> list[tuple[int, int]]:
    """The subtrees of [lo, hi) that hold no leaf of [start, end), left to right."""
    if hi <= start or lo >= end:
        return [(lo, hi)]
    if hi - lo == 1 or (start <= lo and hi <= end):
        return []
    split = lo + split_point(hi - lo)
    return _outside(start, end, lo, split) + _outside(start, end, split, hi)
