"""Run the connector inside the current event loop on a free loopback port (tests, bench, demo)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from .app import Settings, make_app
from .database import close_engine, open_engine
from .migrations import migrate


@dataclass(frozen=True, slots=True)
class LocalCloud:
    """A running connector: its URL, database and settings."""

    url: str
    engine: AsyncEngine
    settings: Settings


@asynccontextmanager
async def serve_locally(
    database_url: str, settings: Settings, port: int = 0
) -> AsyncIterator[LocalCloud]:
    """Migrate ``database_url`` and serve the API on 127.0.0.1 (``port`` 0: any) until the end."""
    engine = open_engine(database_url)
    runner = web.AppRunner(make_app(engine, settings), access_log=None)
    try:
        await migrate(engine)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        # aiohttp exposes the bound port only through the site's server.
        server = site._server
        assert isinstance(server, asyncio.Server)
        port = server.sockets[0].getsockname()[1]
        yield LocalCloud(f"http://127.0.0.1:{port}", engine, settings)
    finally:
        await runner.cleanup()
        await close_engine(engine)
