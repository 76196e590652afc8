"""Run one benchmark and print its numbers as one JSON object: python -m bench NAME [ARGS...]."""

import argparse
import importlib
import json
import sys
from collections.abc import Callable

# Name -> module; each module has main(argv: list[str]) -> dict[str, object].
BENCHMARKS = {
    "grants": "bench.grants",
    "keylog": "bench.keylog",
    "unlock": "bench.unlock",
    "faults": "bench.faults",
    "telemetry": "bench.telemetry",
    "occupancy": "bench.occupancy",
    "fuzz": "bench.fuzz",
}


def main(argv: list[str]) -> int:
    """Run the benchmark named in argv, passing it the remaining arguments."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=sorted(BENCHMARKS), help="the benchmark to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    options = parser.parse_args(argv)
    run: Callable[[list[str]], dict[str, object]] = importlib.import_module(
        BENCHMARKS[options.name]
    ).main
    print(json.dumps({"benchmark": options.name, **run(options.args)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
