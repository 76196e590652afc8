"""The key ledger (SPEC K1-K6, R1-R3): an RFC 9162 Merkle log of key registrations,
rotations, revocations and signed records, with C2SP checkpoints, witness cosignatures, and
the hub's forward-only, fork-detecting view of it.

    proof, tree                 hashing, inclusion/consistency proofs, the append-only tree
    note, checkpoint, signers   C2SP signed notes and tlog-checkpoints, P-256 note signatures
    entries, records, identity  typed canonical entries, signed listing/identity records
    key_state, log              replaying the ledger; the log the cloud connector serves
    witness                     a witness that cosigns only consistent checkpoints
    trusted_view, mirror        the hub's trusted checkpoint and its verified copy of the log
    trust_store, login          the ledger as a grant trust store; login with a ledger key
"""

from .checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from .entries import (
    KeyRegistration,
    KeyRevocation,
    KeyRotation,
    RecordKind,
    Role,
    SignedRecord,
    decode_entry,
    encode_entry,
    rotate_key,
)
from .errors import (
    EntryRefused,
    ForkDetected,
    InvalidProof,
    KeylogError,
    KeyNotActive,
    LogFrozen,
    LoginRefused,
    MalformedCheckpoint,
    MalformedEntry,
    MalformedNote,
    NotAuthentic,
    NoteNotSigned,
    QuorumNotMet,
    StaleCheckpoint,
    UnknownKey,
)
from .identity import identity_lookup_hash
from .key_state import KeyRecord, KeyState, KeyStatus
from .log import KeyLog, ProvenEntry
from .login import LoginService, sign_login
from .mirror import LedgerMirror
from .note import NoteSignature, SignedNote, parse_note
from .proof import leaf_hash, node_hash, verify_consistency, verify_inclusion
from .signers import LogNoteKey, LogNoteSigner, WitnessNoteKey, WitnessNoteSigner
from .stored_view import ForkEvidence
from .tree import MerkleTree
from .trust_store import LedgerTrustStore
from .trusted_view import TrustedLogView
from .witness import Witness

__all__ = [
    "Checkpoint",
    "EntryRefused",
    "ForkDetected",
    "ForkEvidence",
    "InvalidProof",
    "KeyLog",
    "KeyNotActive",
    "KeyRecord",
    "KeyRegistration",
    "KeyRevocation",
    "KeyRotation",
    "KeyState",
    "KeyStatus",
    "KeylogError",
    "LedgerMirror",
    "LedgerTrustStore",
    "LogFrozen",
    "LogNoteKey",
    "LogNoteSigner",
    "LoginRefused",
    "LoginService",
    "MalformedCheckpoint",
    "MalformedEntry",
    "MalformedNote",
    "MerkleTree",
    "NotAuthentic",
    "NoteNotSigned",
    "NoteSignature",
    "ProvenEntry",
    "QuorumNotMet",
    "RecordKind",
    "Role",
    "SignedNote",
    "SignedRecord",
    "StaleCheckpoint",
    "TrustedLogView",
    "UnknownKey",
    "Witness",
    "WitnessNoteKey",
    "WitnessNoteSigner",
    "decode_entry",
    "encode_entry",
    "identity_lookup_hash",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "parse_checkpoint",
    "parse_note",
    "rotate_key",
    "sign_login",
    "verify_consistency",
    "verify_inclusion",
]
