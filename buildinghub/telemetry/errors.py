"""Why a reading, receipt, erase command or signed request was refused.

Every error has a stable snake_case ``reason`` that devices send over the air, the
cloud returns in its JSON and Home Assistant translates. Messages never carry keys
or signatures.
"""

from typing import ClassVar


class TelemetryError(Exception):
    """A telemetry message was refused."""

    reason: ClassVar[str] = "telemetry_error"


class MalformedMessage(TelemetryError):
    """The bytes are not a message in the one encoding we accept."""

    reason = "malformed"


class BadSignature(TelemetryError):
    """The signature does not verify with the key that should have made it."""

    reason = "bad_signature"


class WrongMeter(TelemetryError):
    """An erase command names another meter."""

    reason = "wrong_meter"


class NotInReceipt(TelemetryError):
    """An erase command's readings are not proven to be in its signed batch receipt."""

    reason = "proof_mismatch"


class UnknownReading(TelemetryError):
    """An erase command names no reading the meter holds (erased, or never taken)."""

    reason = "unknown_reading"


class ReadingMismatch(TelemetryError):
    """An erase command's digest is not the digest of the reading stored at that sequence."""

    reason = "reading_mismatch"


class EraseRefused(TelemetryError):
    """A meter refused an erase command; ``code`` is the meter's reason."""

    reason = "erase_refused"

    def __init__(self, code: str) -> None:
        super().__init__(f"the meter refused the erase command: {code}")
        self.code = code
