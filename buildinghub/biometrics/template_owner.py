"""Whose a fingerprint template is (SPEC S1): bound at its first consent to one tenant and one
lock, for good.

A template id names one capture of one tenant's finger for one lock. The first verified consent
that names it binds it to the tenant who signed it and the lock it names; from then on only that
tenant's consent records, changes or withdraws anything about it, and only for that lock. A
stranger who learns the id cannot erase the template or block it, and a tenant cannot move it to
another lock. Who "the tenant" is depends on where the record is kept: the identity the key
ledger bound the signing key to (so it survives a key rotation) in the cloud, the key itself
where no ledger is configured (ConsentBook).

The bounds a store applies per party are here too (SPEC S6).
"""

from dataclasses import dataclass
from typing import Final

from .errors import TemplateNotYours, TooManyTemplates

MAX_TEMPLATES_PER_TENANT: Final = 64
MAX_CONSENTS_PER_TEMPLATE: Final = 16
MAX_BUNDLES_PER_TEMPLATE: Final = 8


@dataclass(frozen=True, slots=True)
class TemplateOwner:
    """The tenant (identity hash or key id) and the lock a template id is bound to."""

    template_id: bytes
    tenant: bytes
    lock: str


def claim_template(owner: TemplateOwner | None, claim: TemplateOwner) -> TemplateOwner:
    """The template's owner once the verified consent behind ``claim`` is recorded.

    The first claim binds the template; a later one must come from the same tenant for the same
    lock, or TemplateNotYours is raised (and the caller records nothing).
    """
    if owner is None:
        return claim
    if claim.template_id != owner.template_id:
        raise ValueError("a claim is compared with the owner of the same template id")
    if claim.tenant != owner.tenant:
        raise TemplateNotYours(
            f"template {owner.template_id.hex()} belongs to another tenant: only the consent or "
            f"withdrawal of the tenant who first consented to it may record, change or erase it"
        )
    if claim.lock != owner.lock:
        raise TemplateNotYours(
            f"template {owner.template_id.hex()} is bound to lock {owner.lock}, not "
            f"{claim.lock}: capture a new template for another lock"
        )
    return owner


def check_room(held: int, limit: int, what: str) -> None:
    """Refuse one more of what when a party already holds limit of them."""
    if held >= limit:
        raise TooManyTemplates(f"at most {limit} {what}; {held} are held")
