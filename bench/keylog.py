"""How the key ledger's Merkle log performs at 1,000,000 entries.

tree_append_per_s: entries appended to the bare Merkle tree (MerkleTree.append: leaf hash plus
the interior nodes it completes), building a 1,000,000-entry tree from empty; entries are 150
bytes, the size of an encoded key registration. This is the tree alone, not the key log.
keylog_append_per_s: KeyLog.append of real key registrations (encode, check against the key
state, append to its tree; checkpoints are signed apart), over keylog_appends of them from
an empty log.
inclusion_verify_per_s: verifying an entry's inclusion proof (leaf hash + the proof's hashes,
with every length and shape check) against the root at 1,000,000 entries, random entries.
proof_bytes: the largest inclusion proof at that size (32 bytes per hash);
consistency_proof_bytes: the largest consistency proof from a sample of earlier sizes.
inclusion_proof_per_s: proofs the log builds from its stored levels. checkpoint_check_per_s:
the hub's check of a checkpoint (parse, log signature, three witness cosignatures).
Rates are per second of the process's CPU time (see bench.es256.rate), so other work on a
shared machine does not count against them.
"""

import argparse
import random
import tempfile
import time
from pathlib import Path

from buildinghub.credentials import MonotonicClock, SigningKey
from buildinghub.keylog.checkpoint import Checkpoint
from buildinghub.keylog.entries import KeyRegistration, Role
from buildinghub.keylog.log import KeyLog
from buildinghub.keylog.note import SignedNote
from buildinghub.keylog.proof import leaf_hash, verify_inclusion
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteSigner
from buildinghub.keylog.tree import MerkleTree
from buildinghub.keylog.trusted_view import TrustedLogView

_NOW = 1_767_225_600
_ENTRY_BYTES = 150
_ORIGIN = "ledger.building-7.example/log"


def main(argv: list[str]) -> dict[str, object]:
    """Measure and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m bench keylog")
    parser.add_argument("--entries", type=int, default=1_000_000, help="log size")
    parser.add_argument("--verifications", type=int, default=20_000, help="proofs verified")
    parser.add_argument("--registrations", type=int, default=2_000, help="KeyLog.append run")
    options = parser.parse_args(argv)
    rng = random.Random(7)

    tree = MerkleTree()
    prefix = bytes(_ENTRY_BYTES - 8)
    started = time.process_time()
    for index in range(options.entries):
        tree.append(prefix + index.to_bytes(8))
    build_seconds = time.process_time() - started
    size = tree.size
    root = tree.root()

    indexes = [rng.randrange(size) for _ in range(options.verifications)]
    started = time.process_time()
    proofs = [tree.inclusion_proof(index) for index in indexes]
    proof_seconds = time.process_time() - started
    entries = [prefix + index.to_bytes(8) for index in indexes]
    started = time.process_time()
    for index, entry, proof in zip(indexes, entries, proofs, strict=True):
        verify_inclusion(index, size, leaf_hash(entry), proof, root)
    verify_seconds = time.process_time() - started

    old_sizes = [size - 1, size // 2, *(rng.randrange(1, size) for _ in range(200))]
    consistency_hashes = max(len(tree.consistency_proof(old)) for old in old_sizes)

    return {
        "entries": size,
        "entry_bytes": _ENTRY_BYTES,
        "tree_append_per_s": round(size / build_seconds),
        "tree_build_seconds": round(build_seconds, 2),
        "keylog_append_per_s": _log_append_rate(options.registrations),
        "keylog_appends": options.registrations,
        "inclusion_proof_per_s": round(len(indexes) / proof_seconds),
        "inclusion_verify_per_s": round(len(indexes) / verify_seconds),
        "proof_bytes": 32 * max(len(proof) for proof in proofs),
        "consistency_proof_bytes": 32 * consistency_hashes,
        "checkpoint_check_per_s": _checkpoint_check_rate(tree),
    }


def _log_append_rate(count: int) -> int:
    log = KeyLog(LogNoteSigner(_ORIGIN, SigningKey.generate()))
    registrations = [
        KeyRegistration(
            Role.TENANT,
            SigningKey.generate().public_key,
            n.to_bytes(32),
            f"tenant-{n}",
            _NOW,
            building="Building 7",
        )
        for n in range(count)
    ]
    started = time.process_time()
    for registration in registrations:
        log.append(registration)
    return round(count / (time.process_time() - started))


def _checkpoint_check_rate(tree: MerkleTree, rounds: int = 300) -> int:
    log = LogNoteSigner(_ORIGIN, SigningKey.generate())
    witnesses = [WitnessNoteSigner(f"w{n}.example", SigningKey.generate()) for n in range(3)]
    text = Checkpoint(_ORIGIN, tree.size, tree.root()).to_text()
    note = SignedNote(text, (log.sign(text), *(w.cosign(text, _NOW) for w in witnesses)))
    data = note.encode()
    with tempfile.TemporaryDirectory() as folder:
        view = TrustedLogView(
            log.verifier,
            [w.verifier for w in witnesses],
            3,
            Path(folder) / "view.json",
            MonotonicClock(),
        )
        started = time.process_time()
        for _ in range(rounds):
            view.check(data)
        return round(rounds / (time.process_time() - started))
