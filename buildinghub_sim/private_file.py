"""Files of simulated devices' secrets (their "flash"), readable by their owner only."""

from pathlib import Path

from buildinghub.keylog.atomic_file import write_atomically


def write_private(target: Path, text: str) -> None:
    """Replace target with text, mode 0600, atomically: a reader (a restarting demo, a test)
    never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text.encode(), private=True)
