"""The demo in a real browser: the installer, the property manager (an ordinary login), two
residents and a landlord log in and look at their pages.

``scripts/demo`` runs as a person runs it, on this venv's Home Assistant and in a folder and
on ports of its own; Debian's chromium (``scripts/test`` installs it) is driven by
Playwright through Home Assistant's real login page. Each person's page is read as they see
it (Playwright's locators pierce the frontend's open shadow roots) and saved as a screenshot
under ``artifacts/screenshots/`` (kept by CI, ignored by git).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bench.cloud_process import free_port

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# A headless chromium that talks to nothing but the demo.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALLER = ("demo", "demo-building")  # the administrator: sees everything, by design
MANAGER = ("pam", "manager-demo")  # the property manager: derived data only (SPEC M5)
LANDLORD = ("chen", "landlord-demo")  # landlord:chen, whose key installed Flat 1C's lock
NORA = ("nora", "flat-1a-demo")  # Flat 1A and Bay P1
RAVI = ("ravi", "flat-1b-demo")  # Flat 1B
READY_S = 600  # a first run makes the building, the venv check and onboarding
BANNER_END = "Stop: Ctrl-C"


@dataclass(frozen=True)
class Demo:
    """The running demo: where to open it, and what it printed."""

    url: str
    banner: str


async def _read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while line := await stream.readline():
        seen.append(line.decode(errors="replace"))
        if marker in seen[-1]:
            return
    raise AssertionError("scripts/demo ended before it was ready:\n" + "".join(seen[-40:]))


@pytest.fixture
async def demo(tmp_path: Path, socket_enabled: None) -> AsyncIterator[Demo]:
    """``scripts/demo`` on this venv, in tmp_path, on free ports; stopped as Ctrl-C stops it."""
    port = free_port()
    env = {
        **os.environ,
        "DEMO_DIR": str(tmp_path / "demo"),
        "DEMO_VENV": str(ROOT / ".venv"),
        "DEMO_REQUIREMENTS": "requirements_test.txt",
        "DEMO_PORT": str(port),
        "DEMO_CLOUD_PORT": str(free_port()),
        "DEMO_WITNESS_PORT": str(free_port()),
    }
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts" / "demo"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:
        await asyncio.wait_for(_read_until(process.stdout, BANNER_END, seen), READY_S)
        drain = asyncio.create_task(_read_until(process.stdout, "\0never\0", seen))
        yield Demo(url=f"http://127.0.0.1:{port}", banner="".join(seen))
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)  # the demo's own Ctrl-C: it stops everything
        try:
            await asyncio.wait_for(process.wait(), 120)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        if "drain" in locals():
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError, AssertionError):
                await drain


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, headless, talking to nothing but the demo."""
    installed = await asyncio.to_thread(CHROMIUM.exists)
    assert installed, "scripts/test installs Debian's chromium: run it first"
    async with async_playwright() as playwright:
        engine = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield engine
        finally:
            await engine.close()


async def log_in(browser: Browser, demo: Demo, who: tuple[str, str]) -> Page:
    """A fresh profile (no stored login) through the login page, as a person types it."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(demo.url)
    await page.get_by_role("textbox", name="Username").fill(who[0])
    await page.get_by_role("textbox", name="Password").fill(who[1])
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{demo.url}/home/**", timeout=60_000)
    return page


async def look_at(page: Page, demo: Demo, path: str, shot: str, expect: str) -> str:
    """Open ``path``, wait until ``expect`` shows, save a screenshot; the page's text."""
    await page.goto(f"{demo.url}/{path}")
    await page.get_by_text(expect, exact=False).first.wait_for(timeout=60_000)
    await page.wait_for_timeout(1500)  # the remaining cards render
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
    return await shown_text(page, "home-assistant-main")


# The text of an element and everything inside it, through the open shadow roots the
# frontend renders into (innerText stops at the first one).
_DEEP_TEXT = """(root) => {
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent.trim()); return; }
    if (["STYLE", "SCRIPT", "TEMPLATE"].includes(node.nodeName)) return;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(root);
  return out.filter(Boolean).join(" | ");
}"""


async def shown_text(page: Page, selector: str) -> str:
    """Everything ``selector`` (found through shadow roots) renders as text."""
    text: str = await page.locator(selector).first.evaluate(_DEEP_TEXT)
    return text


async def sidebar(page: Page) -> str:
    """The sidebar's entries as the person sees them."""
    return await shown_text(page, "ha-sidebar")


async def test_each_role_sees_its_own_building(demo: Demo, browser: Browser) -> None:
    started = time.monotonic()
    for login in (MANAGER, LANDLORD, NORA, RAVI):
        assert f"{login[0]} / {login[1]}" in demo.banner

    installer = await log_in(browser, demo, INSTALLER)
    energy = await look_at(installer, demo, "energy", "installer-energy", "Energy")
    assert "not configured" not in energy.lower()
    await installer.context.close()

    manager = await log_in(browser, demo, MANAGER)
    building = await look_at(
        manager, demo, "building-manager/floor-1", "manager-floor-1", "Flat 1A"
    )
    for flat in ("Flat 1A", "Flat 1B", "Flat 1C", "Flat 1D"):
        assert flat in building
    assert "Low balance" in building
    assert "Wh" not in building, "the manager's page shows no meter reading (SPEC M5)"
    bays = await look_at(
        manager, demo, "building-manager/car-park-and-shared", "manager-car-park", "Bay P1"
    )
    assert "Occupancy" in bays
    assert "Building" in await sidebar(manager)
    reading = await look_at(
        manager,
        demo,
        "history?entity_id=sensor.flat_1a_electricity_meter_energy",
        "manager-meter-history-refused",
        "History",
    )
    assert "kWh" not in reading, "a meter's history is not the manager's to read (SPEC M5)"
    await manager.context.close()

    landlord = await log_in(browser, demo, LANDLORD)
    flats = await look_at(landlord, demo, "building-landlord/flats", "chen-my-flats", "Flat 1C")
    assert "Flat 1A" not in flats  # Ana's
    assert "Wh" not in flats
    chens_sidebar = await sidebar(landlord)
    assert "My flats" in chens_sidebar
    assert "Building" not in chens_sidebar
    await landlord.context.close()

    nora = await log_in(browser, demo, NORA)
    home = await look_at(nora, demo, "building-home/home", "nora-my-home", "Flat 1A")
    assert "Bay P1" in home
    assert "Next rent due" in home
    for other in ("Flat 1B", "Flat 1C", "Bay P2"):
        assert other not in home
    noras_sidebar = await sidebar(nora)
    assert "Building" not in noras_sidebar, "the manager's page is not in her sidebar"
    assert "My flats" not in noras_sidebar
    denied = await look_at(
        nora, demo, "building-manager/floor-1", "nora-building-refused", "Home Assistant"
    )
    # The page itself refuses her (the panel is only left out of her sidebar): the frontend
    # shows her something else, never the manager's cards.
    assert "Low balance" not in denied
    assert "Repairs" not in denied
    await nora.context.close()

    ravi = await log_in(browser, demo, RAVI)
    his = await look_at(ravi, demo, "building-home/home", "ravi-my-home", "Flat 1B")
    assert "Flat 1A" not in his
    assert "Bay P1" not in his
    await ravi.context.close()

    assert time.monotonic() - started < 360
