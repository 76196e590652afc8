"""RFC 9162 Merkle tree hashing and the two proof verifiers (inclusion, consistency).

Leaves are hashed SHA-256(0x00 || data), interior nodes SHA-256(0x01 || left || right)
(RFC 9162 §2.1.1); the empty tree's root is SHA-256 of nothing. The verifiers follow the
decomposition of transparency-dev/merkle ``proof/verify.go``: a proof for leaf ``index`` in a
tree of ``size`` has exactly ``inner`` hashes below the point where the path to the leaf and
the path to the last leaf meet, then ``border`` hashes of the left siblings above it. The
expected length is known before any hashing, so a proof with a hash too many or too few is
refused as such. They agree with every vector in tests/buildinghub/keylog/vectors.
"""

import hashlib
from collections.abc import Sequence

from .errors import InvalidProof

HASH_LENGTH = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """The Merkle leaf hash of an entry's bytes."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node from its children's hashes."""
    return _sha256(NODE_PREFIX + left + right).digest()


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that the leaf hash ``leaf`` is entry ``index`` of the tree of ``size`` with ``root``.

    Raise InvalidProof saying why if not.
    """
    computed = root_from_inclusion_proof(index, size, leaf, proof)
    if computed != root:
        raise InvalidProof(
            f"the inclusion proof of entry {index} does not lead to the root of the tree of "
            f"size {size}: the entry, the proof or the checkpoint is not the log's"
        )


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to; InvalidProof if its shape is wrong."""
    if not 0 <= index < size:
        raise InvalidProof(f"entry {index} is not in a tree of size {size}")
    if len(leaf) != HASH_LENGTH:
        raise InvalidProof(f"a leaf hash is {HASH_LENGTH} bytes, got {len(leaf)}")
    inner, border = _decompose(index, size)
    _check_proof_shape(proof, inner + border, "inclusion")
    computed = _chain_inner(leaf, proof[:inner], index)
    return _chain_border(computed, proof[inner:])


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of size1 with root1 is a prefix of the tree of size2 with root2.

    Raise InvalidProof saying why if not. A proof from the empty tree is refused: it proves
    nothing, so a verifier must hold a non-empty checkpoint before it asks for one.
    """
    if size1 < 0 or size2 < size1:
        raise InvalidProof(f"a log never shrinks: size {size2} cannot follow size {size1}")
    if size1 == 0:
        raise InvalidProof(
            "a consistency proof from the empty tree proves nothing: start from a non-empty "
            "checkpoint"
        )
    if size1 == size2:
        # The roots are compared as given, whatever their length: the published vectors
        # accept equal 12-byte roots here. Checkpoints only ever carry 32-byte roots.
        if proof:
            raise InvalidProof(f"trees of the same size need an empty proof, got {len(proof)}")
        if root1 != root2:
            raise InvalidProof(f"two different roots for the same tree size {size1}")
        return
    if not proof:
        raise InvalidProof(f"growing from size {size1} to {size2} needs a non-empty proof")
    inner, border = _decompose(size1 - 1, size2)
    # The proof starts with the root of the largest complete subtree ending at size1, unless
    # that subtree is the whole old tree, whose root the verifier already has.
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        seed, rest = root1, proof
    else:
        seed, rest = proof[0], proof[1:]
    _check_proof_shape(proof, len(proof) - len(rest) + inner + border, "consistency")
    mask = (size1 - 1) >> shift
    old = _chain_border(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if old != root1:
        raise InvalidProof(
            f"the consistency proof does not lead to the old root (size {size1}): the old "
            f"checkpoint is not a prefix of the new one"
        )
    new = _chain_border(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    if new != root2:
        raise InvalidProof(
            f"the consistency proof does not lead to the new root (size {size2}): the new "
            f"checkpoint does not extend the old one"
        )


def _decompose(index: int, size: int) -> tuple[int, int]:
    # inner: levels below the split between the paths to index and to size - 1;
    # border: the left siblings above it, one per set bit of index there.
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _check_proof_shape(proof: Sequence[bytes], expected: int, kind: str) -> None:
    if len(proof) != expected:
        raise InvalidProof(f"the {kind} proof has {len(proof)} hashes, expected {expected}")
    for position, item in enumerate(proof):
        if len(item) != HASH_LENGTH:
            raise InvalidProof(
                f"hash {position} of the {kind} proof is {len(item)} bytes, not {HASH_LENGTH}"
            )


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for level, sibling in enumerate(proof):
        if (index >> level) & 1:
            seed = _sha256(NODE_PREFIX + sibling + seed).digest()
        else:
            seed = _sha256(NODE_PREFIX + seed + sibling).digest()
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Only the left siblings: the old tree has nothing to the right of its last leaf.
    for level, sibling in enumerate(proof):
        if (index >> level) & 1:
            seed = _sha256(NODE_PREFIX + sibling + seed).digest()
    return seed


def _chain_border(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for sibling in proof:
        seed = _sha256(NODE_PREFIX + sibling + seed).digest()
    return seed
