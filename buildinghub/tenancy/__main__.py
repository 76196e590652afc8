"""``python -m buildinghub.tenancy``: the landlord's and the tenant's own command line.

Each person runs it on their own machine with their own directory (``--home``): keys are made
there (0600) and never printed; only public keys are. Documents pass between the two as files.
Any bad input is refused with a clear message and exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp

from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.keys import SigningKey
from buildinghub.keylog.atomic_file import write_atomically
from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.entries import Role
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.identity import LOOKUP_HASH_LENGTH
from buildinghub.keylog.key_client import KeyClient
from buildinghub.keylog.person_home import (
    HomeError,
    PersonHome,
    create_home,
    open_home,
    write_private,
)
from buildinghub.keylog.person_ledger import ProvenKeys, fetch_trust, load_trust, save_trust
from buildinghub.keylog.records import CheckMethod
from buildinghub.telemetry.cloud_client import CloudClient, CloudRefused, CloudUnavailable

from . import cloud_commands
from .client import TenancyClient
from .contract import SignedContract, issue_lease_grant, verify_contract
from .documents import DocumentError, combine, contract_from_terms, report_from_json, sign_document


class UsageError(Exception):
    """A file or option that cannot be used."""


# Whose directories this command line keeps: people, and the enrolling station that checks
# tenants' identity documents for its building (SPEC R1).
_PEOPLE = (Role.LANDLORD, Role.TENANT, Role.STATION)
_NO_IDENTITY = bytes(LOOKUP_HASH_LENGTH).hex()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m buildinghub.tenancy",
        description="Lease contracts, rent payments, move-out inspections and the credit file, "
        "signed on your own machine with your own keys.",
    )
    home = argparse.ArgumentParser(add_help=False)
    home.add_argument("--home", type=Path, default=Path(), help="your directory (keys, profile)")
    cloud = argparse.ArgumentParser(add_help=False)
    cloud.add_argument("--cloud", required=True, help="the cloud connector's URL")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, text: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text, parents=[home, *parents])

    keygen = command("keygen", "make your signing and sealing keys (0600) and profile")
    keygen.add_argument("--role", choices=[role.value for role in _PEOPLE], required=True)
    keygen.add_argument(
        "--name",
        required=True,
        help="your name on contracts (landlord: issuer; station: its name on identity checks)",
    )
    keygen.add_argument(
        "--identity",
        help="lookup hash from your identity check (tenants and landlords; not a station)",
    )
    command("show", "print your public profile and keys")
    register = command("register", "register your key in the cloud's key ledger", cloud)
    register.add_argument(
        "--building", required=True, help="the building the key is for (its hub's building)"
    )
    register.add_argument(
        "--hub-key", type=Path, help="landlords and stations: the vouching hub's key file"
    )
    check = command(
        "check-identity",
        "station: record that staff checked a tenant's identity document (binds their key)",
        cloud,
    )
    check.add_argument("--tenant-kid", required=True, help="the tenant's key id (from show)")
    check.add_argument("--identity", required=True, help="the lookup hash of their identity")
    check.add_argument("--method", choices=[m.value for m in CheckMethod], required=True)
    trust = command("trust-ledger", "pin the key ledger's log key and witnesses you trust", cloud)
    trust.add_argument("--witness", action="append", required=True, help="a witness's URL")
    trust.add_argument("--quorum", type=int, help="cosignatures needed (default: all)")
    enrol = command("enrol-hub", "property manager: make and enrol a hub key that vouches", cloud)
    enrol.add_argument("--hub-key", type=Path, required=True, help="where the hub key is kept")
    enrol.add_argument("--token", required=True, help="from python -m cloud_connector enrol")
    _document_commands(command)
    _cloud_commands(command, cloud)
    return parser


type Command = Callable[..., argparse.ArgumentParser]


def _document_commands(command: Command) -> None:
    terms = command("terms", "the contract document from the agreed terms (JSON)")
    terms.add_argument("terms", type=Path)
    terms.add_argument("--out", type=Path, required=True)
    sign = command("sign", "sign a contract document (or, with --contract, an inspection)")
    sign.add_argument("document", type=Path)
    sign.add_argument("--contract", type=Path, help="the signed contract an inspection is of")
    sign.add_argument("--out", type=Path, required=True)
    joined = command("combine", "join the landlord's and the tenant's signatures")
    joined.add_argument("document", type=Path)
    joined.add_argument("--landlord", type=Path, required=True)
    joined.add_argument("--tenant", type=Path, required=True)
    joined.add_argument("--contract", type=Path, help="for an inspection: its signed contract")
    joined.add_argument("--out", type=Path, required=True)
    grant = command("lease-grant", "landlord: the lease grant (base64) for install_grant")
    grant.add_argument("--contract", type=Path, required=True)
    inspect = command("inspect", "landlord: the move-out inspection document from findings")
    inspect.add_argument("findings", type=Path)
    inspect.add_argument("--contract", type=Path, required=True)
    inspect.add_argument("--out", type=Path, required=True)


def _cloud_commands(command: Command, cloud: argparse.ArgumentParser) -> None:
    submit = command("submit-contract", "store the signed contract in the cloud", cloud)
    submit.add_argument("--contract", type=Path, required=True)
    pay = command("pay", "tenant: sign a rent payment, seal it to yourself, store it", cloud)
    pay.add_argument("--contract", type=Path, required=True)
    pay.add_argument("--due", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    pay.add_argument("--amount", type=int, required=True, help="in minor units (cents)")
    pay.add_argument("--reference", required=True, help="your bank's reference")
    pay.add_argument("--paid-at", type=int, help="unix seconds (default now)")
    paid = command("payments", "tenant: your payments of a contract, opened", cloud)
    paid.add_argument("--contract", type=Path, required=True)
    posted = command("submit-inspection", "store a signed inspection in the cloud", cloud)
    posted.add_argument("--inspection", type=Path, required=True)
    ask = command("request-credit", "landlord: ask a tenant for their credit file", cloud)
    ask.add_argument("--tenant-kid", required=True, help="the tenant's key id (they show it)")
    ask.add_argument("--tenant", help="a label for the tenant (their name); not who is asked")
    ask.add_argument("--valid-for", type=int, default=86_400, help="seconds (at most a day)")
    answer = command("answer-credit", "tenant: answer pending requests with your file", cloud)
    answer.add_argument("--contract", type=Path, action="append", required=True)
    answer.add_argument("--request", help="answer only this request id")
    read = command("read-credit", "landlord: open the answer to your request", cloud)
    read.add_argument("--request", required=True)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None


def _write_new(path: Path, data: bytes) -> str:
    if path.exists():
        raise UsageError(f"{path} exists: choose another --out")
    write_atomically(path, data)
    return str(path)


def _contract(path: Path) -> SignedContract:
    return verify_contract(_read(path))


_OFFLINE = frozenset({"keygen", "show", "terms", "sign", "combine", "lease-grant", "inspect"})


def _offline(args: argparse.Namespace) -> Any:
    if args.command == "keygen":
        role = Role(args.role)
        if args.identity is None and role is not Role.STATION:
            raise UsageError("--identity: the lookup hash of your identity check")
        identity = _NO_IDENTITY if args.identity is None else args.identity
        return create_home(args.home, role, args.name, identity).public()
    home = open_home(args.home)
    match args.command:
        case "show":
            return home.public()
        case "terms":
            return {"document": _write_new(args.out, contract_from_terms(_read(args.terms)))}
        case "sign":
            contract = None if args.contract is None else _contract(args.contract)
            signature = sign_document(_read(args.document), home.signing_key, contract)
            return {"signature": _write_new(args.out, signature)}
        case "combine":
            contract = None if args.contract is None else _contract(args.contract)
            document = _read(args.document)
            signed = combine(document, _read(args.landlord), _read(args.tenant), contract)
            return {"signed": _write_new(args.out, signed)}
        case "lease-grant":
            home.require(Role.LANDLORD)
            grant = issue_lease_grant(
                _contract(args.contract), home.signing_key, issued_at=cloud_commands.now_s()
            )
            return {"grant": base64.urlsafe_b64encode(grant).decode()}
        case "inspect":
            home.require(Role.LANDLORD)
            report = report_from_json(_read(args.findings), _contract(args.contract))
            return {"document": _write_new(args.out, report)}
    return None


async def _online(args: argparse.Namespace, session: aiohttp.ClientSession) -> Any:
    if args.command == "enrol-hub":
        building = await CloudClient(session, args.cloud, args.hub).enrol(args.token)
        return {"enrolled": args.hub.public_key.kid.hex(), "building": building}
    home = open_home(args.home)
    client = TenancyClient(KeyClient(session, args.cloud, home.signing_key))
    now = cloud_commands.now_s()
    match args.command:
        case "register":
            vouching = None if args.hub_key is None else SigningKey.from_pem(_read(args.hub_key))
            if home.role is not Role.TENANT and vouching is None:
                raise UsageError(
                    f"a {home.role.value}'s key is vouched for by an enrolled hub: --hub-key"
                )
            ledger = LedgerClient(session, args.cloud, hub_key=vouching)
            return await cloud_commands.register(home, ledger, now, building=args.building)
        case "check-identity":
            return await cloud_commands.check_identity(
                home,
                LedgerClient(session, args.cloud),
                tenant_kid=_hex(args.tenant_kid, "--tenant-kid"),
                identity=_hex(args.identity, "--identity"),
                method=CheckMethod(args.method),
                now=now,
            )
        case "submit-contract":
            digest, stored = await client.submit_contract(_contract(args.contract).encoded)
            return {"contract": digest, "stored": stored}
        case "pay":
            return await cloud_commands.pay(
                home,
                client,
                _contract(args.contract),
                due=args.due,
                amount=args.amount,
                reference=args.reference,
                paid_at=now if args.paid_at is None else args.paid_at,
            )
        case "payments":
            return await _payments(home, client, _contract(args.contract))
        case "submit-inspection":
            digest, stored = await client.submit_inspection(_read(args.inspection))
            return {"inspection": digest, "stored": stored}
        case "request-credit":
            tenant_kid = _hex(args.tenant_kid, "--tenant-kid")
            return await cloud_commands.request_credit(
                home,
                client,
                tenant_key=tenant_kid,
                tenant=args.tenant or f"tenant {tenant_kid.hex()[:8]}",
                valid_for=args.valid_for,
                now=now,
            )
        case "trust-ledger":
            quorum = len(args.witness) if args.quorum is None else args.quorum
            trust = await fetch_trust(session, args.cloud, args.witness, quorum)
            save_trust(home.directory, trust)
            return trust.to_json()
        case "answer-credit":
            contracts = [_contract(path) for path in args.contract]
            return await cloud_commands.answer_credit(
                home, client, _proven(args, session, home), contracts, only=args.request, now=now
            )
        case "read-credit":
            keys = _proven(args, session, home)
            return await cloud_commands.read_credit(home, client, keys, args.request)
    return None


def _hex(text: str, option: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise UsageError(f"{option} is hexadecimal") from None


def _proven(
    args: argparse.Namespace, session: aiohttp.ClientSession, home: PersonHome
) -> ProvenKeys:
    ledger = LedgerClient(session, args.cloud)
    return ProvenKeys(ledger, home.directory, load_trust(home.directory))


async def _payments(home: PersonHome, client: TenancyClient, contract: SignedContract) -> Any:
    records = [record for record, _ in await cloud_commands.payments(home, client, contract)]
    return [
        {"due": r.due.isoformat(), "amount": r.amount, "currency": r.currency, "on_time": r.on_time,
         "reference": r.reference}
        for r in records
    ]  # fmt: skip


def _enrol_hub(args: argparse.Namespace) -> Any:
    """Enrol the hub key in args.hub_key (made, 0600, if missing and the enrolment succeeds)."""
    path: Path = args.hub_key
    made = not path.exists()
    args.hub = SigningKey.generate() if made else SigningKey.from_pem(_read(path))
    result = asyncio.run(_run_online(args))
    if made:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, args.hub.to_pem())
    return result


async def _run_online(args: argparse.Namespace) -> Any:
    async with aiohttp.ClientSession() as session:
        return await _online(args, session)


_REFUSALS = (
    UsageError,
    HomeError,
    DocumentError,
    CredentialError,
    KeylogError,
    CloudRefused,
    CloudUnavailable,
    ValueError,
    binascii.Error,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, run one command, print its JSON; exit status 2 with the reason on a refusal."""
    args = _parser().parse_args(argv)
    try:
        if args.command in _OFFLINE:
            result = _offline(args)
        elif args.command == "enrol-hub":
            result = _enrol_hub(args)
        else:
            result = asyncio.run(_run_online(args))
    except _REFUSALS as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
