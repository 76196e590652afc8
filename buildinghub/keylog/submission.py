"""What a key holder signs to submit an entry to the ledger service (proof of possession).

A registration or rotation is accompanied by the new key's signature, so nobody registers a
key they do not hold; a revocation may be signed by the revoked key itself. The message binds
the action and the exact entry bytes under a domain tag, so a signature for one submission is
never valid for another.
"""

from enum import StrEnum

import cbor2

from buildinghub.credentials.keys import SigningKey

SUBMISSION_DOMAIN = "buildinghub-ledger-submission-v1"


class Action(StrEnum):
    """What the submission asks the log to do."""

    REGISTER = "register"
    ROTATE = "rotate"
    REVOKE = "revoke"


def submission_message(action: Action, entry: bytes) -> bytes:
    """The bytes a key holder signs to submit ``entry`` for ``action``."""
    return cbor2.dumps([SUBMISSION_DOMAIN, action.value, entry], canonical=True)


def sign_submission(key: SigningKey, action: Action, entry: bytes) -> bytes:
    """The key holder's signature of a submission."""
    return key.sign(submission_message(action, entry))
