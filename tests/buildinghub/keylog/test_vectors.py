"""Our proof verifiers agree with every published vector (transparency-dev/merkle testdata)."""

import base64
import json
from pathlib import Path

import pytest

from buildinghub.keylog.errors import InvalidProof
from buildinghub.keylog.proof import verify_consistency, verify_inclusion

VECTORS = Path(__file__).parent / "vectors"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def _name(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _hashes(items: list[str] | None) -> list[bytes]:
    return [base64.b64decode(item) for item in items or []]


def test_every_vector_is_here() -> None:
    assert len(INCLUSION) + len(CONSISTENCY) == 196


@pytest.mark.parametrize("path", INCLUSION, ids=_name)
def test_inclusion_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    args = (
        vector["leafIdx"],
        vector["treeSize"],
        base64.b64decode(vector["leafHash"]),
        _hashes(vector["proof"]),
        base64.b64decode(vector["root"]),
    )
    if vector["wantErr"]:
        with pytest.raises(InvalidProof):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=_name)
def test_consistency_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    args = (
        vector["size1"],
        vector["size2"],
        _hashes(vector["proof"]),
        base64.b64decode(vector["root1"]),
        base64.b64decode(vector["root2"]),
    )
    if vector["wantErr"]:
        with pytest.raises(InvalidProof):
            verify_consistency(*args)
    else:
        verify_consistency(*args)
