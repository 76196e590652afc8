"""Files of simulated devices' secrets (their "flash"), readable by their owner only."""

import os
from pathlib import Path


def write_private(target: Path, text: str) -> None:
    """Replace target with text, mode 0600: written beside it, then renamed over it, so a
    reader (a restarting demo, a test) never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a temporary left by a crash keeps its old mode otherwise
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, target)
