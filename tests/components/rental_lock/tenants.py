"""Tess, a tenant with a lease, her phone's key and her Home Assistant user, for the tests.

What she and the admin do through Rental Lock's actions: take a lease, authorise the hub's
enrolment station at her lock, consent, enrol, and put her finger on the lock.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser

from buildinghub.biometrics.consent import (
    ConsentRecord,
    ConsentWithdrawal,
    Purpose,
    consent_digest,
    sign_consent,
    sign_withdrawal,
)
from buildinghub.biometrics.sealing import KnownStation
from buildinghub.credentials import GrantKind, PublicKey, SigningKey
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from buildinghub_sim.fingers import finger_template
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import settle

if TYPE_CHECKING:
    from .conftest import IssueGrant

LEASE_SECONDS = 30 * 24 * 3600


EVENT = "event.flat_1a_door_access"
ALL_PURPOSES = frozenset(Purpose)


def b64(data: bytes) -> str:
    """As the tenant's app or the landlord's CLI prints a signed record."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def key_from(text: str) -> PublicKey:
    return PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


async def call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, user: MockUser | None = None
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id) if user else None,
    )
    assert response is not None
    return dict(response)


@dataclass
class Tenant:
    """A tenant with a lease on a flat, their phone's key and their Home Assistant user."""

    flat: SimulatedFlat
    key: SigningKey
    user: MockUser
    person: str
    start: int

    def consent(self, template_id: bytes, *, lock: str | None = None) -> str:
        record = ConsentRecord(
            tenant=self.flat.tenant,
            purposes=ALL_PURPOSES,
            lock=lock or self.flat.lock_id,
            template_id=template_id,
            given_at=self.start,
        )
        return b64(sign_consent(record, self.key))

    def withdrawal(self, consent: str, template_id: bytes) -> str:
        digest = consent_digest_of(consent)
        withdrawal = ConsentWithdrawal(
            consent=digest, template_id=template_id, withdrawn_at=self.start
        )
        return b64(sign_withdrawal(withdrawal, self.key))


def consent_digest_of(consent: str) -> bytes:
    return consent_digest(base64.urlsafe_b64decode(consent + "=" * (-len(consent) % 4)))


async def lease(
    hass: HomeAssistant,
    issue: IssueGrant,
    flat: SimulatedFlat,
    key: SigningKey,
    user: MockUser,
    *,
    end: int = LEASE_SECONDS,
) -> None:
    grant = issue(
        flat, kind=GrantKind.LEASE, end=end, subject=flat.tenant, holder_key=key.public_key
    )
    await call(hass, "install_grant", {"grant": b64(grant), "user_id": user.id})


async def authorise(
    hass: HomeAssistant, building: SimulatedBuilding, flat: SimulatedFlat, at: int
) -> dict[str, Any]:
    """The admin reads the station's keys; the landlord signs; the admin delivers it."""
    keys = await call(hass, "station_keys", {})
    station = KnownStation(
        keys["station"], key_from(keys["signing_key"]), key_from(keys["sealing_key"])
    )
    record = building.authorise_station(flat, station, at)
    return await call(
        hass, "authorise_station", {"lock": flat.lock_id, "authorisation": b64(record)}
    )


async def enrol(
    hass: HomeAssistant, tenant: Tenant, template_id: bytes, **extra: Any
) -> dict[str, Any]:
    data = {
        "lock": tenant.flat.lock_id,
        "user_id": tenant.user.id,
        "template_id": template_id.hex(),
        "verified_by": "Ana (landlord)",
        "document_kind": "passport",
        "simulated_finger": tenant.person,
        **extra,
    }
    data = {key: value for key, value in data.items() if value is not None}
    return await call(hass, "enrol_fingerprint", data)


async def consented(hass: HomeAssistant, tenant: Tenant) -> tuple[bytes, str]:
    """The tenant hands in a consent for a new template id; returns the id and the consent."""
    template_id = os.urandom(16)
    consent = tenant.consent(template_id)
    await call(hass, "record_consent", {"consent": consent}, user=tenant.user)
    return template_id, consent


async def consented_and_enrolled(hass: HomeAssistant, tenant: Tenant) -> tuple[bytes, str]:
    """The tenant consents; the admin enrols her finger by that consent."""
    template_id, consent = await consented(hass, tenant)
    await enrol(hass, tenant, template_id)
    return template_id, consent


async def at_the_door(hass: HomeAssistant, flat: SimulatedFlat, person: str) -> dict[str, Any]:
    """A person puts a finger on the lock's sensor; returns what the event entity shows."""
    flat.lock.fingerprint(finger_template(person))
    await settle(hass)
    state = hass.states.get(EVENT)
    assert state is not None
    return dict(state.attributes)


def lock_templates(flat: SimulatedFlat) -> frozenset[bytes]:
    assert flat.lock.firmware.biometrics is not None
    return flat.lock.firmware.biometrics.templates.template_ids()
