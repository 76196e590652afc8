"""The fingerprint part of the reference door lock firmware (SPEC R6-R9, R14).

A lock holds the templates of identity-checked tenants, sealed to it by an enrolling station
its landlord authorised (see biometrics.station). Templates arrive as sealed bundles by radio,
unless the lock is set to refuse biometrics on radio (a site that moves them only on removable
media), or from a medium at its physical port. Erase commands come from the landlord or an
authorised station and are answered with a confirmation signed by the lock's key, kept until the
hub reads it. The sensor matches a finger against the held templates; which grant it may open is
decided by biometrics.matching in the firmware.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from pathlib import Path

from buildinghub.biometrics.errors import RadioForbidden, StaleAuthorisation
from buildinghub.biometrics.lock_templates import LockTemplates, PortImport
from buildinghub.biometrics.sealing import OpenedTemplate, TemplateBinding
from buildinghub.biometrics.station import StationAuthorisation, verify_authorisation
from buildinghub.credentials import Clock, SigningKey
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.sealing import SealingKey


class LockBiometrics:
    """A lock's stations, templates and last erase confirmation."""

    def __init__(
        self,
        *,
        building: str,
        installation: InstallationRecord,
        signing_key: SigningKey,
        sealing_key: SealingKey,
        clock: Clock,
        radio_templates: bool,
    ) -> None:
        """The biometrics of the installed lock described by installation."""
        self.building = building
        self.radio_templates = radio_templates
        self._installation = installation
        self._clock = clock
        self._issued: dict[str, int] = {}
        self.templates = LockTemplates(
            building=building,
            lock=installation.lock_id,
            signing_key=signing_key,
            sealing_key=sealing_key,
            stations=(),
            erase_issuers=(installation.landlord_key,),
        )
        self.last_confirmation = b""

    def authorise_station(self, data: bytes) -> StationAuthorisation:
        """Trust the station a landlord-signed authorisation names; refuse an older one."""
        authorisation = verify_authorisation(
            data,
            building=self.building,
            lock=self._installation.lock_id,
            landlord_key=self._installation.landlord_key,
        )
        name = authorisation.station.name
        if authorisation.issued_at < self._issued.get(name, 0):
            raise StaleAuthorisation(f"a newer authorisation of station {name} is held")
        self._issued[name] = authorisation.issued_at
        self.templates.trust_station(authorisation.station)
        return authorisation

    def import_by_radio(self, bundle: bytes) -> OpenedTemplate:
        """A sealed bundle arrived over the radio: refused outright where the site forbids it."""
        if not self.radio_templates:
            raise RadioForbidden("this lock takes fingerprint templates only at its physical port")
        return self.templates.import_bundle(bundle)

    async def import_from_port(self, medium: Path) -> PortImport:
        """Import every bundle for this lock from a medium inserted at the physical port.

        The medium is read off the event loop; the bundles are opened on it, where the sensor
        and the radio use the same templates.
        """
        found = await asyncio.to_thread(self.templates.read_port, medium)
        return self.templates.import_found(found)

    def erase(self, command: bytes) -> bytes:
        """Execute a signed erase command and keep the signed confirmation for the hub."""
        self.last_confirmation = self.templates.erase(command, now=self._clock.now())
        return self.last_confirmation

    def match(self, presented: bytes) -> TemplateBinding | None:
        """The binding of the template a finger on the sensor matches, if any."""
        return self.templates.match(presented)

    def drop_tenants(self, tenants: Collection[str]) -> tuple[bytes, ...]:
        """Erase the templates of tenants whose grants on this lock all ended."""
        return self.templates.drop_tenants(tenants)
