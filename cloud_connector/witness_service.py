"""A witness as its own HTTP service (SPEC K4), run as ``python -m cloud_connector witness``.

The log pushes each new checkpoint here with the size it believes the witness holds and a
consistency proof from there, as in C2SP tlog-witness ``add-checkpoint``:

    POST /add-checkpoint  {"old_size": n, "proof": [base64...], "checkpoint": "<signed note>"}
      200 {"name", "key_id", "signature"}     the cosignature (base64 fields)
      409 {"error": "conflict", "size": m}    the witness holds size m: prove from there
      409 {"error": "fork_detected" | "log_frozen", "message"}
      400/403 malformed or not signed by the log
    GET /key        {"name", "public_key"}     what hubs configure
    GET /evidence   {"frozen", "checkpoint", "evidence": [...]}   forks seen, for anyone

Bodies are read bounded (json_body: size, depth, items, integer size), as the connector's.
The view is persisted atomically before the cosignature is returned (keylog.Witness).
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from buildinghub.credentials.clock import MonotonicClock
from buildinghub.credentials.keys import PublicKey
from buildinghub.keylog.errors import (
    ForkDetected,
    KeylogError,
    LogFrozen,
    MalformedCheckpoint,
    MalformedNote,
    NoteNotSigned,
    StaleCheckpoint,
)
from buildinghub.keylog.signers import LogNoteKey, WitnessNoteSigner
from buildinghub.keylog.witness import Witness

from .errors import RequestRefused
from .json_body import json_value
from .keyfile import load_or_create_key

WITNESS: Final = web.AppKey("witness", Witness)
MAX_BODY: Final = 64 * 1024
_MAX_PROOF = 64


def _refusal(status: int, reason: str, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": reason, "message": message, **extra}, status=status)


async def add_checkpoint(request: web.Request) -> web.Response:
    """Verify and cosign a checkpoint (see the module docstring)."""
    witness = request.app[WITNESS]
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _refusal(413, "too_large", f"a request body is at most {MAX_BODY} bytes")
    try:
        old_size, proof, note = _read_request(json_value(body))
    except RequestRefused as err:  # the body is not bounded JSON: too large, deep, long
        return _refusal(err.status, err.reason, str(err))
    except ValueError as err:
        return _refusal(400, "malformed", str(err))
    held = witness.checkpoint.size if witness.checkpoint is not None else 0
    if old_size != held and not witness.frozen:
        return _refusal(409, "conflict", f"this witness holds size {held}", size=held)
    try:
        cosignature = witness.cosign(note, proof)
    except StaleCheckpoint as err:
        return _refusal(409, "conflict", str(err), size=held)
    except (ForkDetected, LogFrozen) as err:
        return _refusal(409, err.reason, str(err))
    except NoteNotSigned as err:
        return _refusal(403, err.reason, str(err))
    except (MalformedNote, MalformedCheckpoint, KeylogError) as err:
        return _refusal(400, err.reason, str(err))
    return web.json_response(
        {
            "name": cosignature.name,
            "key_id": base64.b64encode(cosignature.key_id).decode(),
            "signature": base64.b64encode(cosignature.signature).decode(),
        }
    )


def _read_request(data: Any) -> tuple[int, list[bytes], str]:
    if not isinstance(data, dict):
        raise ValueError("the body is a JSON object")
    old_size, proof, note = data.get("old_size"), data.get("proof"), data.get("checkpoint")
    if type(old_size) is not int or old_size < 0:  # at most 19 digits (json_body)
        raise ValueError("old_size is a non-negative integer")
    if not isinstance(proof, list) or len(proof) > _MAX_PROOF:
        raise ValueError(f"proof is a list of at most {_MAX_PROOF} base64 hashes")
    if not isinstance(note, str):
        raise ValueError("checkpoint is the signed note as text")
    try:
        hashes = [base64.b64decode(str(item), validate=True) for item in proof]
    except ValueError:  # binascii.Error, or text with characters beyond ASCII
        raise ValueError("proof holds base64 hashes") from None
    return old_size, hashes, note


async def witness_key(request: web.Request) -> web.Response:
    """The witness's name and public key."""
    key = request.app[WITNESS].key
    return web.json_response(
        {"name": key.name, "public_key": base64.b64encode(key.key.to_bytes()).decode()}
    )


async def evidence(request: web.Request) -> web.Response:
    """The witness's view and every fork it has seen (all public)."""
    witness = request.app[WITNESS]
    checkpoint = witness.checkpoint
    return web.json_response(
        {
            "frozen": witness.frozen,
            "size": None if checkpoint is None else checkpoint.size,
            "evidence": [item.to_json() for item in witness.evidence],
        }
    )


def make_witness_app(witness: Witness) -> web.Application:
    """The HTTP service of one witness."""
    app = web.Application(client_max_size=MAX_BODY)
    app[WITNESS] = witness
    app.router.add_post("/add-checkpoint", add_checkpoint)
    app.router.add_get("/key", witness_key)
    app.router.add_get("/evidence", evidence)
    return app


def open_witness(
    name: str, key_file: Path, state_file: Path, origin: str, log_public_key: str
) -> Witness:
    """A witness called name with its key and state files, for the log origin/log key."""
    log_key = LogNoteKey(
        origin, PublicKey.from_bytes(base64.b64decode(log_public_key, validate=True))
    )
    signer = WitnessNoteSigner(name, load_or_create_key(key_file))
    return Witness(signer, log_key, state_file, MonotonicClock())


async def serve_witness(witness: Witness, host: str, port: int) -> None:
    """Serve until cancelled; prints the URL once listening (parents wait for that line)."""
    runner = web.AppRunner(make_witness_app(witness), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(f"witness {witness.key.name} listening on http://{host}:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
