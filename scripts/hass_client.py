"""A running Home Assistant, driven only through its HTTP and websocket APIs, as a browser does.

Shared by ``scripts/demo_driver.py`` (the demo's first ten minutes) and the install test
(``tests/install``), which both talk to a real ``hass`` process they did not import.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

type FlowAnswer = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]
"""A config flow step's input, or a function from the form shown to that input."""


class HassError(Exception):
    """Home Assistant did not do what was asked; the message says what a person must read."""


class ApiError(HassError):
    """Home Assistant answered with an HTTP error."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the status to tell 'not logged in' from real errors."""
        super().__init__(message)
        self.status = status


class HomeAssistantApi:
    """Home Assistant's REST and websocket APIs, as the browser uses them."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, *, log_hint: str = "its log"
    ) -> None:
        """Talk to the Home Assistant at ``base_url`` (``http://127.0.0.1:8123``).

        ``log_hint`` names where a person finds the reason for a server error.
        """
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.client_id = f"{self.base_url}/"
        self.redirect_uri = f"{self.base_url}/?auth_callback=1"
        self.log_hint = log_hint
        self.token: str | None = None

    async def call(
        self,
        method: str,
        path: str,
        *,
        payload: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Any:
        """One HTTP request; the decoded JSON answer, or ApiError with Home Assistant's words."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        async with self.session.request(
            method, self.base_url + path, json=payload, data=form, headers=headers
        ) as response:
            text = await response.text()
            if response.status >= 400:
                if response.status >= 500:  # Home Assistant's REST API hides the reason
                    text += f" (the reason is in {self.log_hint})"
                raise ApiError(response.status, f"{method} {path}: {response.status} {text}")
            return json.loads(text) if text else None

    async def front_page(self) -> int | None:
        """200 once Home Assistant serves its UI, 302 while it wants onboarding, else None."""
        async with self.session.get(self.base_url + "/", allow_redirects=False) as response:
            return response.status if response.status in {200, 302} else None

    async def websocket(self, *commands: dict[str, Any]) -> list[Any]:
        """Send commands over the websocket API; their results, in order."""
        results = []
        timeout = aiohttp.ClientWSTimeout(ws_receive=60, ws_close=10)
        async with self.session.ws_connect(self.base_url + "/api/websocket", timeout=timeout) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (answer := await ws.receive_json())["type"] != "auth_ok":
                raise HassError(f"websocket login refused: {answer}")
            for number, command in enumerate(commands, start=1):
                await ws.send_json({"id": number, **command})
                while (answer := await ws.receive_json()).get("id") != number:
                    pass
                if not answer["success"]:
                    raise HassError(f"{command['type']}: {answer['error']}")
                results.append(answer["result"])
        return results

    async def service(self, domain: str, name: str, data: dict[str, Any]) -> Any:
        """Call an action and return its response."""
        answer = await self.call(
            "POST", f"/api/services/{domain}/{name}?return_response", payload=data
        )
        return answer["service_response"]

    async def states(self) -> list[dict[str, Any]]:
        """Every entity's state."""
        states: list[dict[str, Any]] = await self.call("GET", "/api/states")
        return states

    async def entries(self, domain: str) -> list[dict[str, Any]]:
        """The integration's config entries, as Settings > Devices & services lists them."""
        entries: list[dict[str, Any]] = await self.call(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return entries

    async def refuse_failed_entry(self, domain: str, title: str) -> None:
        """Raise HassError, saying why, if the integration's entry failed to set up."""
        entries = await self.entries(domain)
        if entries and entries[0]["state"] in {"setup_error", "migration_error"}:
            reason = entries[0].get("reason") or f"see {self.log_hint}"
            raise HassError(f"{title} failed to set up: {reason}")

    async def config_flow(self, domain: str, *steps: FlowAnswer) -> dict[str, Any]:
        """Add an integration as the UI does: start its config flow, answer each step in turn.

        A step is the form's input, or a function that reads the form and returns it, as a
        person reads the form before filling it in. Returns the last answer (``create_entry``
        when it worked; a form with ``errors`` when Home Assistant refused a step).
        """
        result: dict[str, Any] = await self.call(
            "POST",
            "/api/config/config_entries/flow",
            payload={"handler": domain, "show_advanced_options": False},
        )
        for step in steps:
            if result.get("type") != "form":
                break
            answer = step(result) if callable(step) else step
            result = await self.call(
                "POST", f"/api/config/config_entries/flow/{result['flow_id']}", payload=answer
            )
        return result

    async def token_from_code(self, code: str) -> None:
        """Exchange an authorization code, as the frontend does after a login."""
        tokens = await self.call(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            auth=False,
        )
        self.token = tokens["access_token"]

    async def log_in(self, username: str, password: str) -> None:
        """The login page's flow with a username and password."""
        flow = await self.call(
            "POST",
            "/auth/login_flow",
            payload={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.redirect_uri,
            },
            auth=False,
        )
        result = await self.call(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            payload={"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise HassError(f"Could not log in as {username}: {result.get('errors')}")
        await self.token_from_code(result["result"])

    async def onboarding_steps(self) -> dict[str, bool]:
        """Which onboarding steps are done (only served until onboarding is complete)."""
        return {step["step"]: step["done"] for step in await self.call("GET", "/api/onboarding")}

    async def create_owner(self, name: str, username: str, password: str) -> None:
        """Onboarding's first page: the owner's account; logs in as the owner."""
        answer = await self.call(
            "POST",
            "/api/onboarding/users",
            payload={
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        await self.token_from_code(answer["auth_code"])

    async def long_lived_token(self, client_name: str) -> tuple[str, str]:
        """The logged-in user's id and a new long-lived token named ``client_name``.

        A token of that name made earlier, whose value is lost, is deleted first: Home
        Assistant allows one per name.
        """
        user, tokens = await self.websocket(
            {"type": "auth/current_user"}, {"type": "auth/refresh_tokens"}
        )
        lost = [t["id"] for t in tokens if t["client_name"] == client_name]
        *_, token = await self.websocket(
            *({"type": "auth/delete_refresh_token", "refresh_token_id": i} for i in lost),
            {"type": "auth/long_lived_access_token", "client_name": client_name, "lifespan": 3650},
        )
        return str(user["id"]), str(token)

    async def token_works(self, token: str) -> bool:
        """Whether ``token`` is still accepted (leaves the client logged out)."""
        self.token = token
        try:
            await self.call("GET", "/api/")
        except ApiError as err:
            if err.status != 401:
                raise
            return False
        finally:
            self.token = None
        return True

    async def running(self) -> bool:
        """Whether Home Assistant has finished starting."""
        return bool((await self.call("GET", "/api/config"))["state"] == "RUNNING")


async def wait_until(
    what: str,
    check: Callable[[], Awaitable[Any]],
    pid: int | None,
    limit_s: float = 600,
    who: str = "Home Assistant",
) -> Any:
    """Poll ``check()`` until it returns something truthy; fail if process ``pid`` exits."""
    deadline = time.monotonic() + limit_s
    while True:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, ApiError):
            if result := await check():
                return result
        if pid is not None and not process_alive(pid):
            raise HassError(f"{who} exited while waiting for {what}.")
        if time.monotonic() > deadline:
            raise HassError(f"Gave up waiting for {what} after {limit_s:.0f} s.")
        await asyncio.sleep(1)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, exited but not reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True
