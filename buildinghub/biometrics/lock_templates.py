"""The templates a lock holds: imported from sealed bundles (radio or media), erased on command.

This is the lock firmware's template memory, kept free of any radio or sensor so the simulated
lock and the tests drive the same code: import a bundle (TemplateOpener checks it), import
everything for this lock from a medium at the physical port, look a template up for the
anti-sublet decision, and erase one on a signed command, answering with a signed confirmation.
"""

import hmac
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.credentials.sealing import SealingKey

from .erase import EraseConfirmation, sign_confirmation, verify_erase
from .errors import BiometricRefused
from .media import MediaImport, Refusal, import_bundles
from .sealing import (
    KnownStation,
    OpenedTemplate,
    TemplateBinding,
    TemplateOpener,
    TemplateReplayGuard,
)


@dataclass(frozen=True, slots=True)
class PortImport:
    """What an import at the physical port did: template ids imported, entries refused and why."""

    imported: tuple[bytes, ...]
    refused: tuple[Refusal, ...]


class LockTemplates:
    """A lock's templates, keyed by template id (the newest epoch only)."""

    def __init__(
        self,
        *,
        building: str,
        lock: str,
        signing_key: SigningKey,
        sealing_key: SealingKey,
        stations: Iterable[KnownStation],
        erase_issuers: Iterable[PublicKey],
        guard: TemplateReplayGuard | None = None,
    ) -> None:
        """A lock's memory: its identity and keys, the stations and erase issuers it trusts."""
        self._building = building
        self._lock = lock
        self._signing_key = signing_key
        self._erase_issuers = tuple(erase_issuers)
        self._guard = guard if guard is not None else TemplateReplayGuard()
        self._opener = TemplateOpener(
            building=building,
            lock=lock,
            sealing_key=sealing_key,
            stations=stations,
            guard=self._guard,
        )
        self._templates: dict[bytes, OpenedTemplate] = {}

    def import_bundle(self, bundle: bytes) -> OpenedTemplate:
        """Open a sealed bundle and keep its template (replacing an older epoch)."""
        opened = self._opener.open(bundle)
        self._templates[opened.binding.template_id] = opened
        return opened

    def import_from_port(self, medium: Path) -> PortImport:
        """Import every bundle for this lock from a medium mounted at the physical port."""
        return self.import_found(self.read_port(medium))

    def read_port(self, medium: Path) -> MediaImport:
        """Read (file I/O only, no import) the bundles for this lock on a medium."""
        return import_bundles(medium, building=self._building, lock=self._lock)

    def import_found(self, found: MediaImport) -> PortImport:
        """Import the bundles read from a medium; refusals are listed with their reasons."""
        imported: list[bytes] = []
        refused = list(found.refused)
        for bundle in found.bundles:
            try:
                imported.append(self.import_bundle(bundle.encoded).binding.template_id)
            except BiometricRefused as err:
                entry = bundle.binding.template_id.hex()
                refused.append(Refusal(entry, err.reason, str(err)))
        return PortImport(tuple(imported), tuple(refused))

    def trust_station(self, station: KnownStation) -> None:
        """Open bundles and take erase commands from this station (replacing one of its name)."""
        self._opener.trust(station)

    @property
    def stations(self) -> tuple[KnownStation, ...]:
        """The enrolling stations this lock trusts."""
        return self._opener.stations

    def match(self, presented: bytes) -> TemplateBinding | None:
        """The binding of the held template the presented finger matches, or None.

        A real sensor scores a live scan against each template; the simulated sensor's scan is
        the template itself, compared in constant time.
        """
        for opened in self._templates.values():
            if hmac.compare_digest(opened.template, presented):
                return opened.binding
        return None

    def drop_tenants(self, tenants: Collection[str]) -> tuple[bytes, ...]:
        """Erase every template of these tenants (their grants ended); returns the ids dropped."""
        dropped = tuple(
            template_id
            for template_id, opened in self._templates.items()
            if opened.binding.tenant in tenants
        )
        for template_id in dropped:
            del self._templates[template_id]
        return dropped

    def binding(self, template_id: bytes) -> TemplateBinding | None:
        """The binding of a held template (for admit_finger), or None."""
        opened = self._templates.get(template_id)
        return None if opened is None else opened.binding

    def template(self, template_id: bytes) -> bytes | None:
        """A held template's bytes, for the sensor's matcher only."""
        opened = self._templates.get(template_id)
        return None if opened is None else opened.template

    def template_ids(self) -> frozenset[bytes]:
        """The ids of every template held."""
        return frozenset(self._templates)

    def erase(self, command: bytes, *, now: int) -> bytes:
        """Execute a signed erase command; returns the signed confirmation for the hub.

        The command may be signed by an erase issuer given at construction (the landlord) or by
        any station the lock trusts (the one that enrolled the template, or another).
        """
        issuers = (*self._erase_issuers, *(s.signing_key for s in self._opener.stations))
        erase, digest = verify_erase(
            command, building=self._building, lock=self._lock, issuers=issuers
        )
        held = self._templates.pop(erase.template_id, None) is not None
        self._guard.retire(erase.template_id)
        confirmation = EraseConfirmation(
            building=self._building,
            lock=self._lock,
            template_id=erase.template_id,
            command=digest,
            held=held,
            erased_at=now,
        )
        return sign_confirmation(confirmation, self._signing_key)
