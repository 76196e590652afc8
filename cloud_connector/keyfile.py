"""The connector's receipt-signing key: made on first start, kept in a file only root reads."""

from __future__ import annotations

import os
from pathlib import Path

from buildinghub.credentials import SigningKey


def load_or_create_key(path: Path) -> SigningKey:
    """Read the key at ``path``, or make one there (mode 0600) when it does not exist."""
    if path.exists():
        return SigningKey.from_pem(path.read_bytes())
    key = SigningKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.to_pem())
    return key
