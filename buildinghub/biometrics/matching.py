"""Anti-sublet at the lock (SPEC R14): only the enrolled tenant's own finger opens the door.

The sensor matches a finger against the templates the lock holds (see lock_templates); this
decides what that match means for the grant being used. The grant names its holder (subject);
a finger that matches no template, or a template that belongs to someone else or was enrolled
for another lock, is refused with a reason the lock reports to the hub (an access event).
"""

from dataclasses import dataclass
from enum import StrEnum

from buildinghub.credentials.grant import Grant

from .sealing import TemplateBinding


class FingerRefusal(StrEnum):
    """Why a presented finger did not open the door."""

    NO_MATCH = "no_match"
    NOT_ENROLLED_TENANT = "not_enrolled_tenant"
    WRONG_LOCK = "wrong_lock"


@dataclass(frozen=True, slots=True)
class FingerDecision:
    """Whether the finger opens the door under this grant, and why not."""

    admitted: bool
    refusal: FingerRefusal | None
    template_id: bytes | None
    tenant: str | None


def admit_finger(grant: Grant, matched: TemplateBinding | None) -> FingerDecision:
    """Admit only a finger whose template is the grant holder's, enrolled for the grant's lock.

    grant is already verified (signature, window, audience); matched is the binding of the
    template the sensor matched, or None when no template matched.
    """
    if matched is None:
        return FingerDecision(False, FingerRefusal.NO_MATCH, None, None)
    if matched.lock != grant.audience:
        return FingerDecision(False, FingerRefusal.WRONG_LOCK, matched.template_id, matched.tenant)
    if matched.tenant != grant.subject:
        return FingerDecision(
            False, FingerRefusal.NOT_ENROLLED_TENANT, matched.template_id, matched.tenant
        )
    return FingerDecision(True, None, matched.template_id, matched.tenant)
