"""Why the key ledger refused a proof, a note, a checkpoint, an entry or a key.

Like the credential errors, each carries a stable snake_case ``reason`` for Home Assistant and
the cloud API to translate, and a message that says what is wrong and what to check. Messages
never carry private keys or identity numbers.
"""

# The names are the domain's words (ProofMismatch, ForkDetected), not "...Error".

from typing import ClassVar


class KeylogError(Exception):
    """The key ledger refused something."""

    reason: ClassVar[str] = "keylog_error"


class InvalidProof(KeylogError):
    """An inclusion or consistency proof does not prove what it claims."""

    reason = "invalid_proof"


class MalformedNote(KeylogError):
    """The bytes are not a signed note (C2SP signed-note) in the strict form we accept."""

    reason = "malformed_note"


class MalformedCheckpoint(KeylogError):
    """The note text is not a C2SP tlog-checkpoint."""

    reason = "malformed_checkpoint"


class NoteNotSigned(KeylogError):
    """The note carries no valid signature of the key it must be signed by, or a bad one."""

    reason = "note_not_signed"


class QuorumNotMet(KeylogError):
    """Fewer known witnesses cosigned the checkpoint than the verifier requires."""

    reason = "quorum_not_met"


class StaleCheckpoint(KeylogError):
    """The checkpoint is older (smaller) than the one already trusted: views only move forward."""

    reason = "stale_checkpoint"


class ForkDetected(KeylogError):
    """Two checkpoints of the same log are not consistent: the log showed a split view."""

    reason = "fork_detected"


class LogFrozen(KeylogError):
    """A fork was detected earlier; nothing new is trusted until a person resolves it."""

    reason = "log_frozen"


class MalformedEntry(KeylogError):
    """The bytes are not a ledger entry in the one canonical encoding we accept."""

    reason = "malformed_entry"


class EntryRefused(KeylogError):
    """A well-formed entry that the ledger's key state does not allow (e.g. revoking twice)."""

    reason = "entry_refused"


class UnknownKey(KeylogError):
    """The ledger has no key with this id."""

    reason = "unknown_key"


class KeyNotActive(KeylogError):
    """The key was rotated or revoked, or has the wrong role for this use."""

    reason = "key_not_active"


class NotAuthentic(KeylogError):
    """A signed record (listing, installation, identity check) fails against the ledger."""

    reason = "not_authentic"


class LoginRefused(KeylogError):
    """A login was refused: stale challenge, bad signature, or a key the ledger does not allow."""

    reason = "login_refused"


class WrongBuilding(EntryRefused):
    """An entry or a request for a key of another building than the one it acts for (S2)."""

    reason = "wrong_building"


class SubjectTaken(EntryRefused):
    """The building already has an active key of that role under that name (S2)."""

    reason = "subject_taken"


class IdentityTaken(EntryRefused):
    """The identity hash is already bound to another active tenant key (S2)."""

    reason = "identity_taken"


class NotListingOwner(EntryRefused):
    """A listing may be replaced only by the landlord key that published it (S2)."""

    reason = "not_listing_owner"


class IdentityNotChecked(KeylogError):
    """A tenant key that no authorised station's identity check has bound to its owner (R1)."""

    reason = "identity_not_checked"


class LandlordNotTrusted(KeylogError):
    """The key is not the landlord key the lock's installation makes trusted (S2, R3)."""

    reason = "landlord_not_trusted"
