"""Files of simulated devices' secrets (their "flash"), readable by their owner only."""

from pathlib import Path


def write_private(target: Path, text: str) -> None:
    """Write text to target with mode 0600, also when the file existed with another mode."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600, exist_ok=True)
    target.chmod(0o600)  # touch leaves the mode of an existing file as it was
    target.write_text(text)
