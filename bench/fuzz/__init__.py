"""Fuzz every parser: python -m bench fuzz [--inputs N] [--seed S] [--only NAME ...].

Throws N generated and mutated inputs (default a million) at each parser in
bench.fuzz.parsers.PARSERS, coverage-guided (bench.fuzz.engine). Prints, per parser: inputs,
refused (its own error), accepted, corpus and branches reached, CPU seconds, and bugs: every
exception other than the parser's own error type, with where it was raised and the first
input that raised it. Totals: inputs, bugs, wall seconds.
"""

from __future__ import annotations

import argparse
import random
import time

from .engine import fuzz
from .parsers import PARSERS


def run(inputs: int, seed: int, only: list[str] | None = None) -> dict[str, object]:
    """Fuzz the parsers named in only (default all) with inputs each; the figures as JSON."""
    started = time.monotonic()
    results = {}
    for parser in PARSERS:
        if only and parser.name not in only:
            continue
        results[parser.name] = fuzz(parser, inputs, random.Random(f"{seed}/{parser.name}"))
    return {
        "inputs_per_parser": inputs,
        "seed": seed,
        "parsers": {name: result.as_json() for name, result in results.items()},
        "inputs_total": sum(result.inputs for result in results.values()),
        "bugs_total": sum(len(result.bugs) for result in results.values()),
        "wall_seconds": round(time.monotonic() - started, 1),
    }


def main(argv: list[str]) -> dict[str, object]:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench fuzz")
    parser.add_argument("--inputs", type=int, default=1_000_000, help="inputs per parser")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    names = [p.name for p in PARSERS]
    parser.add_argument("--only", nargs="+", choices=names, help="fuzz only these parsers")
    options = parser.parse_args(argv)
    return run(options.inputs, options.seed, options.only)
