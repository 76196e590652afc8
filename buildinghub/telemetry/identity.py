"""A meter's identity as it states it over the radio: id, dwelling, quantity, reading key.

The hub reads it once and registers the key with the cloud (trust on first use by
the enrolled hub; the installer's records are the check). ``CBOR [version, meter_id,
dwelling, quantity, public_key]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cbor2

from buildinghub.credentials import PublicKey
from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.strict_cbor import loads_one

from .errors import MalformedMessage
from .reading import MAX_ID_LENGTH, Quantity

VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """Who a meter is and which key signs its readings."""

    meter_id: str
    dwelling: str
    quantity: Quantity
    public_key: PublicKey

    def encode(self) -> bytes:
        """The bytes the meter serves."""
        return cbor2.dumps(
            [VERSION, self.meter_id, self.dwelling, int(self.quantity), self.public_key.to_bytes()]
        )


def decode_identity(data: bytes) -> MeterIdentity:
    """Parse an identity strictly."""
    try:
        fields = loads_one(data, "the meter identity")
        if not (isinstance(fields, list) and len(fields) == 5 and fields[0] == VERSION):
            raise MalformedMessage(f"a meter identity is a 5-item array of version {VERSION}")
        _, meter_id, dwelling, quantity, key = fields
        if not all(
            isinstance(text, str) and 0 < len(text.encode()) <= MAX_ID_LENGTH
            for text in (meter_id, dwelling)
        ):
            raise MalformedMessage("a meter identity names a meter and a dwelling")
        if not isinstance(key, bytes):
            raise MalformedMessage("a meter identity's key is a byte string")
        return MeterIdentity(meter_id, dwelling, Quantity(quantity), PublicKey.from_bytes(key))
    except (CredentialError, ValueError) as err:
        raise MalformedMessage(f"unreadable meter identity: {err}") from None
