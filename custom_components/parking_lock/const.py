"""Constants of the Parking Lock integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "parking_lock"

PURGE_INTERVAL: Final = timedelta(minutes=5)

ATTR_LINKS: Final = "links"
ATTR_USER_ID: Final = "user_id"
ATTR_GRANT_ID: Final = "grant_id"
ATTR_RECIPIENT: Final = "recipient_user_id"
ATTR_MODE: Final = "mode"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_MAX_USES: Final = "max_uses"
ATTR_MAY_SHARE: Final = "may_share"
ATTR_ACTION: Final = "action"
ATTR_CONFIRMATION: Final = "confirmation"

# For administrators only (buildinghub_ha.admin_notices): step-up codes, manager notices.
EVENT_STEP_UP_CODE: Final = "parking_lock_step_up_code"
EVENT_MANAGER_NOTICE: Final = "parking_lock_manager_notice"

EVENT_UNLOCKED: Final = "unlocked"
EVENT_LOCKED: Final = "locked"
EVENT_REFUSED: Final = "refused"

# Manager actions that need a step-up confirmation (SPEC P7).
ACTION_FREEZE: Final = "freeze"
ACTION_UNFREEZE: Final = "unfreeze"
ACTION_REMOVE: Final = "remove"
ACTION_ADD: Final = "add"
MANAGER_ACTIONS: Final = (ACTION_ADD, ACTION_FREEZE, ACTION_UNFREEZE, ACTION_REMOVE)
ATTR_APPOINTMENT: Final = "appointment"
