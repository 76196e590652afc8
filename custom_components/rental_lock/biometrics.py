"""The hub as the building's enrolling station: consents, sealed templates, erasure.

The decisions live in buildinghub.biometrics (consent book, sealing, delivery, erase); this
module keeps the station's keys, the consents and what the hub holds in Home Assistant storage,
talks to the locks, and fires an event when a lock confirms an erase. The raw template is used
only to seal it and never stored: the hub keeps the sealed bundle, which only the lock opens.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from buildinghub.biometrics.consent import Consent, ConsentBook, Purpose, read_withdrawal
from buildinghub.biometrics.delivery import (
    Channel,
    DeliveryReceipt,
    SitePolicy,
    deliver_with_consent,
    delivery_for,
)
from buildinghub.biometrics.erase import (
    COMMAND_ID_LENGTH,
    EraseConfirmation,
    EraseTemplate,
    sign_erase,
)
from buildinghub.biometrics.errors import NoConsent, TemplateNotYours, UnknownStation, WrongLock
from buildinghub.biometrics.sealing import EnrollingStation, TemplateBinding, seal_template
from buildinghub.biometrics.station import (
    StationAuthorisation,
    read_authorisation,
    verify_authorisation,
)
from buildinghub.credentials import CredentialError, PublicKey, SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.devices.door_lock import DoorLockClient, LockRefused
from buildinghub.devices.door_lock_templates import LockTemplateLink
from buildinghub.devices.tenant_keys import TenantKeyring
from buildinghub.radio.errors import DeviceUnreachable

from .const import CONF_BIOMETRICS_OVER_RADIO, CONF_MEDIA_PATH, DOMAIN, EVENT_TEMPLATE_ERASED

if TYPE_CHECKING:
    from buildinghub.devices.grant_book import HeldGrant

    from .hub import LockContext, RentalHub

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1
# A lock's answer to a bundle it already opened (or a newer epoch of it).
_ALREADY_HELD = frozenset({"replayed_template", "stale_epoch"})


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityCheck:
    """Who checked the tenant's identity at enrolment, and against which kind of document."""

    verified_by: str
    document: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldTemplate:
    """A template the hub enrolled: the sealed bundle (never the template) and its facts."""

    template_id: str
    lock: str
    tenant: str
    user: str | None
    epoch: int
    consent: str
    verified_by: str
    document: str
    enrolled_at: int
    channel: str
    bundle: str
    # The key that consented: the template is bound to it and to the lock (SPEC S1).
    tenant_kid: str = ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class HubBiometrics:
    """The enrolling station of one Rental Lock entry."""

    def __init__(self, hass: HomeAssistant, hub: RentalHub) -> None:
        """Keep the station and its records for hub's entry."""
        self.hass = hass
        self.hub = hub
        entry = hub.entry
        self.policy = SitePolicy(bool(entry.options.get(CONF_BIOMETRICS_OVER_RADIO, True)))
        media = str(entry.options.get(CONF_MEDIA_PATH) or "").strip()
        self.media_path = Path(media) if media else None
        self.station = EnrollingStation(
            f"hub-{entry.entry_id[:12]}", SigningKey.generate(), SealingKey.generate()
        )
        self.tenant_keys = TenantKeyring(
            hub.book,
            lambda: hub.hub_key.public_key,
            lambda: None if hub.ledger is None else hub.ledger.mirror,
        )
        self.consents = ConsentBook.by_key(self.tenant_keys)
        self.templates: dict[str, HeldTemplate] = {}
        self.authorisations: dict[str, bytes] = {}
        self._records: list[str] = []
        self._withdrawals: list[str] = []
        self._consent_users: dict[str, str] = {}
        self._epochs: dict[str, int] = {}
        self._pending_erasures: dict[str, str] = {}
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.biometrics", private=True
        )

    # -- storage ---------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Load the station keys and records, or make the station's keys on first start."""
        stored = await self._store.async_load()
        if stored is None:
            await self.async_save()
            return
        self.station = EnrollingStation(
            stored["station"],
            SigningKey.from_pem(stored["signing_key"].encode()),
            SealingKey.from_pem(stored["sealing_key"].encode()),
        )
        self.authorisations = {k: base64.b64decode(v) for k, v in stored["authorisations"].items()}
        self._records = list(stored["consents"])
        self._withdrawals = list(stored["withdrawals"])
        self._consent_users = dict(stored["consent_users"])
        self._epochs = dict(stored["epochs"])
        self._pending_erasures = dict(stored.get("pending_erasures", {}))
        self.templates = {k: HeldTemplate(**v) for k, v in stored["templates"].items()}
        # Keys that consented, by key id (stores before S3 kept them under tenants' names).
        keys = [*stored.get("signer_keys", ()), *stored.get("tenant_keys", {}).values()]
        for text in keys:
            key = PublicKey.from_bytes(base64.b64decode(text))
            self.tenant_keys.pinned[key.kid] = key

    def replay_records(self) -> None:
        """Verify the stored consents and withdrawals again, with the pinned tenant keys."""
        for record in self._records:
            self.consents.record(base64.b64decode(record))
        for withdrawal in self._withdrawals:
            self.consents.withdraw(base64.b64decode(withdrawal))

    async def async_save(self) -> None:
        """Write everything the station holds (its private keys included, private storage)."""
        await self._store.async_save(
            {
                "station": self.station.name,
                "signing_key": self.station.signing_key.to_pem().decode(),
                "sealing_key": self.station.sealing_key.to_pem().decode(),
                "authorisations": {k: _b64(v) for k, v in self.authorisations.items()},
                "consents": self._records,
                "withdrawals": self._withdrawals,
                "consent_users": self._consent_users,
                "epochs": self._epochs,
                "pending_erasures": self._pending_erasures,
                "signer_keys": [_b64(k.to_bytes()) for k in self.tenant_keys.pinned.values()],
                "templates": {k: asdict(v) for k, v in self.templates.items()},
            }
        )

    # -- station ---------------------------------------------------------------------------

    async def async_authorise(self, context: LockContext, record: bytes) -> StationAuthorisation:
        """Check a landlord's authorisation of this station for a lock, deliver it, keep it."""
        installation = context.installation
        authorisation = verify_authorisation(
            record,
            building=_building_of(record),
            lock=installation.lock_id,
            landlord_key=installation.landlord_key,
        )
        if authorisation.station != self.station.known_as():
            raise UnknownStation(
                f"the authorisation names station {authorisation.station.name!r} with other "
                f"keys than this hub's ({self.station.name})"
            )
        await self._link(context).authorise_station(record)
        self.authorisations[context.address] = record
        await self.async_save()
        return authorisation

    async def async_sync_lock(self, context: LockContext) -> None:
        """Bring a lock that lost its memory back in step: the station's authorisation, then
        the sealed bundles sent to it by radio (a lock that still holds one refuses it as a
        replay, which is what in step means; bundles on media are carried again by hand)."""
        record = self.authorisations.get(context.address)
        if record is None:
            return
        link = self._link(context)
        bundles = [
            held
            for held in self.templates.values()
            if held.lock == context.address and held.channel == Channel.RADIO
        ]
        try:
            await link.authorise_station(record)
            for held in bundles:
                await self._async_resend(link, held)
        except (LockRefused, DeviceUnreachable, CredentialError) as err:
            _LOGGER.warning(
                "Could not bring fingerprints to %s: %s", context.installation.flat, err
            )

    async def _async_resend(self, link: LockTemplateLink, held: HeldTemplate) -> None:
        lock = self.hub.locks[held.lock].installation.lock_id
        try:
            await link.send_template(lock, base64.b64decode(held.bundle))
        except LockRefused as err:
            if err.reason not in _ALREADY_HELD:
                raise

    # -- consent ---------------------------------------------------------------------------

    async def async_record_consent(self, data: bytes, user: str | None) -> Consent:
        """Verify and keep a tenant's signed consent."""
        consent = self.consents.record(data)
        self.tenant_keys.pin(self._owner_kid(consent.record.template_id))
        if _b64(data) not in self._records:
            self._records.append(_b64(data))
        if user is not None:
            self._consent_users.setdefault(consent.digest.hex(), user)
        await self.async_save()
        return consent

    def consent_user(self, consent: Consent) -> str | None:
        """The Home Assistant user who recorded this consent, if any."""
        return self._consent_users.get(consent.digest.hex())

    # -- enrolment -------------------------------------------------------------------------

    async def async_enrol(
        self,
        context: LockContext,
        *,
        template_id: bytes,
        template: bytes,
        user: str | None,
        identity: IdentityCheck,
    ) -> tuple[HeldTemplate, DeliveryReceipt]:
        """Seal a captured template to the lock and deliver it, only under a standing consent.

        Nothing is kept unless the delivery succeeded; the raw template is not kept at all.
        """
        lock = context.installation.lock_id
        now = self.hub.clock.now()
        self._refuse_other_lock(template_id, lock)
        for purpose in (Purpose.CAPTURE, Purpose.STORE):
            self.consents.check(template_id, lock=lock, purpose=purpose, now=now)
        record = self.authorisations.get(context.address)
        if record is None:
            raise UnknownStation(
                f"lock {lock} has not been told by its landlord to trust this hub's station"
            )
        consent = self.consents.check(template_id, lock=lock, purpose=Purpose.SEND, now=now)
        owner = self._owner_kid(template_id)
        if user is not None and not self.tenant_keys.user_holds(user, owner):
            raise TemplateNotYours(
                f"template {template_id.hex()} is bound to key {owner.hex()}, and no grant of "
                f"the person being enrolled has that key: enrol the tenant who consented"
            )
        epoch = self._epochs.get(template_id.hex(), 0) + 1
        binding = TemplateBinding(
            building=_building_of(record),
            lock=lock,
            tenant=consent.record.tenant,
            template_id=template_id,
            epoch=epoch,
        )
        bundle = seal_template(
            template,
            binding,
            lock_sealing_key=context.installation.lock_sealing_key,
            station=self.station,
        )
        delivery = delivery_for(
            self.policy,
            radio=self._link(context) if self.policy.biometrics_over_radio else None,
            medium=self.media_path,
        )
        receipt = await deliver_with_consent(delivery, bundle, consents=self.consents, now=now)
        held = HeldTemplate(
            template_id=template_id.hex(),
            lock=context.address,
            tenant=binding.tenant,
            user=user or self.consent_user(consent),
            epoch=epoch,
            consent=consent.digest.hex(),
            verified_by=identity.verified_by,
            document=identity.document,
            enrolled_at=now,
            channel=receipt.channel.value,
            bundle=_b64(bundle),
            tenant_kid=owner.hex(),
        )
        self.templates[held.template_id] = held
        self._epochs[held.template_id] = epoch
        await self.async_save()
        return held, receipt

    def _owner_kid(self, template_id: bytes) -> bytes:
        owner = self.consents.owner(template_id)
        if owner is None:
            raise NoConsent(f"no consent names template {template_id.hex()}")
        return owner.tenant

    def _refuse_other_lock(self, template_id: bytes, lock: str) -> None:
        """A consent given for another lock does not let this one be enrolled: say so."""
        locks = {c.record.lock for c in self.consents if c.record.template_id == template_id}
        if locks and lock not in locks:
            raise WrongLock(
                f"the consent for template {template_id.hex()} names lock "
                f"{', '.join(sorted(locks))}, not {lock}"
            )

    # -- withdrawal ------------------------------------------------------------------------

    def named_consent(self, data: bytes) -> Consent:
        """The consent a signed withdrawal names (the withdrawal is parsed, not yet applied)."""
        consent = self.consents.get(read_withdrawal(data).consent)
        if consent is None:
            raise NoConsent("the withdrawal names a consent this hub does not hold")
        return consent

    async def async_withdraw(self, data: bytes) -> tuple[Consent, EraseConfirmation | None]:
        """Apply a signed withdrawal: erase the hub's copy, have the lock erase and confirm.

        The withdrawal and the hub's erasure are kept even when the lock cannot be reached:
        the lock's erasure stays pending and is retried with every purge (and whenever the
        same withdrawal is handed in again). No confirmation (None) when the lock is not one
        this hub's station was authorised for: it never got a template from this hub.
        """
        consent = self.consents.withdraw(data)
        if _b64(data) not in self._withdrawals:
            self._withdrawals.append(_b64(data))
        self.templates.pop(consent.record.template_id.hex(), None)
        context = self.hub.context_for_lock_id(consent.record.lock)
        if context is None or context.address not in self.authorisations:
            await self.async_save()
            return consent, None
        self._pending_erasures[consent.digest.hex()] = consent.record.lock
        await self.async_save()
        return consent, await self._async_erase_at_lock(context, consent)

    async def async_retry_erasures(self) -> int:
        """Erase at the locks what withdrawals left pending; returns how many are still pending."""
        for digest, lock in list(self._pending_erasures.items()):
            consent = self.consents.get(bytes.fromhex(digest))
            context = self.hub.context_for_lock_id(lock)
            if consent is None or context is None:
                continue
            try:
                await self._async_erase_at_lock(context, consent)
            except (LockRefused, DeviceUnreachable, CredentialError) as err:
                _LOGGER.info("Erasure at %s still pending: %s", context.installation.flat, err)
        return len(self._pending_erasures)

    async def _async_erase_at_lock(
        self, context: LockContext, consent: Consent
    ) -> EraseConfirmation:
        confirmation = await self._link(context).erase_template(
            self._erase_command(context, consent)
        )
        self._pending_erasures.pop(consent.digest.hex(), None)
        await self.async_save()
        self.hass.bus.async_fire(
            EVENT_TEMPLATE_ERASED,
            {
                "flat": context.installation.flat,
                "lock": confirmation.lock,
                "template_id": confirmation.template_id.hex(),
                "held": confirmation.held,
                "erased_at": confirmation.erased_at,
            },
        )
        return confirmation

    def _erase_command(self, context: LockContext, consent: Consent) -> bytes:
        record = self.authorisations.get(context.address)
        if record is None:
            raise UnknownStation(
                f"lock {context.installation.lock_id} does not trust this hub's station, so it "
                f"holds no template from it and takes no erase command from it"
            )
        command = EraseTemplate(
            building=_building_of(record),
            lock=context.installation.lock_id,
            template_id=consent.record.template_id,
            consent=consent.digest,
            command_id=secrets.token_bytes(COMMAND_ID_LENGTH),
            issued_at=self.hub.clock.now(),
        )
        return sign_erase(command, self.station.signing_key)

    # -- expiry ----------------------------------------------------------------------------

    async def async_purge(self, expired: list[HeldGrant]) -> list[str]:
        """Drop the bundles of tenants whose every grant on that lock has now expired (R6),
        and retry the erasures withdrawals left pending at unreachable locks."""
        await self.async_retry_erasures()
        remaining = {(held.lock, held.signed.grant.subject) for held in self.hub.book}
        ended = {(held.lock, held.signed.grant.subject) for held in expired} - remaining
        dropped = [
            template_id
            for template_id, held in self.templates.items()
            if (held.lock, held.tenant) in ended
        ]
        for template_id in dropped:
            del self.templates[template_id]
        if dropped:
            await self.async_save()
        return dropped

    def diagnostics(self) -> dict[str, Any]:
        """Public facts only: station key id, policy, consents and templates (no key, no bundle);
        the caller redacts tenants and who checked their identity."""
        return {
            "station": self.station.name,
            "station_key_id": self.station.signing_key.public_key.kid.hex(),
            "biometrics_over_radio": self.policy.biometrics_over_radio,
            "media_path_set": self.media_path is not None,
            "authorised_locks": sorted(self.authorisations),
            "pending_erasures": len(self._pending_erasures),
            "consents": [
                {
                    "template_id": consent.record.template_id.hex(),
                    "lock": consent.record.lock,
                    "tenant": consent.record.tenant,
                    "purposes": sorted(purpose.value for purpose in consent.record.purposes),
                    "given_at": consent.record.given_at,
                    "withdrawn_at": consent.withdrawn_at,
                }
                for consent in self.consents
            ],
            "templates": [
                {k: v for k, v in asdict(held).items() if k not in ("bundle", "user")}
                for held in self.templates.values()
            ],
        }

    def _link(self, context: LockContext) -> LockTemplateLink:
        if not isinstance(context.client, DoorLockClient):
            raise LockRefused("fingerprint template", "standard_lock_has_no_fingerprint_reader")
        return LockTemplateLink(
            context.client,
            lock=context.installation.lock_id,
            lock_key=context.installation.lock_key,
        )


def _building_of(record: bytes) -> str:
    """The building a station authorisation names (its signature was checked on delivery)."""
    return read_authorisation(record).building
