"""Reading a request's JSON, bounded (SPEC S6): size, depth, number of items, integer size.

Python's json module recurses once per nesting level and turns any run of digits into an int:
a body of a hundred thousand "[" or a 5,000-digit integer would end in RecursionError or
ValueError, which is a 500. Here the body's shape is measured first, in one linear pass over its
brackets and commas (strings skipped), and the parser takes integers of at most
MAX_INTEGER_DIGITS digits and no NaN or Infinity. Every refusal is a specific 4xx and comes
before anything is written. The witness reads its bodies the same way.

Field readers: ``text`` and ``path_text`` (printable text of bounded length: no control
characters, which PostgreSQL cannot store and no name needs), ``b64`` (standard base64),
``query_int``.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Final

from aiohttp import web

from .errors import Malformed, RequestRefused

MAX_BODY: Final = 1 << 20
MAX_DEPTH: Final = 8
MAX_ITEMS: Final = 10_000
MAX_INTEGER_DIGITS: Final = 19  # up to 2**63 - 1; every integer the API takes fits
_MAX_FLOAT_CHARACTERS: Final = 32
# A JSON string (its closing quote optional, so an unterminated one is consumed once, not
# rescanned from every quote), or one structural character.
_TOKENS: Final = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{},]')


class TooDeep(Malformed):
    """The JSON nests deeper than the API ever does."""

    reason = "too_deep"


class TooManyItems(Malformed):
    """The JSON holds more values than any request of the API."""

    reason = "too_many_items"


class NumberTooLarge(Malformed):
    """An integer (or a number) longer than any the API takes."""

    reason = "number_too_large"


class TooLarge(RequestRefused):
    """The body is larger than MAX_BODY."""

    status = 413
    reason = "too_large"


def json_value(body: bytes, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> Any:
    """The JSON value of body, within the bounds; a specific Malformed (or TooLarge) if not."""
    if len(body) > MAX_BODY:
        raise TooLarge(f"a request body is at most {MAX_BODY} bytes")
    try:
        text = body.decode()
    except UnicodeDecodeError as err:
        raise Malformed(f"the body is not JSON: not UTF-8 ({err.reason})") from None
    _check_shape(text, max_depth, max_items)
    try:
        return json.loads(
            text,
            parse_int=_integer,
            parse_float=_number,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as err:
        raise Malformed(f"the body is not JSON: {err}") from None


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a bounded JSON object."""
    data = json_value(body)
    if not isinstance(data, dict):
        raise Malformed("the body is a JSON object")
    return data


def _check_shape(text: str, max_depth: int, max_items: int) -> None:
    depth = items = 0
    for token in _TOKENS.finditer(text):
        match token.group()[0]:
            case "[" | "{":
                depth += 1
                items += 1
                if depth > max_depth:
                    raise TooDeep(f"the body nests deeper than {max_depth} levels")
            case "]" | "}":
                depth -= 1
            case ",":
                items += 1
            case _:
                continue
        if items > max_items:
            raise TooManyItems(f"the body holds more than {max_items} items")


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise NumberTooLarge(f"integers here have at most {MAX_INTEGER_DIGITS} digits")
    return int(digits)


def _number(digits: str) -> float:
    if len(digits) > _MAX_FLOAT_CHARACTERS:
        raise NumberTooLarge(f"numbers here have at most {_MAX_FLOAT_CHARACTERS} characters")
    return float(digits)


def _constant(name: str) -> float:
    raise Malformed(f"{name} is not a JSON number")


def text(data: dict[str, Any], name: str, max_length: int = 64) -> str:
    """A printable string field of 1 to max_length characters."""
    value = data.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        raise Malformed(f"{name} is a string of 1 to {max_length} characters")
    if not value.isprintable():
        raise Malformed(f"{name} is printable text: no control characters")
    return value


def path_text(request: web.Request, name: str, max_length: int = 64) -> str:
    """A printable path parameter of 1 to max_length characters (a name: lock, dwelling)."""
    value = request.match_info[name]
    if not 0 < len(value) <= max_length or not value.isprintable():
        raise Malformed(f"{name} is printable text of 1 to {max_length} characters")
    return value


def b64(value: object, what: str) -> bytes:
    """A standard base64 field, decoded."""
    if not isinstance(value, str):
        raise Malformed(f"{what} is a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or text with characters beyond ASCII
        raise Malformed(f"{what} is not valid base64") from None


def query_int(request: web.Request, name: str) -> int:
    """A non-negative integer query parameter of at most MAX_INTEGER_DIGITS digits."""
    value = request.query.get(name, "")
    if not value.isascii() or not value.isdigit() or len(value) > MAX_INTEGER_DIGITS:
        raise Malformed(f"{name} is a non-negative integer of at most {MAX_INTEGER_DIGITS} digits")
    return int(value)
