"""The fuzzer at the small size CI runs: every parser reads its seeds and refuses the rest."""

from __future__ import annotations

from bench.fuzz import run
from bench.fuzz.parsers import PARSERS


def test_every_parser_takes_thousands_of_inputs_and_raises_only_its_own_errors() -> None:
    result = run(inputs=3000, seed=20261205)

    parsers = result["parsers"]
    assert isinstance(parsers, dict)
    assert sorted(parsers) == sorted(parser.name for parser in PARSERS)
    for name, figures in parsers.items():
        assert figures["inputs"] == 3000, name
        assert figures["bugs"] == [], name
        # The seeds are read in full (accepted), and coverage guided the mutations.
        assert figures["accepted"] >= 1, name
        assert figures["branches"] > 10, name
        if name != "chunked_transfer":  # a receiver answers every command: nothing raises
            assert figures["refused"] > 1000, name
    assert result["inputs_total"] == 3000 * len(PARSERS)
