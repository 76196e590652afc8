"""MerkleTree: RFC 9162 roots and proofs, and every proof it makes verifies (and only that one)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.keylog.errors import InvalidProof
from buildinghub.keylog.proof import (
    EMPTY_ROOT,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from buildinghub.keylog.tree import MerkleTree


def _reference_root(entries: list[bytes]) -> bytes:
    # RFC 9162 §2.1.1, written as the recursion it states.
    if not entries:
        return EMPTY_ROOT
    if len(entries) == 1:
        return leaf_hash(entries[0])
    split = 1
    while split * 2 < len(entries):
        split *= 2
    return node_hash(_reference_root(entries[:split]), _reference_root(entries[split:]))


def _tree(size: int) -> tuple[MerkleTree, list[bytes]]:
    entries = [f"entry {i}".encode() for i in range(size)]
    tree = MerkleTree()
    tree.extend(entries)
    return tree, entries


def _flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def test_roots_at_every_past_size_match_the_rfc_definition() -> None:
    tree, entries = _tree(70)

    for size in range(71):
        assert tree.root(size) == _reference_root(entries[:size])


def test_the_rfc_9162_example_tree_of_seven_has_the_published_shape() -> None:
    tree, _ = _tree(7)

    # RFC 9162 §2.1.5: the path for d0 is [b, h, l]; the proof 3 -> 7 is [c, d, g, l].
    assert len(tree.inclusion_proof(0)) == 3
    assert len(tree.consistency_proof(3)) == 4
    assert tree.consistency_proof(4) == [
        node_hash(node_hash(tree.leaf_hash(4), tree.leaf_hash(5)), tree.leaf_hash(6))
    ]


def test_truncate_undoes_appends() -> None:
    tree, _ = _tree(37)
    root_at_20 = tree.root(20)

    tree.truncate(20)
    tree.extend(f"entry {i}".encode() for i in range(20, 37))

    assert tree.size == 37
    assert tree.root(20) == root_at_20
    assert tree.root() == _tree(37)[0].root()


def test_proofs_for_sizes_the_tree_never_had_are_refused() -> None:
    tree, _ = _tree(5)

    with pytest.raises(ValueError, match="never had 6"):
        tree.inclusion_proof(0, 6)
    with pytest.raises(ValueError, match="not in a tree of size 5"):
        tree.inclusion_proof(5)
    with pytest.raises(ValueError, match="0 < size1 <= size2"):
        tree.consistency_proof(0, 5)


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=150, deadline=None)
@given(size=sizes, data=st.data())
def test_every_inclusion_proof_verifies(size: int, data: st.DataObject) -> None:
    tree, _ = _tree(size)
    at = data.draw(st.integers(min_value=1, max_value=size), label="tree size")
    index = data.draw(st.integers(min_value=0, max_value=at - 1), label="index")

    verify_inclusion(
        index, at, tree.leaf_hash(index), tree.inclusion_proof(index, at), tree.root(at)
    )


@settings(max_examples=150, deadline=None)
@given(size=sizes, data=st.data())
def test_every_consistency_proof_verifies(size: int, data: st.DataObject) -> None:
    tree, _ = _tree(size)
    size2 = data.draw(st.integers(min_value=1, max_value=size), label="size2")
    size1 = data.draw(st.integers(min_value=1, max_value=size2), label="size1")

    verify_consistency(
        size1, size2, tree.consistency_proof(size1, size2), tree.root(size1), tree.root(size2)
    )


@settings(max_examples=150, deadline=None)
@given(size=st.integers(min_value=2, max_value=300), data=st.data())
def test_any_bit_flip_in_an_inclusion_proof_is_refused(size: int, data: st.DataObject) -> None:
    tree, _ = _tree(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = tree.inclusion_proof(index)
    leaf, root = tree.leaf_hash(index), tree.root()
    target = data.draw(st.integers(min_value=0, max_value=len(proof) + 1), label="target")
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    if target < len(proof):
        proof[target] = _flip(proof[target], bit)
    elif target == len(proof):
        leaf = _flip(leaf, bit)
    else:
        root = _flip(root, bit)

    with pytest.raises(InvalidProof):
        verify_inclusion(index, size, leaf, proof, root)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(min_value=2, max_value=300), data=st.data())
def test_any_bit_flip_in_a_consistency_proof_is_refused(size: int, data: st.DataObject) -> None:
    tree, _ = _tree(size)
    size1 = data.draw(st.integers(min_value=1, max_value=size - 1), label="size1")
    proof = tree.consistency_proof(size1)
    roots = [tree.root(size1), tree.root()]
    target = data.draw(st.integers(min_value=0, max_value=len(proof) + 1), label="target")
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    if target < len(proof):
        proof[target] = _flip(proof[target], bit)
    else:
        roots[target - len(proof)] = _flip(roots[target - len(proof)], bit)

    with pytest.raises(InvalidProof):
        verify_consistency(size1, size, proof, roots[0], roots[1])


@settings(max_examples=150, deadline=None)
@given(size=st.integers(min_value=2, max_value=300), data=st.data())
def test_a_proof_presented_for_another_size_or_index_is_refused(
    size: int, data: st.DataObject
) -> None:
    # The checkpoint binds size and root, so "another size" means that size's own root.
    tree, _ = _tree(size + 2)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    size1 = data.draw(st.integers(min_value=1, max_value=size - 1), label="size1")
    other = size + data.draw(st.sampled_from([-1, 1, 2]), label="delta")
    inclusion = tree.inclusion_proof(index, size)
    consistency = tree.consistency_proof(size1, size)
    leaf = tree.leaf_hash(index)

    if index < other:
        with pytest.raises(InvalidProof):
            verify_inclusion(index, other, leaf, inclusion, tree.root(other))
    if size1 < other:
        with pytest.raises(InvalidProof):
            verify_consistency(size1, other, consistency, tree.root(size1), tree.root(other))
    for wrong_index in (index - 1, index + 1):
        if 0 <= wrong_index < size:
            with pytest.raises(InvalidProof):
                verify_inclusion(wrong_index, size, leaf, inclusion, tree.root(size))


def test_a_proof_hash_of_the_wrong_length_is_named_even_when_the_lengths_add_up() -> None:
    # Two hashes moved one byte apart keep the proof's total length: each is still named.
    tree, _ = _tree(64)
    proof = tree.inclusion_proof(21)
    proof[2], proof[3] = proof[2] + proof[3][:1], proof[3][1:]
    leaf, root = tree.leaf_hash(21), tree.root()
    named = "hash 2 of the inclusion proof is 33 bytes, not 32"

    with pytest.raises(InvalidProof, match=named):
        verify_inclusion(21, 64, leaf, proof, root)
    with pytest.raises(InvalidProof, match=named):
        root_from_inclusion_proof(21, 64, leaf, proof)
