"""Why a consent, a sealed template, a media bundle or an erase was refused.

Every error has a stable snake_case `reason` (as credential errors do) that a lock reports and
Home Assistant translates; messages never carry template bytes or keys.
"""

from buildinghub.credentials.errors import CredentialError


class BiometricRefused(CredentialError):
    """A biometric operation was refused."""

    reason = "biometric_refused"


class NoConsent(BiometricRefused):
    """No recorded consent names this template, purpose and lock."""

    reason = "no_consent"


class ConsentWithdrawn(BiometricRefused):
    """The consent that named this template was withdrawn."""

    reason = "consent_withdrawn"


class UnknownStation(BiometricRefused):
    """The bundle was made by an enrolling station the lock does not know."""

    reason = "unknown_station"


class WrongLock(BiometricRefused):
    """The bundle or command is for another lock (or building)."""

    reason = "wrong_lock"


class TemplateReplayed(BiometricRefused):
    """This template id and epoch were already imported."""

    reason = "replayed_template"


class StaleEpoch(BiometricRefused):
    """A newer epoch of this template id was already imported."""

    reason = "stale_epoch"


class SealedTemplateRefused(BiometricRefused):
    """The sealed template does not open for this lock from this station."""

    reason = "unsealable_template"


class RadioForbidden(BiometricRefused):
    """The site allows biometrics only on removable media."""

    reason = "radio_forbidden"


class MediaRefused(BiometricRefused):
    """The removable medium holds nothing importable for this lock, or something malformed."""

    reason = "media_refused"


class EraseRefused(BiometricRefused):
    """An erase command or confirmation does not verify."""

    reason = "erase_refused"


class StaleAuthorisation(BiometricRefused):
    """A station authorisation older than the one the lock holds for that station."""

    reason = "stale_authorisation"


class TemplateNotYours(BiometricRefused):
    """The template id is bound to another tenant's key, or to another lock (SPEC S1)."""

    reason = "template_not_yours"


class TooManyTemplates(BiometricRefused):
    """The tenant already has as many templates (or a template as many consents or sealed
    copies) as one party may keep."""

    reason = "too_many_templates"
