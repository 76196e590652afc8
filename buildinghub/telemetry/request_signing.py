"""How a hub signs its HTTP requests to the cloud connector, and how the cloud checks them.

The hub signs ``tag || METHOD "\n" path "\n" time "\n" hex(SHA-256(body))`` (the tag
ends in a NUL byte; METHOD is upper case, time is decimal Unix seconds, the digest lower-case
hex, all UTF-8) with its registered ES256 key (raw r||s, 64 bytes, base64 in the header) and
sends the hub id (its key id), the time and the signature in headers. The cloud refuses an
unknown hub, a signature that does not verify, and a time more than :data:`MAX_SKEW_S` away
from its own clock (so a captured request cannot be replayed later; within the window a
replay is harmless, because ingest is idempotent).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from buildinghub.credentials import PublicKey, SigningKey
from buildinghub.credentials.errors import BadSignature as KeyBadSignature

from .errors import BadSignature, MalformedMessage

REQUEST_TAG: Final = b"buildinghub/hub-request/v1\x00"
HUB_HEADER: Final = "X-BuildingHub-Hub"
TIME_HEADER: Final = "X-BuildingHub-Time"
SIGNATURE_HEADER: Final = "X-BuildingHub-Signature"
MAX_SKEW_S: Final = 300


def hub_id(key: PublicKey) -> str:
    """The id a hub is known by: its key id in hex."""
    return key.kid.hex()


def _message(method: str, path: str, at: int, body: bytes, tag: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return tag + f"{method.upper()}\n{path}\n{at}\n{digest}".encode()


def sign_request(
    key: SigningKey, method: str, path: str, body: bytes, at: int, *, tag: bytes = REQUEST_TAG
) -> dict[str, str]:
    """The headers that authenticate one request (tag: whose requests, see keylog.key_request)."""
    signature = key.sign(_message(method, path, at, body, tag))
    return {
        HUB_HEADER: hub_id(key.public_key),
        TIME_HEADER: str(at),
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
    }


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The authentication headers of a request, parsed but not yet verified."""

    hub_id: str
    at: int
    signature: bytes


def read_headers(headers: Mapping[str, str]) -> SignedRequest:
    """Parse the authentication headers; raise MalformedMessage naming what is missing."""
    try:
        hub = headers[HUB_HEADER]
        at_text = headers[TIME_HEADER]
        signature_text = headers[SIGNATURE_HEADER]
    except KeyError as missing:
        raise MalformedMessage(f"the request has no {missing.args[0]} header") from None
    if not at_text.isdigit() or len(at_text) > 12:
        raise MalformedMessage(f"{TIME_HEADER} is unix seconds")
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except ValueError:  # binascii.Error, or text with characters beyond ASCII
        raise MalformedMessage(f"{SIGNATURE_HEADER} is not base64") from None
    return SignedRequest(hub, int(at_text), signature)


def verify_request(
    request: SignedRequest,
    key: PublicKey,
    *,
    method: str,
    path: str,
    body: bytes,
    now: int,
    tag: bytes = REQUEST_TAG,
) -> None:
    """Check the signature and the time of a request from the hub that owns ``key``."""
    if abs(now - request.at) > MAX_SKEW_S:
        raise BadSignature(
            f"the request was signed at {request.at}, {abs(now - request.at)} s from the "
            f"cloud's clock (at most {MAX_SKEW_S} s): check the hub's clock"
        )
    try:
        key.verify(request.signature, _message(method, path, request.at, body, tag))
    except KeyBadSignature:
        raise BadSignature("the request's signature does not verify with the hub's key") from None
