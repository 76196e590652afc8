"""The hub's fingerprint link to one door lock: station authorisations, sealed templates, erasure.

Over our cluster's chunked transfer, like grants: the landlord's station authorisation, a sealed
template bundle (this is the TemplateSender that biometrics.delivery's RadioDelivery uses; where
a site forbids biometrics on radio that delivery refuses to exist, so nothing reaches this), and
a signed erase command, whose answer the hub reads back: the lock's signed EraseConfirmation,
verified against the lock's key from its installation record and the command sent.
"""

from __future__ import annotations

from buildinghub.biometrics.erase import EraseConfirmation, verify_confirmation
from buildinghub.credentials import PublicKey
from buildinghub.radio.cluster import ObjectKind

from .door_lock import DoorLockClient, LockRefused


class LockTemplateLink:
    """Fingerprint objects to and from one lock (which verifies everything itself)."""

    def __init__(self, client: DoorLockClient, *, lock: str, lock_key: PublicKey) -> None:
        """The link through client to the lock called lock, whose signing key is lock_key."""
        self._client = client
        self._lock = lock
        self._lock_key = lock_key

    async def authorise_station(self, record: bytes) -> None:
        """Deliver a landlord-signed station authorisation."""
        await self._client.send(ObjectKind.station_authorisation, record, "station authorisation")

    async def send_template(self, lock: str, bundle: bytes) -> None:
        """Send a sealed bundle to the lock (TemplateSender); it opens and keeps it or refuses."""
        if lock != self._lock:
            raise LockRefused("template", "wrong_lock")
        await self._client.send(ObjectKind.sealed_template, bundle, "template")

    async def erase_template(self, command: bytes) -> EraseConfirmation:
        """Deliver a signed erase command and return the lock's verified confirmation."""
        await self._client.send(ObjectKind.template_erase, command, "template erase")
        answer = await self._client.read_object(
            ObjectKind.erase_confirmation, "erase confirmation", missing="erase_refused"
        )
        return verify_confirmation(answer, command=command, lock_key=self._lock_key)
