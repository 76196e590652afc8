"""Fixtures every test directory may use: the two databases the cloud connector runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_connector.loopback_postgres import LoopbackPostgres, PostgresUnavailable


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LoopbackPostgres]:
    """A real PostgreSQL server on loopback for the whole run (scripts/test installs it)."""
    try:
        server = LoopbackPostgres()
    except PostgresUnavailable as err:
        pytest.fail(str(err))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, socket_enabled: None) -> str:
    """A fresh empty database of each kind the connector supports (loopback sockets allowed)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cloud.db'}"
    server: LoopbackPostgres = request.getfixturevalue("postgres_server")
    return server.create_database()
