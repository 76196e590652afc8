"""The README's threat model (SPEC S8) names, for each party, the tests that show each
"cannot": every test it names exists, and every party has some."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Who can do what: the threat model (SPEC S8)"
PARTIES = (
    "Resident",
    "Landlord",
    "Property manager",
    "This building's hub",
    "Another building's hub",
    "A radio peer",
    "The cloud operator",
)
# `path/to/test_file.py::test_name`, or `::test_name` for the file named last before it.
REFERENCE = re.compile(r"`((?:\w+/)*test_\w+\.py)?::(test_\w+)`")


def threat_model() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(HEADING)
    end = readme.find("\n## ", start + len(HEADING))
    return readme[start : end if end != -1 else None]


def references(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    last: str | None = None
    for match in REFERENCE.finditer(text):
        last = match.group(1) or last
        assert last is not None, f"{match.group(0)} names no file before it"
        found.append((last, match.group(2)))
    return found


def test_every_test_the_threat_model_names_exists() -> None:
    named = references(threat_model())
    assert len(named) > 50
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (ROOT / "tests" / path).is_file()
        or not re.search(rf"^(async )?def {name}\(", (ROOT / "tests" / path).read_text(), re.M)
    ]
    assert missing == []


def test_every_party_has_its_cannots_shown_by_tests() -> None:
    text = threat_model()
    starts = sorted((text.index(f"**{party}**"), party) for party in PARTIES)
    for (start, party), (end, _) in zip(starts, [*starts[1:], (len(text), "")], strict=True):
        section = text[start:end]
        assert "Cannot" in section, party
        assert references(section), party
