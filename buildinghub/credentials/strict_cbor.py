"""Decoding untrusted CBOR strictly: one item and nothing after it, definite lengths, unique
map keys, shallow nesting, no semantic tags."""

import io

import cbor2

from .errors import MalformedGrant

# Grants nest three deep at most: claims -> cnf -> COSE_Key.
_MAX_DEPTH = 3

# Tags cbor2 would turn into Python objects (dates, decimals, regexes, MIME messages, ...).
# None belongs in a grant, and building them from untrusted bytes is work we refuse to do.
# Tags outside this list decode to cbor2.CBORTag, which the type checks refuse.
_SEMANTIC_TAGS = (0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261,
                  1004, 43000, 55799)  # fmt: skip


def _refuse_tag(value: object, immutable: bool) -> object:
    raise ValueError("semantic tags are not used in grants")


_REFUSE_SEMANTIC_TAGS = dict.fromkeys(_SEMANTIC_TAGS, _refuse_tag)


def loads_first(data: bytes, what: str) -> object:
    """Decode the first CBOR item in data strictly; bytes after it are NOT checked."""
    try:
        item: object = cbor2.loads(
            data,
            semantic_decoders=_REFUSE_SEMANTIC_TAGS,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            max_depth=_MAX_DEPTH,
        )
    except cbor2.CBORError as err:
        raise MalformedGrant(f"{what} is not CBOR in the form grants use ({err})") from None
    return item


def loads_one(data: bytes, what: str, *, max_depth: int = _MAX_DEPTH) -> object:
    """Decode exactly one CBOR item from data; raise MalformedGrant naming `what` otherwise.

    max_depth is the deepest nesting accepted: a grant's three unless the caller's format
    needs more (a COSE_Sign with its array of signatures needs four).
    """
    stream = io.BytesIO(data)
    try:
        item: object = cbor2.CBORDecoder(
            stream,
            semantic_decoders=_REFUSE_SEMANTIC_TAGS,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            max_depth=max_depth,
        ).decode()
    except cbor2.CBORError as err:
        raise MalformedGrant(f"{what} is not CBOR in the form grants use ({err})") from None
    end = stream.tell()
    if end != len(data):
        raise MalformedGrant(
            f"{what} has {len(data) - end} bytes after its end: the data was corrupted "
            f"or two messages were joined"
        )
    return item
