"""Writing a state file so that a crash leaves either the old or the new file, never half."""

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace path's content with data: temp file beside it, fsync, rename, fsync the folder."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    # The rename itself is only durable once the directory entry is on disk.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
