"""Fingerprint templates sealed to one lock (SPEC R7): HPKE Auth mode plus a station signature.

The enrolling station seals a template with HPKE Auth mode (see credentials.envelope) to the
target lock's sealing key, authenticated by the station's own sealing key, with

    info = canonical CBOR ["buildinghub-template-v1", building, lock, tenant, template_id, epoch]

and signs the result (a signed record, ES256) with its signing key:

    {"type": "sealed-template", "building", "lock", "tenant", "template_id", "epoch",
     "station", "sealed": enc || ciphertext}

The lock checks, in order: the station is one it knows and the signature is that station's;
the bundle names this building and lock; the replay guard has not seen this template id at
this epoch or a newer one; the envelope opens with the lock's key from that station's key with
the info rebuilt from the bundle. A bundle sealed for another lock fails the lock check, and
if its header is rewritten (by a station) the envelope does not open, because info and the
recipient key both differ. The same bytes travel by radio or on removable media (see media).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import cbor2

from buildinghub.credentials.envelope import EnvelopeRefused, open_envelope, seal
from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.credentials.signed_record import (
    SignedRecord,
    blob,
    read_record,
    sign_record,
    text,
    uint,
)

from .consent import TEMPLATE_ID_LENGTH
from .errors import SealedTemplateRefused, StaleEpoch, TemplateReplayed, UnknownStation, WrongLock

MAX_TEMPLATE_BYTES: Final = 2048
MAX_BUNDLE_BYTES: Final = 4096
_INFO_TAG: Final = "buildinghub-template-v1"
_BUNDLE: Final = "sealed-template"
_RETIRED: Final = 2**63  # above any epoch a bundle can carry (signed_record.uint)
_FIELDS: Final = ("building", "lock", "tenant", "template_id", "epoch", "station", "sealed")


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateBinding:
    """Everything a sealed template is bound to; rebuilt by the lock to open it."""

    building: str
    lock: str
    tenant: str
    template_id: bytes
    epoch: int

    def __post_init__(self) -> None:
        if len(self.template_id) != TEMPLATE_ID_LENGTH:
            raise ValueError(f"a template id is {TEMPLATE_ID_LENGTH} bytes")
        if self.epoch < 0:
            raise ValueError("an epoch is a non-negative integer")

    def info(self) -> bytes:
        """The HPKE info: a canonical CBOR array of the binding, under a version tag."""
        return cbor2.dumps(
            [_INFO_TAG, self.building, self.lock, self.tenant, self.template_id, self.epoch],
            canonical=True,
        )


@dataclass(frozen=True, slots=True)
class EnrollingStation:
    """An enrolling station's own keys: one to sign bundles, one to authenticate the sealing."""

    name: str
    signing_key: SigningKey
    sealing_key: SealingKey

    def known_as(self) -> KnownStation:
        """What a lock is told about this station."""
        return KnownStation(self.name, self.signing_key.public_key, self.sealing_key.public_key)


@dataclass(frozen=True, slots=True)
class KnownStation:
    """An enrolling station a lock trusts: its name and public keys."""

    name: str
    signing_key: PublicKey
    sealing_key: PublicKey


@dataclass(frozen=True, slots=True)
class SealedBundle:
    """A parsed sealed template whose station signature has not been checked yet."""

    binding: TemplateBinding
    station: str
    sealed: bytes = field(repr=False)
    record: SignedRecord = field(repr=False)

    @property
    def kid(self) -> bytes:
        """The key id of the station key that signed the bundle."""
        return self.record.kid

    @property
    def encoded(self) -> bytes:
        """The bundle's bytes, as sealed and signed."""
        return self.record.encoded


@dataclass(frozen=True, slots=True)
class OpenedTemplate:
    """A template the lock opened: what it is bound to, who sealed it, and its bytes."""

    binding: TemplateBinding
    station: str
    template: bytes = field(repr=False)


def seal_template(
    template: bytes,
    binding: TemplateBinding,
    *,
    lock_sealing_key: PublicKey,
    station: EnrollingStation,
) -> bytes:
    """Seal template to the lock named in binding and sign the bundle as station."""
    if not 1 <= len(template) <= MAX_TEMPLATE_BYTES:
        raise ValueError(f"a template is 1 to {MAX_TEMPLATE_BYTES} bytes, got {len(template)}")
    sealed = seal(template, lock_sealing_key, info=binding.info(), sender=station.sealing_key)
    fields = {
        "building": binding.building,
        "lock": binding.lock,
        "tenant": binding.tenant,
        "template_id": binding.template_id,
        "epoch": binding.epoch,
        "station": station.name,
        "sealed": sealed,
    }
    return sign_record(_BUNDLE, fields, station.signing_key, max_size=MAX_BUNDLE_BYTES)


def read_bundle(data: bytes) -> SealedBundle:
    """Parse a sealed template bundle strictly, WITHOUT trusting it."""
    signed = read_record(data, record_type=_BUNDLE, fields=_FIELDS, max_size=MAX_BUNDLE_BYTES)
    fields = signed.fields
    binding = TemplateBinding(
        building=text(fields, "building"),
        lock=text(fields, "lock"),
        tenant=text(fields, "tenant"),
        template_id=blob(fields, "template_id", length=TEMPLATE_ID_LENGTH),
        epoch=uint(fields, "epoch"),
    )
    sealed = blob(fields, "sealed", max_length=MAX_BUNDLE_BYTES)
    return SealedBundle(binding, text(fields, "station"), sealed, signed)


class TemplateReplayGuard:
    """The lock's memory of the newest epoch imported per template id.

    A template id at an epoch already seen is a replay; an older epoch is stale. Erasing a
    template retires its id (retire): every bundle of it is refused from then on, including
    one that was exported to a medium and never imported, because a withdrawn consent is
    never given back (a new consent names a new template id).
    """

    def __init__(self, newest: Mapping[bytes, int] | None = None) -> None:
        """Start from a saved snapshot, or empty."""
        self._newest: dict[bytes, int] = dict(newest or {})

    def check(self, template_id: bytes, epoch: int) -> None:
        """Refuse a replayed or stale template id/epoch; change nothing."""
        newest = self._newest.get(template_id)
        if newest is None or (epoch > newest and newest != _RETIRED):
            return
        if newest == _RETIRED:
            raise TemplateReplayed(
                f"template {template_id.hex()} was erased: enrol under a new consent instead"
            )
        if epoch == newest:
            raise TemplateReplayed(
                f"template {template_id.hex()} at epoch {epoch} was already imported"
            )
        raise StaleEpoch(
            f"template {template_id.hex()} epoch {epoch} is older than the imported epoch {newest}"
        )

    def accept(self, template_id: bytes, epoch: int) -> None:
        """Check, then remember epoch as the newest for template_id."""
        self.check(template_id, epoch)
        self._newest[template_id] = epoch

    def retire(self, template_id: bytes) -> None:
        """The template was erased: refuse every bundle of this id from now on."""
        self._newest[template_id] = _RETIRED

    def snapshot(self) -> dict[bytes, int]:
        """The newest epoch per template id, for the lock's persistent storage."""
        return dict(self._newest)


class TemplateOpener:
    """The lock side: opens bundles sealed to this lock by a known station, once each."""

    def __init__(
        self,
        *,
        building: str,
        lock: str,
        sealing_key: SealingKey,
        stations: Iterable[KnownStation],
        guard: TemplateReplayGuard,
    ) -> None:
        """A lock's opener: its identity, its sealing key, the stations it trusts."""
        self._building = building
        self._lock = lock
        self._sealing_key = sealing_key
        self._stations = {station.signing_key.kid: station for station in stations}
        self._guard = guard

    def trust(self, station: KnownStation) -> None:
        """Open bundles from this station from now on, replacing a station of the same name."""
        for kid, known in list(self._stations.items()):
            if known.name == station.name:
                del self._stations[kid]
        self._stations[station.signing_key.kid] = station

    @property
    def stations(self) -> tuple[KnownStation, ...]:
        """The stations this opener trusts."""
        return tuple(self._stations.values())

    def open(self, data: bytes) -> OpenedTemplate:
        """Verify, check and open a bundle; each refusal is a typed BiometricRefused."""
        bundle = read_bundle(data)
        station = self._stations.get(bundle.kid)
        if station is None or station.name != bundle.station:
            raise UnknownStation(
                f"the bundle is signed by station {bundle.station!r} (key {bundle.kid.hex()}), "
                f"which this lock does not know"
            )
        bundle.record.verify(station.signing_key)
        binding = bundle.binding
        if binding.building != self._building or binding.lock != self._lock:
            raise WrongLock(
                f"the template is sealed for lock {binding.lock} in {binding.building}, "
                f"not for this lock ({self._lock} in {self._building})"
            )
        self._guard.check(binding.template_id, binding.epoch)
        try:
            template = open_envelope(
                bundle.sealed,
                self._sealing_key,
                info=binding.info(),
                max_plaintext=MAX_TEMPLATE_BYTES,
                sender=station.sealing_key,
            )
        except EnvelopeRefused:
            raise SealedTemplateRefused(
                f"template {binding.template_id.hex()} does not open with this lock's key from "
                f"station {station.name}: it was sealed for another lock or changed"
            ) from None
        self._guard.accept(binding.template_id, binding.epoch)
        return OpenedTemplate(binding, station.name, template)
