"""What can go wrong with the building network, in words a person can act on."""

from __future__ import annotations


class RadioError(Exception):
    """Base class for every failure of the building network's radio."""


class RadioUnavailable(RadioError):
    """The radio could not be opened or its network could not be started.

    The message names the radio path and the reason; it never carries keys or
    other network secrets.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"the Zigbee radio at {path} is unavailable: {reason}")
        self.path = path
        self.reason = reason


class DeviceUnreachable(RadioError):
    """A device did not acknowledge or answer, even after retries.

    ``ieee`` is the device's IEEE address as a string (``"aa:bb:...:ff"``).
    """

    def __init__(self, ieee: str, detail: str | None = None) -> None:
        message = f"the device {ieee} did not answer"
        super().__init__(f"{message}: {detail}" if detail else message)
        self.ieee = ieee
        self.detail = detail
