"""``python -m buildinghub.biometrics``: a tenant signs, posts and withdraws biometric consents.

The tenant's directory is the one ``python -m buildinghub.tenancy keygen --role tenant`` made.
``consent`` prints the signed consent in base64 (for Rental Lock's actions) and keeps it in
``consents/<template id>.cbor``; with ``--cloud`` it is also recorded in the cloud. ``withdraw``
signs the withdrawal of that consent the same way; the cloud answers with the sealed templates
it erased. Bad input: a clear message, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from buildinghub.credentials.errors import CredentialError
from buildinghub.keylog.atomic_file import write_atomically
from buildinghub.keylog.entries import Role
from buildinghub.keylog.key_client import KeyClient
from buildinghub.keylog.person_home import HomeError, PersonHome, open_home
from buildinghub.telemetry.cloud_client import CloudRefused, CloudUnavailable

from .client import ConsentClient
from .consent import (
    TEMPLATE_ID_LENGTH,
    ConsentBook,
    ConsentRecord,
    ConsentWithdrawal,
    Purpose,
    sign_consent,
    sign_withdrawal,
)

CONSENTS_DIRECTORY = "consents"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m buildinghub.biometrics",
        description="Your consent to a fingerprint template, signed with your own key.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", type=Path, default=Path(), help="your tenant directory")
    common.add_argument("--template-id", required=True, help="the template's id (32 hex digits)")
    commands = parser.add_subparsers(dest="command", required=True)
    consent = commands.add_parser("consent", parents=[common], help="sign a consent")
    consent.add_argument("--lock", required=True, help="the one lock it is for")
    consent.add_argument(
        "--purposes",
        default="capture,store,send",
        help="comma-separated: capture, store, send (default all three)",
    )
    consent.add_argument("--cloud", help="also record it in this cloud connector")
    withdraw = commands.add_parser("withdraw", parents=[common], help="withdraw your consent")
    withdraw.add_argument("--cloud", help="also withdraw it in this cloud connector")
    status = commands.add_parser("status", parents=[common], help="what the cloud holds")
    status.add_argument("--cloud", required=True)
    return parser


def _template_id(text: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != TEMPLATE_ID_LENGTH:
        raise ValueError(f"the template id is {2 * TEMPLATE_ID_LENGTH} hex digits")
    return value


def _purposes(text: str) -> frozenset[Purpose]:
    try:
        return frozenset(Purpose(item.strip()) for item in text.split(",") if item.strip())
    except ValueError:
        raise ValueError(f"purposes are among {[p.value for p in Purpose]}") from None


def _consent_file(home: PersonHome, template_id: bytes) -> Path:
    return home.directory / CONSENTS_DIRECTORY / f"{template_id.hex()}.cbor"


def _sign(args: argparse.Namespace, home: PersonHome, template_id: bytes) -> tuple[bytes, Path]:
    now = int(time.time())
    path = _consent_file(home, template_id)
    if args.command == "consent":
        if path.exists():
            raise ValueError(f"{path} exists: a template id is consented to once")
        record = ConsentRecord(
            tenant=home.name,
            purposes=_purposes(args.purposes),
            lock=args.lock,
            template_id=template_id,
            given_at=now,
        )
        return sign_consent(record, home.signing_key), path
    if not path.exists():
        raise ValueError(f"no consent to template {template_id.hex()} in {home.directory}")
    book = ConsentBook({home.name: home.signing_key.public_key})
    given = book.record(path.read_bytes())
    withdrawal = ConsentWithdrawal(consent=given.digest, template_id=template_id, withdrawn_at=now)
    return sign_withdrawal(withdrawal, home.signing_key), path


async def _post(args: argparse.Namespace, home: PersonHome, signed: bytes) -> Any:
    async with aiohttp.ClientSession() as session:
        client = ConsentClient(KeyClient(session, args.cloud, home.signing_key))
        if args.command == "consent":
            return await client.submit_consent(signed)
        if args.command == "withdraw":
            return await client.withdraw(signed)
        return await client.status(signed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; print its JSON; exit status 2 with the reason on a refusal."""
    args = _parser().parse_args(argv)
    try:
        home = open_home(args.home)
        home.require(Role.TENANT)
        template_id = _template_id(args.template_id)
        if args.command == "status":
            result = asyncio.run(_post(args, home, template_id))
        else:
            signed, path = _sign(args, home, template_id)
            result = {args.command: base64.b64encode(signed).decode()}
            if args.cloud is not None:
                result["cloud"] = asyncio.run(_post(args, home, signed))
            if args.command == "consent":
                path.parent.mkdir(exist_ok=True)
                write_atomically(path, signed)
    except (HomeError, CredentialError, CloudRefused, CloudUnavailable, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
