"""Range proofs: a run of consecutive leaves proven in an RFC 9162 tree with one proof."""

from __future__ import annotations

import pytest

from buildinghub.keylog.errors import InvalidProof
from buildinghub.keylog.range_proof import range_proof, root_from_range_proof, verify_range
from buildinghub.keylog.tree import MerkleTree


def tree_of(size: int) -> MerkleTree:
    tree = MerkleTree()
    tree.extend(f"entry {n}".encode() for n in range(size))
    return tree


def leaves(tree: MerkleTree, start: int, end: int) -> list[bytes]:
    return [tree.leaf_hash(index) for index in range(start, end)]


def test_every_run_of_every_small_tree_leads_to_the_trees_root() -> None:
    for size in range(1, 34):
        tree = tree_of(size)
        for start in range(size):
            for end in range(start + 1, size + 1):
                proof = range_proof(tree, start, end)
                assert root_from_range_proof(start, leaves(tree, start, end), size, proof) == (
                    tree.root()
                )


def test_a_single_leafs_range_proof_holds_its_rfc_9162_inclusion_proof() -> None:
    tree = tree_of(21)
    for index in range(21):
        assert sorted(range_proof(tree, index, index + 1)) == sorted(tree.inclusion_proof(index))


def test_a_run_costs_at_most_two_hashes_per_level() -> None:
    tree = tree_of(500)

    assert max(len(range_proof(tree, s, s + 32)) for s in range(468)) <= 2 * 9


def test_a_changed_leaf_or_a_shifted_run_leads_elsewhere() -> None:
    tree = tree_of(40)
    run = leaves(tree, 10, 14)
    proof = range_proof(tree, 10, 14)

    with pytest.raises(InvalidProof, match="does not lead to the root"):
        verify_range(10, [run[0], run[2], run[1], run[3]], 40, proof, tree.root())
    with pytest.raises(InvalidProof):
        verify_range(11, run, 40, proof, tree.root())
    verify_range(10, run, 40, proof, tree.root())


def test_a_proof_with_a_hash_too_many_or_too_few_or_of_the_wrong_length_is_refused() -> None:
    tree = tree_of(40)
    run = leaves(tree, 3, 9)
    proof = range_proof(tree, 3, 9)

    with pytest.raises(InvalidProof, match="expected"):
        root_from_range_proof(3, run, 40, [*proof, proof[0]])
    with pytest.raises(InvalidProof, match="expected"):
        root_from_range_proof(3, run, 40, proof[:-1])
    with pytest.raises(InvalidProof, match="32 bytes"):
        root_from_range_proof(3, run, 40, [*proof[:-1], proof[-1][:31]])


def test_a_run_outside_the_tree_is_refused() -> None:
    tree = tree_of(8)

    for start, count, size in ((7, 2, 8), (-1, 1, 8), (0, 0, 8), (0, 1, 0)):
        with pytest.raises(InvalidProof):
            root_from_range_proof(start, leaves(tree, 0, count), size, [])
    with pytest.raises(ValueError, match="not a run"):
        range_proof(tree, 3, 9)
