"""The hub process of the fault harness: outbox + relay, talking to the harness's meters.

``python -m bench.fault_hub --outbox PATH --cloud URL --meters SOCKET --hub-key PEM
--cloud-key HEX --meter-id ID ...`` runs until it is killed (the harness sends SIGKILL).
The meters live in the harness process, behind a unix socket speaking JSON lines:
``{"op": "pull", "meter": ID, "after": N}`` -> ``{"packets": [b64...]}`` and
``{"op": "erase", "meter": ID, "receipt": b64}`` -> ``{"ok": true}`` or ``{"refused": CODE}``;
anything else, or a dropped connection, is an unreachable meter.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import time
from pathlib import Path

import aiohttp

from buildinghub.credentials import PublicKey, SigningKey
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.telemetry.cloud_client import CloudClient, CloudUnavailable
from buildinghub.telemetry.errors import EraseRefused
from buildinghub.telemetry.outbox import Outbox
from buildinghub.telemetry.reading import ReadingPacket, decode_packet
from buildinghub.telemetry.receipt import EraseCommand
from buildinghub.telemetry.relay import Backoff, Relay

RPC_TIMEOUT_S = 2.0


class SocketMeterLink:
    """A meter reached through the harness's socket (the harness injects the faults)."""

    def __init__(self, socket_path: str, meter_id: str) -> None:
        self._socket = socket_path
        self.meter_id = meter_id

    async def _call(self, request: dict[str, object]) -> dict[str, object]:
        try:
            async with asyncio.timeout(RPC_TIMEOUT_S):
                reader, writer = await asyncio.open_unix_connection(self._socket)
                try:
                    writer.write(json.dumps(request).encode() + b"\n")
                    await writer.drain()
                    line = await reader.readline()
                finally:
                    writer.close()
        except (OSError, TimeoutError) as err:
            raise DeviceUnreachable(self.meter_id) from err
        if not line:
            raise DeviceUnreachable(self.meter_id)
        answer: dict[str, object] = json.loads(line)
        return answer

    async def pull(self, after: int) -> list[ReadingPacket]:
        answer = await self._call({"op": "pull", "meter": self.meter_id, "after": after})
        items = answer.get("packets")
        if not isinstance(items, list):
            raise DeviceUnreachable(self.meter_id)
        return [decode_packet(base64.b64decode(item)) for item in items]

    async def erase(self, command: EraseCommand) -> None:
        answer = await self._call(
            {
                "op": "erase",
                "meter": self.meter_id,
                "receipt": base64.b64encode(command.encoded).decode(),
            }
        )
        if answer.get("ok"):
            return
        if isinstance(answer.get("refused"), str):
            raise EraseRefused(str(answer["refused"]))
        raise DeviceUnreachable(self.meter_id)


async def run(args: argparse.Namespace) -> None:
    outbox = await Outbox.open(Path(args.outbox))
    links = {meter: SocketMeterLink(args.meters, meter) for meter in args.meter_id}
    async with aiohttp.ClientSession() as session:
        client = CloudClient(
            session,
            args.cloud,
            args.hub_signing_key,
            cloud_key=PublicKey.from_bytes(bytes.fromhex(args.cloud_key)),
        )
        relay = Relay(
            outbox,
            client,
            clock=time.monotonic,
            batch_size=200,
            backoff=Backoff(time.monotonic, minimum=0.05, maximum=0.5),
        )
        rounds = 0
        while True:
            rounds += 1
            for meter, link in links.items():
                with contextlib.suppress(DeviceUnreachable):
                    await relay.collect(meter, link, from_start=rounds % 10 == 0)
            with contextlib.suppress(CloudUnavailable):
                await relay.upload()
            await relay.erase(links)
            await asyncio.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fault_hub")
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--cloud", required=True)
    parser.add_argument("--meters", required=True)
    parser.add_argument("--hub-key", required=True)
    parser.add_argument("--cloud-key", required=True)
    parser.add_argument("--meter-id", action="append", required=True)
    args = parser.parse_args()
    args.hub_signing_key = SigningKey.from_pem(Path(args.hub_key).read_bytes())
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
