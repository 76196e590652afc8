"""Run as a child process by test_outbox: add readings one by one, saying which were committed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.outbox import Outbox
from buildinghub.telemetry.reading import Quantity, Reading, sign_reading


async def main(path: Path) -> None:
    outbox = await Outbox.open(path)
    key = SigningKey.generate()
    sequence = 0
    while True:
        sequence += 1
        batch = [
            sign_reading(Reading(f"m{n}", sequence, Quantity.WATER, sequence, 0, "1A"), key)
            for n in range(4)
        ]
        await asyncio.gather(*(outbox.add([packet]) for packet in batch))
        print(sequence, flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
