"""CBOR: RFC 8949's own examples against the encoder every signed format uses and against our
strict decoder (vectors/rfc8949_appendix_a.json, from Appendix A).

Every grant, record, reading and receipt is encoded with cbor2's canonical mode and read back
with buildinghub.credentials.strict_cbor; COSE heads on the hot path are written by hand
(credentials/cose.py). Each must agree with the RFC's bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cbor2
import pytest

from buildinghub.credentials.cose import _bstr_head, _head_length
from buildinghub.credentials.errors import MalformedGrant
from buildinghub.credentials.strict_cbor import loads_one

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "rfc8949_appendix_a.json").read_text()
)
# The examples JSON cannot hold: byte strings and a map with integer keys.
NOT_JSON = {"h''": b"", "h'01020304'": b"\x01\x02\x03\x04", "{1: 2, 3: 4}": {1: 2, 3: 4}}
EXAMPLES = [
    pytest.param(
        bytes.fromhex(example["hex"]),
        example["value"] if "value" in example else NOT_JSON[example["diagnostic"]],
        id=example["diagnostic"],
    )
    for example in VECTORS["examples"]
]


def test_the_vectors_are_all_here() -> None:
    assert (len(VECTORS["examples"]), len(VECTORS["indefinite"])) == (37, 5)


@pytest.mark.parametrize(("encoded", "value"), EXAMPLES)
def test_our_encoding_is_the_rfcs(encoded: bytes, value: object) -> None:
    assert cbor2.dumps(value, canonical=True) == encoded


@pytest.mark.parametrize(("encoded", "value"), EXAMPLES)
def test_our_strict_decoder_reads_the_rfcs_examples(encoded: bytes, value: object) -> None:
    assert loads_one(encoded, "an RFC 8949 example") == value


@pytest.mark.parametrize(
    "encoded",
    [bytes.fromhex(example["hex"]) for example in VECTORS["indefinite"]],
    ids=[example["diagnostic"] for example in VECTORS["indefinite"]],
)
def test_our_strict_decoder_refuses_indefinite_lengths(encoded: bytes) -> None:
    with pytest.raises(MalformedGrant, match="not CBOR in the form grants use"):
        loads_one(encoded, "an RFC 8949 example")


@pytest.mark.parametrize(
    ("encoded", "value"),
    [param for param in EXAMPLES if isinstance(param.values[1], bytes)],
)
def test_the_hand_written_cose_heads_are_the_rfcs(encoded: bytes, value: bytes) -> None:
    head = _bstr_head(len(value))

    assert head + value == encoded
    assert _head_length(len(value)) == len(head)
