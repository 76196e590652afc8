"""The site's fingerprint policy in Rental Lock's options: radio allowed, and a media path."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import probatio
from homeassistant.helpers.selector import BooleanSelector, TextSelector

from .const import CONF_BIOMETRICS_OVER_RADIO, CONF_MEDIA_PATH
from .ledger import LedgerOptionError


def biometrics_options_schema(current: dict[str, Any]) -> dict[probatio.Optional, Any]:
    """The two options, defaulting to radio allowed and no media path."""
    return {
        probatio.Optional(
            CONF_BIOMETRICS_OVER_RADIO, default=current.get(CONF_BIOMETRICS_OVER_RADIO, True)
        ): BooleanSelector(),
        probatio.Optional(
            CONF_MEDIA_PATH, default=current.get(CONF_MEDIA_PATH, "")
        ): TextSelector(),
    }


def check_biometrics_options(options: dict[str, Any]) -> None:
    """A media-only site needs an absolute media path; any path given must be absolute."""
    path = str(options.get(CONF_MEDIA_PATH) or "").strip()
    radio = bool(options.get(CONF_BIOMETRICS_OVER_RADIO, True))
    if (not radio and not path) or (path and not PurePath(path).is_absolute()):
        raise LedgerOptionError(CONF_MEDIA_PATH, "an absolute media path is required")
