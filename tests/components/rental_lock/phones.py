"""A person's phone running the Home Assistant app: registered with mobile_app, listening for
notifications on the app's local push channel (as the app does on the home network)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MockHAClientWebSocket,
    WebSocketGenerator,
)

APP = "https://home-assistant.io/iOS"


class Phone:
    """A resident's phone running the Home Assistant app, registered and listening."""

    def __init__(self, socket: MockHAClientWebSocket) -> None:
        self.socket = socket

    async def next_notification(self) -> dict[str, Any]:
        message = await self.socket.receive_json()
        assert message["type"] == "event"
        return dict(message["event"])

    async def nothing_arrived(self) -> bool:
        await self.socket.send_json_auto_id({"type": "ping"})
        return bool((await self.socket.receive_json())["type"] == "pong")


async def phone_of(
    hass: HomeAssistant,
    user: MockUser,
    name: str,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> Phone:
    """Register the app as ``user`` and open its notification channel, as the app does."""
    refresh = await hass.auth.async_create_refresh_token(user, APP)
    token = hass.auth.async_create_access_token(refresh)
    client = await hass_client(token)
    response = await client.post(
        "/api/mobile_app/registrations",
        json={
            "app_id": "io.robbie.HomeAssistant",
            "app_name": "Home Assistant",
            "app_version": "2025.4",
            "device_id": f"phone-of-{name}",
            "device_name": f"{name} phone",
            "manufacturer": "Apple",
            "model": "iPhone",
            "os_name": "iOS",
            "os_version": "18",
            "supports_encryption": False,
            "app_data": {"push_websocket_channel": True},
        },
    )
    assert response.status == 201
    webhook_id = (await response.json())["webhook_id"]
    socket = await hass_ws_client(hass, token)
    await socket.send_json_auto_id(
        {"type": "mobile_app/push_notification_channel", "webhook_id": webhook_id}
    )
    assert (await socket.receive_json())["success"]
    return Phone(socket)
