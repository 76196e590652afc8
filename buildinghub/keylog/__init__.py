"""The key ledger (SPEC K1-K6, R1-R3): an RFC 9162 Merkle log of key registrations,
rotations, revocations and signed records, with C2SP checkpoints, witness cosignatures, and
the hub's forward-only, fork-detecting view of it.

    proof, tree                 hashing, inclusion/consistency proofs, the append-only tree
    note, checkpoint, signers   C2SP signed notes and tlog-checkpoints, P-256 note signatures
    entries, records, identity  typed canonical entries, signed listing/identity records
    key_record, key_state, log  replaying the ledger (scoped by building); the served log
    landlord_trust              a landlord key is trusted for a lock by subject AND building
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
    IdentityNotChecked,
    IdentityTaken,
    InvalidProof,
    KeylogError,
    KeyNotActive,
    LandlordNotTrusted,
    LogFrozen,
    LoginRefused,
    MalformedCheckpoint,
    MalformedEntry,
    MalformedNote,
    NotAuthentic,
    NoteNotSigned,
    NotListingOwner,
    QuorumNotMet,
    StaleCheckpoint,
    SubjectTaken,
    UnknownKey,
    WrongBuilding,
)
from .identity import identity_lookup_hash
from .key_record import KeyRecord, KeyStatus
from .key_state import KeyState
from .landlord_trust import installation_building, trusted_landlord
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
    "IdentityNotChecked",
    "IdentityTaken",
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
    "LandlordNotTrusted",
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
    "NotListingOwner",
    "NoteNotSigned",
    "NoteSignature",
    "ProvenEntry",
    "QuorumNotMet",
    "RecordKind",
    "Role",
    "SignedNote",
    "SignedRecord",
    "StaleCheckpoint",
    "SubjectTaken",
    "TrustedLogView",
    "UnknownKey",
    "Witness",
    "WitnessNoteKey",
    "WitnessNoteSigner",
    "WrongBuilding",
    "decode_entry",
    "encode_entry",
    "identity_lookup_hash",
    "installation_building",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "parse_checkpoint",
    "parse_note",
    "rotate_key",
    "sign_login",
    "trusted_landlord",
    "verify_consistency",
    "verify_inclusion",
]
