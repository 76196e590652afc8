"""A coverage-guided mutation fuzzer for the library's parsers, in pure Python.

atheris has no build for Python 3.14, so this is the loop it would run, in miniature. Each
input is a seed (a valid message) changed by one to four random mutations, or a corpus
entry that reached new code, or (rarely) random bytes. Coverage is sys.monitoring's branch
events (PEP 669) in our own packages: each branch reports once and is then switched off, so
a run costs nothing for branches already seen. An input that takes a new branch joins the
corpus (bounded), so mutations build on inputs that got further into the parser.

A parser may refuse an input only with its own error type (``Parser.refusals``); any other
exception is a bug and is reported with the input that raised it.
"""

from __future__ import annotations

import random
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Coverage counts in the code under test, not in the fuzzer or the libraries below it.
_COVERED = tuple(str(ROOT / package) for package in ("buildinghub", "cloud_connector"))
MAX_CORPUS = 2048
MAX_INPUT = 4096
_BUGS_KEPT = 20
# Bytes that are CBOR heads at their edges (lengths 23, 24..27, indefinite; each major type),
# tag 18, simple values, and text bytes that matter to notes and JSON.
_INTERESTING = bytes.fromhex("000117181a1b1f203f405f607f809fa0bfc0d2f4f5f6f7faff0a222c5b7b")


@dataclass(frozen=True, slots=True)
class Parser:
    """One parser under fuzz: valid seed inputs, the call, and the errors it may refuse with.

    ``make`` builds the seeds and the call together, once, when the parser is fuzzed (they
    often share keys). The call gets one input as bytes.
    """

    name: str
    make: Callable[[], tuple[Sequence[bytes], Callable[[bytes], object]]]
    refusals: tuple[type[BaseException], ...]


@dataclass(slots=True)
class Bug:
    """An exception a parser raised that is not one of its refusals."""

    error: str
    where: str
    first_input: str
    count: int = 1


@dataclass(slots=True)
class Result:
    """What one parser did with its inputs."""

    inputs: int = 0
    refused: int = 0
    accepted: int = 0
    corpus: int = 0
    branches: int = 0
    seconds: float = 0.0
    bugs: dict[str, Bug] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """The figures, and each distinct bug once with how often it was hit."""
        return {
            "inputs": self.inputs,
            "refused": self.refused,
            "accepted": self.accepted,
            "corpus": self.corpus,
            "branches": self.branches,
            "seconds": round(self.seconds, 1),
            "bugs": [
                {"error": b.error, "where": b.where, "count": b.count, "input": b.first_input}
                for b in self.bugs.values()
            ],
        }


class _Coverage:
    """Branches taken in our packages, each reported once (sys.monitoring, PEP 669)."""

    def __init__(self) -> None:
        self.branches = 0
        self.new = False
        monitoring = sys.monitoring
        self._tool = next(
            tool for tool in range(6) if monitoring.get_tool(tool) is None
        )  # 0..5 are the tool ids; take one nobody (a debugger, coverage.py) holds
        self._events = monitoring.events.BRANCH_LEFT | monitoring.events.BRANCH_RIGHT

    def __enter__(self) -> _Coverage:
        monitoring = sys.monitoring
        monitoring.use_tool_id(self._tool, "buildinghub-fuzz")
        for event in (monitoring.events.BRANCH_LEFT, monitoring.events.BRANCH_RIGHT):
            monitoring.register_callback(self._tool, event, self._branch)
        monitoring.set_events(self._tool, self._events)
        monitoring.restart_events()
        return self

    def __exit__(self, *exc: object) -> None:
        monitoring = sys.monitoring
        monitoring.set_events(self._tool, 0)
        monitoring.free_tool_id(self._tool)

    def _branch(self, code: CodeType, offset: int, destination: int) -> Any:
        if code.co_filename.startswith(_COVERED):
            self.branches += 1
            self.new = True
        return sys.monitoring.DISABLE


def _mutate(rng: random.Random, data: bytes, corpus: Sequence[bytes]) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        size = len(buffer)
        match rng.randrange(9) if size else 4:
            case 0:
                at = rng.randrange(size)
                buffer[at] ^= 1 << rng.randrange(8)
            case 1:
                buffer[rng.randrange(size)] = rng.randrange(256)
            case 2:
                buffer[rng.randrange(size)] = rng.choice(_INTERESTING)
            case 3:
                at = rng.randrange(size)
                del buffer[at : at + rng.randint(1, 16)]
            case 4:
                at = rng.randint(0, size)
                buffer[at:at] = rng.randbytes(rng.randint(1, 8))
            case 5:
                at = rng.randrange(size)
                piece = buffer[at : at + rng.randint(1, 32)]
                where = rng.randint(0, size)
                buffer[where:where] = piece
            case 6:
                del buffer[rng.randrange(size) :]
            case 7:
                other = rng.choice(corpus)
                at = rng.randint(0, size)
                start = rng.randint(0, len(other))
                buffer[at:] = other[start:]
            case _:
                at = rng.randrange(size)
                buffer[at : at + 2] = rng.randbytes(2)
    return bytes(buffer[:MAX_INPUT])


def fuzz(parser: Parser, inputs: int, rng: random.Random) -> Result:
    """Throw ``inputs`` inputs at ``parser``: first its seeds as they are, then mutations."""
    seeds, call = parser.make()
    corpus = list(seeds)
    result = Result()
    started = time.process_time()
    with _Coverage() as coverage:
        for number in range(inputs):
            if number < len(seeds):
                data = seeds[number]
            elif rng.random() < 0.01:
                data = rng.randbytes(rng.randint(0, 64))
            else:
                data = _mutate(rng, rng.choice(corpus), corpus)
            try:
                call(data)
            except parser.refusals:
                result.refused += 1
            except Exception as err:
                _note_bug(result, err, data)
            else:
                result.accepted += 1
            if coverage.new:
                coverage.new = False
                if len(corpus) < MAX_CORPUS:
                    corpus.append(data)
        result.branches = coverage.branches
    result.inputs = inputs
    result.corpus = len(corpus)
    result.seconds = time.process_time() - started
    return result


def _note_bug(result: Result, err: Exception, data: bytes) -> None:
    frame = traceback.extract_tb(err.__traceback__)[-1]
    where = f"{Path(frame.filename).name}:{frame.lineno}"
    key = f"{type(err).__name__} at {where}"
    known = result.bugs.get(key)
    if known is not None:
        known.count += 1
    elif len(result.bugs) < _BUGS_KEPT:
        result.bugs[key] = Bug(f"{type(err).__name__}: {err}"[:300], where, data.hex()[:512])
