"""Simulated fingers: the same person always presents the same template.

The enrolling station's reader and the lock's sensor both call :func:`finger_template`, so a
person enrolled at the station is matched at the door and anyone else is not. A real reader
produces a template from a scan; here it is derived from the person's name and finger.
"""

import hashlib
from typing import Final

TEMPLATE_BYTES: Final = 256
_TAG: Final = b"buildinghub-sim-finger-v1"


def finger_template(person: str, finger: str = "right index") -> bytes:
    """The template a reader captures from this person's finger (deterministic)."""
    seed = hashlib.sha256(_TAG + b"\x00" + person.encode() + b"\x00" + finger.encode()).digest()
    return hashlib.shake_256(seed).digest(TEMPLATE_BYTES)
