"""HTTP requests signed by a person's key in the ledger (a landlord's or a tenant's).

The same construction as a hub's signed request (telemetry.request_signing), under its own
domain tag, so a person's signature is never a hub's: ``tag || METHOD "\n" path "\n" time
"\n" hex(SHA-256(body))`` signed with the key, the key id (hex) in ``X-BuildingHub-Key``.
The cloud looks the key id up in the key ledger and refuses a key that is unknown, revoked or
of another role. Reads are bound to their path (which names what is read) and to a time
within MAX_SKEW_S.
"""

from collections.abc import Mapping
from typing import Final

from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.telemetry.errors import MalformedMessage
from buildinghub.telemetry.request_signing import (
    HUB_HEADER,
    SIGNATURE_HEADER,
    TIME_HEADER,
    SignedRequest,
    read_headers,
    sign_request,
    verify_request,
)

KEY_REQUEST_TAG: Final = b"buildinghub/key-request/v1\x00"
KEY_HEADER: Final = "X-BuildingHub-Key"


def sign_key_request(
    key: SigningKey, method: str, path: str, body: bytes, at: int
) -> dict[str, str]:
    """The headers that authenticate one request as the holder of key."""
    headers = sign_request(key, method, path, body, at, tag=KEY_REQUEST_TAG)
    headers[KEY_HEADER] = headers.pop(HUB_HEADER)
    return headers


def read_key_headers(headers: Mapping[str, str]) -> tuple[bytes, SignedRequest]:
    """The key id and the parsed (unverified) signature; MalformedMessage if missing."""
    kid_hex = headers.get(KEY_HEADER)
    if kid_hex is None:
        raise MalformedMessage(f"the request has no {KEY_HEADER} header: sign it with your key")
    try:
        kid = bytes.fromhex(kid_hex)
    except ValueError:
        raise MalformedMessage(f"{KEY_HEADER} is a key id in hex") from None
    signed = read_headers(
        {
            HUB_HEADER: kid_hex,
            TIME_HEADER: headers.get(TIME_HEADER, ""),
            SIGNATURE_HEADER: headers.get(SIGNATURE_HEADER, ""),
        }
    )
    return kid, signed


def verify_key_request(
    signed: SignedRequest, key: PublicKey, *, method: str, path: str, body: bytes, now: int
) -> None:
    """Check the signature and time of a request signed with key (telemetry BadSignature)."""
    verify_request(signed, key, method=method, path=path, body=body, now=now, tag=KEY_REQUEST_TAG)
