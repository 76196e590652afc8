"""Verifying our COSE messages with pycose, a COSE implementation we did not write.

pycose 1.1 predates cbor2 6, which decodes the arrays and maps inside a tag as tuples and
frozendicts; pycose wants lists and dicts, so the message is decoded here and thawed before
pycose reads it. Nothing of buildinghub is used to read or verify.
"""

from __future__ import annotations

from typing import Any

import cbor2
from pycose.algorithms import Es256
from pycose.headers import KID, Algorithm
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import CoseMessage, Sign1Message, SignMessage

COSE_SIGN1_TAG = 18
COSE_SIGN_TAG = 98


def _thaw(item: Any) -> Any:
    if isinstance(item, list | tuple):
        return [_thaw(value) for value in item]
    if hasattr(item, "items"):
        return {key: _thaw(value) for key, value in item.items()}
    return item


def cose_key(point: bytes) -> EC2Key:
    """A P-256 public key as pycose holds it, from its 65-byte SEC1 point."""
    assert len(point) == 65
    assert point[0] == 4
    return EC2Key(crv=P256, x=point[1:33], y=point[33:])


def decode(data: bytes, tag: int) -> Any:
    """The COSE message in data, which must carry ``tag``, as pycose reads it."""
    item = cbor2.loads(data)
    assert isinstance(item, cbor2.CBORTag)
    assert item.tag == tag
    return CoseMessage._COSE_MSG_ID[tag].from_cose_obj(_thaw(item.value), True)


def verified_sign1(data: bytes, signer_point: bytes) -> tuple[bytes, Any]:
    """Check a COSE_Sign1 is ES256 by the key at signer_point; return its kid and payload."""
    message = decode(data, COSE_SIGN1_TAG)
    assert isinstance(message, Sign1Message)
    assert message.phdr[Algorithm] is Es256
    message.key = cose_key(signer_point)
    assert message.verify_signature(), "pycose does not verify the signature"
    return message.phdr[KID], cbor2.loads(message.payload)


def verified_sign(data: bytes, signer_points: list[bytes]) -> Any:
    """Check a COSE_Sign carries one ES256 signature per key, in order; return its payload."""
    message = decode(data, COSE_SIGN_TAG)
    assert isinstance(message, SignMessage)
    assert len(message.signers) == len(signer_points)
    for signer, point in zip(message.signers, signer_points, strict=True):
        assert signer.phdr[Algorithm] is Es256
        signer.key = cose_key(point)
        assert signer.verify_signature(), "pycose does not verify a signer"
    return message.payload


def refused_by_another_key(data: bytes, tag: int, other_point: bytes) -> bool:
    """Whether pycose refuses the (first) signature under a key that did not make it."""
    message = decode(data, tag)
    signer = message if tag == COSE_SIGN1_TAG else message.signers[0]
    signer.key = cose_key(other_point)
    return not signer.verify_signature()
