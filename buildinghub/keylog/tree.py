"""The append-only Merkle tree of the log, with proofs at any past size.

Every complete subtree is kept: ``level k`` is one bytearray of the 32-byte hashes of the
aligned subtrees of 2**k leaves, in order. A complete subtree never changes once its last leaf
is in, so the roots of every past size and every proof are built from stored hashes: an append
hashes one leaf and, on average, one interior node; a root or an inclusion proof costs
O(log n) stored hashes plus O(log n) hashes of the tree's ragged right edge. No per-node
Python objects: 1,000,000 leaves take about 64 MB of bytearrays.
"""

import hashlib
from collections.abc import Iterable

from .proof import EMPTY_ROOT, HASH_LENGTH, NODE_PREFIX, leaf_hash, node_hash

_sha256 = hashlib.sha256


class MerkleTree:
    """An RFC 9162 Merkle tree that only grows (or is cut back to a size it had)."""

    __slots__ = ("_levels", "_size")

    def __init__(self) -> None:
        """An empty tree."""
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0

    @property
    def size(self) -> int:
        """How many leaves the tree has."""
        return self._size

    def append(self, data: bytes) -> int:
        """Add the entry ``data`` as the next leaf; return its index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, leaf: bytes) -> int:
        """Add a leaf by its (already computed) leaf hash; return its index."""
        if len(leaf) != HASH_LENGTH:
            raise ValueError(f"a leaf hash is {HASH_LENGTH} bytes, got {len(leaf)}")
        index = self._size
        levels = self._levels
        levels[0] += leaf
        node, position, level = leaf, index, 0
        # While the new node is a right child its parent is complete: the left child is the
        # one stored just before it on its level.
        while position & 1:
            node = _sha256(
                NODE_PREFIX + levels[level][-2 * HASH_LENGTH : -HASH_LENGTH] + node
            ).digest()
            level += 1
            position >>= 1
            if level == len(levels):
                levels.append(bytearray())
            levels[level] += node
        self._size = index + 1
        return index

    def extend(self, entries: Iterable[bytes]) -> None:
        """Append every entry in order."""
        for data in entries:
            self.append(data)

    def truncate(self, size: int) -> None:
        """Cut the tree back to an earlier size (to undo appends that were not accepted)."""
        if not 0 <= size <= self._size:
            raise ValueError(f"cannot cut a tree of size {self._size} to size {size}")
        for level, hashes in enumerate(self._levels):
            del hashes[(size >> level) * HASH_LENGTH :]
        self._size = size

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash of entry ``index``."""
        self._check_index(index, self._size)
        return self._node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the tree when it had ``size`` leaves (default: now)."""
        size = self._size if size is None else size
        self._check_size(size)
        return self._range_hash(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The proof that entry ``index`` is in the tree of ``size`` (RFC 9162 §2.1.3.1)."""
        size = self._size if size is None else size
        self._check_size(size)
        self._check_index(index, size)
        proof: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            split = start + _largest_power_of_two_below(end - start)
            if index < split:
                proof.append(self._range_hash(split, end))
                end = split
            else:
                proof.append(self._range_hash(start, split))
                start = split
        proof.reverse()
        return proof

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end) for a subtree of RFC 9162's split (as range proofs need)."""
        self._check_size(end)
        width = end - start
        if not 0 <= start < end or start % (1 << (width.bit_length() - 1)):
            raise ValueError(f"leaves [{start}, {end}) are not a subtree of the tree")
        return self._range_hash(start, end)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The proof that the tree of size1 is a prefix of the tree of size2 (RFC 9162 §2.1.4.1)."""
        size2 = self._size if size2 is None else size2
        self._check_size(size2)
        if not 0 < size1 <= size2:
            raise ValueError(f"a consistency proof needs 0 < size1 <= size2, got {size1}, {size2}")
        proof: list[bytes] = []
        start, end, old, whole_old_subtree = 0, size2, size1, True
        while end - start != old:
            split = _largest_power_of_two_below(end - start)
            if old <= split:
                proof.append(self._range_hash(start + split, end))
                end = start + split
            else:
                proof.append(self._range_hash(start, start + split))
                start += split
                old -= split
                whole_old_subtree = False
        if not whole_old_subtree:
            proof.append(self._range_hash(start, end))
        proof.reverse()
        return proof

    def _range_hash(self, start: int, end: int) -> bytes:
        # MTH of leaves [start, end): start is aligned to the largest power of two that fits,
        # so the range is complete subtrees of decreasing size, folded from the right.
        width = end - start
        level = width.bit_length() - 1
        if width == 1 << level:
            return self._node(level, start >> level)
        split = start + (1 << level)
        return node_hash(self._node(level, start >> level), self._range_hash(split, end))

    def _node(self, level: int, index: int) -> bytes:
        offset = index * HASH_LENGTH
        return bytes(self._levels[level][offset : offset + HASH_LENGTH])

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self._size:
            raise ValueError(f"the tree has {self._size} leaves, it never had {size}")

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise ValueError(f"entry {index} is not in a tree of size {size}")


def _largest_power_of_two_below(n: int) -> int:
    # RFC 9162 §2.1.1: k is the largest power of two smaller than n (n > 1).
    return 1 << ((n - 1).bit_length() - 1)
