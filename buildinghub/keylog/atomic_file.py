"""Writing a state file so that a crash leaves either the old or the new file, never half."""

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    """Replace path's content with data: temp file beside it, fsync, rename, fsync the folder.

    private: the file holds secrets; it is readable by its owner only (mode 0600) from the
    first byte written, also when an older temporary was left with another mode.
    """
    temporary = path.with_name(f".{path.name}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(temporary, flags, 0o600 if private else 0o666)
    if private:
        os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as file:
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
