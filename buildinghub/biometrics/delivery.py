"""How a sealed template reaches its lock: by radio or on removable media, as the site allows.

A TemplateDelivery takes a sealed bundle (see sealing) to the lock it names. RadioDelivery hands
it to a TemplateSender (the hub's radio link to the lock, our cluster's chunked transfer);
MediaDelivery writes it to a removable medium (see media). A SitePolicy that forbids
biometrics on radio (SPEC R9) makes RadioDelivery refuse to exist and to send, so in that mode
no template byte reaches a radio sender, whatever the caller does; delivery_for picks the
channel the policy allows, and deliver_with_consent sends nothing without the tenant's consent
to send that template to that lock (SPEC R8).
"""

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from .consent import ConsentBook, Purpose
from .errors import RadioForbidden
from .media import export_bundle
from .sealing import read_bundle


class Channel(StrEnum):
    """The way a bundle travelled."""

    RADIO = "radio"
    MEDIA = "media"


@dataclass(frozen=True, slots=True)
class SitePolicy:
    """What a site allows for biometrics: radio, or removable media only."""

    biometrics_over_radio: bool = True


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """Where a bundle went: the lock, the channel, and the file for media."""

    lock: str
    channel: Channel
    path: Path | None = None


class TemplateSender(Protocol):
    """The radio side: sends a sealed bundle to a lock (the hub's link to it)."""

    async def send_template(self, lock: str, bundle: bytes) -> None:
        """Send bundle to lock and return once the lock accepted the transfer."""


class TemplateDelivery(Protocol):
    """Takes a sealed bundle to the lock it is sealed for."""

    async def deliver(self, bundle: bytes) -> DeliveryReceipt:
        """Deliver bundle; raise a BiometricRefused if it cannot go this way."""


class RadioDelivery:
    """Delivery over the building radio; refused outright where the site forbids it."""

    def __init__(self, sender: TemplateSender, policy: SitePolicy) -> None:
        """Wrap a radio sender; RadioForbidden if the policy keeps biometrics off radio."""
        _require_radio(policy)
        self._sender = sender
        self._policy = policy

    async def deliver(self, bundle: bytes) -> DeliveryReceipt:
        """Send the bundle to the lock named in it."""
        _require_radio(self._policy)
        lock = read_bundle(bundle).binding.lock
        await self._sender.send_template(lock, bundle)
        return DeliveryReceipt(lock, Channel.RADIO)


class MediaDelivery:
    """Delivery on a removable medium mounted at a path (a USB stick or an SD card)."""

    def __init__(self, medium: Path) -> None:
        """Write to the medium mounted at this path."""
        self._medium = medium

    async def deliver(self, bundle: bytes) -> DeliveryReceipt:
        """Export the bundle and its manifest to the medium (file I/O off the event loop)."""
        lock = read_bundle(bundle).binding.lock
        path = await asyncio.to_thread(export_bundle, bundle, self._medium)
        return DeliveryReceipt(lock, Channel.MEDIA, path)


def delivery_for(
    policy: SitePolicy, *, radio: TemplateSender | None = None, medium: Path | None = None
) -> TemplateDelivery:
    """The delivery the site allows: radio when allowed and available, else the medium."""
    if policy.biometrics_over_radio and radio is not None:
        return RadioDelivery(radio, policy)
    if medium is not None:
        return MediaDelivery(medium)
    if not policy.biometrics_over_radio:
        raise RadioForbidden(
            "this site moves biometrics only on removable media: give the path of a mounted "
            "USB stick or SD card"
        )
    raise ValueError("no way to deliver: give a radio sender or a medium path")


async def deliver_with_consent(
    delivery: TemplateDelivery, bundle: bytes, *, consents: ConsentBook, now: int
) -> DeliveryReceipt:
    """Deliver a bundle only while its tenant's consent to send it to that lock stands."""
    binding = read_bundle(bundle).binding
    consents.check(binding.template_id, lock=binding.lock, purpose=Purpose.SEND, now=now)
    return await delivery.deliver(bundle)


def _require_radio(policy: SitePolicy) -> None:
    if not policy.biometrics_over_radio:
        raise RadioForbidden(
            "this site forbids biometrics on any radio: export the bundle to removable media"
        )
