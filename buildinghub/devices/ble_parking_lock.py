"""The hub's client for one Building Hub parking lock on BLE (buildinghub.radio.ble_link).

It speaks to the lock through a bleak client, made by ``connect`` when needed (in Home
Assistant: bleak_retry_connector.establish_connection through the bluetooth integration),
and offers the same operations as the Zigbee client, so the hub treats both alike. Access
events are the lock's answers to our own requests (BLE locks do not push them); occupancy
and the barrier's state come from the lock's advertisements, passed to :meth:`advertised`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from buildinghub.credentials import Clock, SignedGrant, SigningKey
from buildinghub.credentials.delegation import Chain
from buildinghub.credentials.installation import InstallationRecord, verify_installation
from buildinghub.credentials.lock_command import CommandAction
from buildinghub.radio.ble_link import (
    ANSWER_UUID,
    REQUEST_UUID,
    LinkError,
    Operation,
    Reassembly,
    decode_answer,
    encode_request,
    frame,
    read_advertisement,
)
from buildinghub.radio.cluster import Reason
from buildinghub.radio.errors import DeviceUnreachable

from .door_lock import LockRefused, LockStatus
from .door_lock_protocol import AccessEvent, AccessMethod, UnlockRequest, answer_challenge

REQUEST_TIMEOUT_S = 5.0
LINK_IDLE_S = 10.0
"""A link unused this long is closed: while a central holds it the lock does not advertise
(occupancy and the barrier come by advertisement), and it holds one of the adapter's or
proxy's few connection slots."""
_COMMAND_OPERATIONS = {
    CommandAction.REVOKE: Operation.revoke,
    CommandAction.FREEZE: Operation.freeze,
    CommandAction.UNFREEZE: Operation.unfreeze,
}


class GattClient(Protocol):
    """What we use of a bleak client (BleakClient and HA's wrapper both fit)."""

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        ...

    @property
    def mtu_size(self) -> int:
        """The ATT MTU."""
        ...

    async def write_gatt_char(
        self, char_specifier: Any, data: Any, response: bool | None = ...
    ) -> None:
        """Write a characteristic."""
        ...

    async def start_notify(self, char_specifier: Any, callback: Any, **kwargs: Any) -> None:
        """Subscribe to a characteristic."""
        ...

    async def disconnect(self) -> None:
        """Close the link."""
        ...


class BleParkingLockClient:
    """Talks to one BLE parking lock; one request at a time."""

    def __init__(
        self, address: str, connect: Callable[[], Awaitable[GattClient]], *, clock: Clock
    ) -> None:
        """Reach the lock at ``address`` through clients made by ``connect``."""
        self.address = address
        self._connect = connect
        self._clock = clock
        self._client: GattClient | None = None
        self._reassembly = Reassembly()
        self._answer: asyncio.Future[bytes] | None = None
        self._lock = asyncio.Lock()
        self._counters: dict[bytes, int] = {}
        self._access: list[Callable[[AccessEvent], None]] = []
        self._bolt: list[Callable[[bool], None]] = []
        self._occupancy: list[Callable[[bool], None]] = []
        self._last_advertised: tuple[bool, bool] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None

    @property
    def ieee(self) -> str:
        """The lock's address (the hub keys its bays by radio address)."""
        return self.address

    # -- the link ---------------------------------------------------------------------------

    async def request(self, operation: Operation, argument: object = None) -> object:
        """Send one request and return the lock's value; LockRefused with its reason."""
        self._cancel_idle()
        async with self._lock:
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    client = await self._ensure_connected()
                    self._answer = asyncio.get_running_loop().create_future()
                    for chunk in frame(encode_request(operation, argument), client.mtu_size):
                        await client.write_gatt_char(REQUEST_UUID, chunk, response=True)
                    reason, value = decode_answer(await self._answer)
            except (TimeoutError, LinkError, OSError) as err:
                await self._drop()
                raise DeviceUnreachable(self.address) from err
            except Exception as err:  # bleak raises BleakError and friends
                await self._drop()
                raise DeviceUnreachable(self.address) from err
            finally:
                self._answer = None
                self._arm_idle()
        if reason is not Reason.none:
            raise LockRefused(operation.name, reason.name)
        return value

    async def _ensure_connected(self) -> GattClient:
        if self._client is not None and self._client.is_connected:
            return self._client
        client = await self._connect()
        self._reassembly = Reassembly()
        await client.start_notify(ANSWER_UUID, self._on_notification)
        self._client = client
        return client

    def _on_notification(self, _sender: Any, data: bytearray) -> None:
        try:
            message = self._reassembly.add(bytes(data))
        except LinkError as err:
            if self._answer is not None and not self._answer.done():
                self._answer.set_exception(err)
            return
        if message is not None and self._answer is not None and not self._answer.done():
            self._answer.set_result(message)

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.disconnect()
            except Exception:
                return

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _arm_idle(self) -> None:
        self._cancel_idle()
        if self._client is not None:
            self._idle = asyncio.get_running_loop().call_later(LINK_IDLE_S, self._on_idle)

    def _on_idle(self) -> None:
        self._idle = None
        self._closing = asyncio.get_running_loop().create_task(
            self._drop_if_idle(), name=f"close idle BLE link {self.address}"
        )

    async def _drop_if_idle(self) -> None:
        async with self._lock:
            if self._idle is None:  # no request came and re-armed the timer meanwhile
                await self._drop()

    async def close(self) -> None:
        """Disconnect."""
        self._cancel_idle()
        await self._drop()

    # -- what the hub asks ------------------------------------------------------------------

    async def read_installation(self) -> InstallationRecord:
        """The lock's installation record, checked against the owner's signature."""
        record = await self.request(Operation.read_installation)
        if not isinstance(record, bytes) or not record:
            raise LockRefused("installation record", "not_installed")
        return verify_installation(record)

    async def install_grant(self, signed: SignedGrant) -> None:
        """Deliver a verified grant or share; the lock verifies it again."""
        await self.request(Operation.install_grant, signed.encoded)

    async def install_chain(self, chain: Chain) -> None:
        """Deliver every link, e-key first; the lock ignores links it already holds."""
        for link in chain.links:
            await self.install_grant(link)

    async def challenge(self) -> bytes:
        """A fresh nonce from the lock: what a proof or a signed command answers."""
        nonce = await self.request(Operation.challenge)
        if not isinstance(nonce, bytes):
            raise LockRefused("challenge", "malformed")
        return nonce

    async def send_command(self, command: bytes, action: CommandAction) -> None:
        """Deliver a signed command (lock_authority); the lock checks its authority itself."""
        await self.request(_COMMAND_OPERATIONS[action], command)

    async def purge_expired(self) -> int:
        """Ask the lock to purge expired keys now."""
        count = await self.request(Operation.purge_expired)
        return int(count) if isinstance(count, int) else 0

    async def lock(self) -> None:
        """Lower the barrier into place."""
        await self.request(Operation.lock)
        self._tell(self._bolt, True)

    def resume_counter(self, grant_id: bytes, last: int) -> None:
        """Continue a key's unlock counter above ``last``."""
        self._counters[grant_id] = max(self._counters.get(grant_id, 0), last)

    async def prepare_unlock(self, signed: SignedGrant, holder_key: SigningKey) -> UnlockRequest:
        """Ask the lock for a fresh nonce and answer it with the holder key."""
        nonce = await self.challenge()
        grant_id = signed.grant.grant_id
        counter = max(self._counters.get(grant_id, 0) + 1, self._clock.now())
        self._counters[grant_id] = counter
        return answer_challenge(signed, holder_key, nonce, counter)

    async def send_unlock(self, request: UnlockRequest) -> None:
        """Hand the answered challenge to the lock; every outcome is an access event."""
        try:
            await self.request(Operation.unlock, request.encode())
        except LockRefused as err:
            self._event(request.grant_id, err.reason, granted=False)
            raise
        self._event(request.grant_id, "granted", granted=True)
        self._tell(self._bolt, False)

    async def read_status(self) -> LockStatus:
        """Barrier, clock and key count."""
        value = await self.request(Operation.status)
        if not isinstance(value, list) or len(value) != 4:
            raise LockRefused("status", "malformed")
        locked, _occupied, device_time, grant_count = value
        return LockStatus(
            locked=bool(locked),
            battery_percent=None,
            device_time=int(device_time),
            grant_count=int(grant_count),
        )

    async def read_occupied(self) -> bool | None:
        """Whether a vehicle stands in the bay."""
        value = await self.request(Operation.status)
        return bool(value[1]) if isinstance(value, list) and len(value) == 4 else None

    # -- what the lock tells ----------------------------------------------------------------

    def advertised(self, manufacturer_data: bytes) -> None:
        """The lock's advertisement (passive scanning): occupancy and barrier changes."""
        state = read_advertisement(manufacturer_data)
        if state is None or state == self._last_advertised:
            return
        previous, self._last_advertised = self._last_advertised, state
        occupied, locked = state
        if previous is None or previous[0] != occupied:
            self._tell(self._occupancy, occupied)
        if previous is None or previous[1] != locked:
            self._tell(self._bolt, locked)

    def add_access_listener(self, callback: Callable[[AccessEvent], None]) -> Callable[[], None]:
        """Be told of every unlock attempt made through this client."""
        return _listen(self._access, callback)

    def add_bolt_listener(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Be told when the barrier moves (True: locked)."""
        return _listen(self._bolt, callback)

    def add_occupancy_listener(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Be told when a vehicle arrives (True) or leaves (False)."""
        return _listen(self._occupancy, callback)

    def _event(self, grant_id: bytes, reason: str, *, granted: bool) -> None:
        event = AccessEvent(
            method=AccessMethod.REMOTE,
            granted=granted,
            reason=reason,
            grant_id=grant_id,
            at=self._clock.now(),
        )
        self._tell(self._access, event)

    @staticmethod
    def _tell[T](listeners: list[Callable[[T], None]], value: T) -> None:
        for listener in list(listeners):
            listener(value)


def _listen[T](
    listeners: list[Callable[[T], None]], callback: Callable[[T], None]
) -> Callable[[], None]:
    listeners.append(callback)
    return lambda: listeners.remove(callback)
