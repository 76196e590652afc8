"""``python -m cloud_connector``: serve the API, or administer its database."""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from buildinghub.keylog.signers import LogNoteSigner
from buildinghub.telemetry.reading import Quantity

from . import accounts
from .app import Settings, make_app
from .database import DatabaseUrlError, close_engine, open_engine
from .hubs import create_enrolment
from .keyfile import load_or_create_key
from .ledger import LedgerSettings, LedgerUnreadable
from .migrations import migrate
from .people import Role, add_person
from .witness_service import open_witness, serve_witness

DEFAULT_DB = "sqlite:///cloud_connector.db"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cloud_connector",
        description="Building Hub cloud connector: telemetry ingest with signed storage receipts.",
    )
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--db",
        default=DEFAULT_DB,
        help=f"database URL: sqlite:///PATH (default {DEFAULT_DB}) or postgresql://USER@HOST:PORT/DB",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", parents=[database], help="migrate the database and serve the HTTP API"
    )
    serve.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8470, help="TCP port (default 8470)")
    serve.add_argument(
        "--key",
        type=Path,
        default=Path("cloud_connector_key.pem"),
        help="PEM file of the receipt-signing key, created (mode 0600) if missing",
    )
    serve.add_argument(
        "--payment-secret-file",
        type=Path,
        help="file holding the payment provider's webhook secret (payments refused without it)",
    )
    serve.add_argument(
        "--ledger-key",
        type=Path,
        help="PEM file of the key ledger's checkpoint-signing key (created if missing); "
        "without it the ledger is not served",
    )
    serve.add_argument(
        "--ledger-origin", default="ledger.buildinghub.example/log", help="the log's name"
    )
    serve.add_argument(
        "--witness", action="append", default=[], help="URL of a witness (repeat for each)"
    )
    public = commands.add_parser(
        "ledger-public-key", help="print the ledger key's public key (base64), making the key"
    )
    public.add_argument("--ledger-key", type=Path, required=True)
    witness = commands.add_parser("witness", help="run a witness of the key ledger")
    witness.add_argument("--name", required=True, help="the witness's name on cosignatures")
    witness.add_argument("--key", type=Path, required=True, help="its PEM key (made if missing)")
    witness.add_argument("--state", type=Path, required=True, help="its view file")
    witness.add_argument("--origin", required=True, help="the origin of the log it witnesses")
    witness.add_argument("--log-public-key", required=True, help="the log's key (base64)")
    witness.add_argument("--host", default="127.0.0.1")
    witness.add_argument("--port", type=int, required=True)
    enrol = commands.add_parser(
        "enrol", parents=[database], help="print a one-time enrolment token for a hub"
    )
    enrol.add_argument("--building", required=True, help="the building the hub serves")
    person = commands.add_parser(
        "add-person", parents=[database], help="add a resident or manager, print their token"
    )
    person.add_argument("--name", required=True)
    person.add_argument("--role", choices=[r.value for r in Role], required=True)
    person.add_argument("--building", required=True)
    person.add_argument("--dwelling", help="a resident's dwelling")
    account = commands.add_parser(
        "open-account", parents=[database], help="open a dwelling's prepaid account"
    )
    account.add_argument("--building", required=True)
    account.add_argument("--dwelling", required=True)
    account.add_argument("--threshold-cents", type=int, required=True, help="reminder threshold")
    account.add_argument("--balance-cents", type=int, default=0, help="opening balance")
    tariff = commands.add_parser(
        "set-tariff", parents=[database], help="price of one base unit (Wh or litre)"
    )
    tariff.add_argument("--building", required=True)
    tariff.add_argument("--quantity", choices=[q.name.lower() for q in Quantity], required=True)
    tariff.add_argument("--millicents-per-unit", type=int, required=True)
    return parser


async def _serve(args: argparse.Namespace) -> None:
    engine = open_engine(args.db)
    await migrate(engine)
    secret = args.payment_secret_file.read_bytes().strip() if args.payment_secret_file else None
    ledger = None
    if args.ledger_key is not None:
        signer = LogNoteSigner(args.ledger_origin, load_or_create_key(args.ledger_key))
        ledger = LedgerSettings(signer, tuple(args.witness))
    settings = Settings(load_or_create_key(args.key), payment_secret=secret, ledger=ledger)
    runner = web.AppRunner(make_app(engine, settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port).start()
    print(f"cloud connector listening on http://{args.host}:{args.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await close_engine(engine)


async def _admin(args: argparse.Namespace) -> str:
    engine = open_engine(args.db)
    try:
        await migrate(engine)
        if args.command == "enrol":
            return await create_enrolment(engine, args.building)
        if args.command == "add-person":
            return await add_person(
                engine, args.name, Role(args.role), args.building, args.dwelling
            )
        if args.command == "open-account":
            await accounts.open_account(
                engine, args.building, args.dwelling, args.threshold_cents, args.balance_cents
            )
            return "ok"
        await accounts.set_tariff(
            engine, args.building, Quantity[args.quantity.upper()], args.millicents_per_unit
        )
        return "ok"
    finally:
        await close_engine(engine)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            asyncio.run(_serve(args))
            return 0
        if args.command == "witness":
            found = open_witness(args.name, args.key, args.state, args.origin, args.log_public_key)
            asyncio.run(serve_witness(found, args.host, args.port))
            return 0
        if args.command == "ledger-public-key":
            key = load_or_create_key(args.ledger_key).public_key
            print(base64.b64encode(key.to_bytes()).decode())
            return 0
        print(asyncio.run(_admin(args)))
    except (DatabaseUrlError, LedgerUnreadable) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
