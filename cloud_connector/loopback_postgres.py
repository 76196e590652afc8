"""A throwaway PostgreSQL server on loopback, for the tests, the benchmarks and trying things out.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres``
system user (Debian's ``postgresql`` package creates it). The cluster lives in a
temporary directory with trust authentication on 127.0.0.1 only and is deleted on stop.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

SERVER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if versions:
        return Path(versions[-1]).parent
    raise PostgresUnavailable(
        "PostgreSQL is not installed: scripts/test installs it (apt-get install postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LoopbackPostgres:
    """Start with :meth:`start`, stop with :meth:`stop`; :meth:`create_database` gives a URL."""

    def __init__(self) -> None:
        self._bin = _bin_dir()
        self._root = Path(tempfile.mkdtemp(prefix="buildinghub-pg-"))
        self.port = _free_port()
        self._databases = 0
        self._as_root = os.geteuid() == 0

    def _run(self, command: Sequence[str]) -> None:
        argv = [str(self._bin / command[0]), *command[1:]]
        if self._as_root:
            argv = ["runuser", "-u", SERVER_USER, "--", *argv]
        # Fixed PostgreSQL binaries with arguments we build; no shell, no outside input.
        subprocess.run(argv, check=True, capture_output=True, cwd="/")  # noqa: S603

    def start(self) -> None:
        """Create the cluster and start the server (waits until it accepts connections)."""
        data = self._root / "data"
        if self._as_root:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self._root, user.pw_uid, user.pw_gid)
        self._run(["initdb", "-D", str(data), "-A", "trust", "-U", SERVER_USER, "-E", "UTF8"])
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self._root} -c fsync=on -c max_connections=100"
        )
        self._run(
            ["pg_ctl", "-D", str(data), "-o", options, "-w", "-l", str(self._root / "log"), "start"]
        )

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self._run(["pg_ctl", "-D", str(self._root / "data"), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self._root, ignore_errors=True)

    @property
    def postmaster_pid(self) -> int:
        """The running server's main process (its backends and workers are its children)."""
        return int((self._root / "data" / "postmaster.pid").read_text().split()[0])

    @property
    def admin_url(self) -> str:
        """URL of the maintenance database."""
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        self._databases += 1
        name = f"test_{self._databases}"
        self._run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SERVER_USER, name])
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{name}"
