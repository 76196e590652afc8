"""The landlord's and the tenant's command line against a real cloud connector on loopback.

Each person has their own directory; the connector runs as its own process
(``python -m cloud_connector serve``) on a SQLite file, the way the README shows.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from buildinghub.biometrics.__main__ import main as biometrics
from buildinghub.credentials import SigningKey
from buildinghub.credentials.grant import GrantKind, decode_grant
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.entries import KeyRegistration, RecordKind, Role, SignedRecord
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.tenancy.__main__ import main
from buildinghub.tenancy.contract import check_lease_grant, verify_contract
from buildinghub.tenancy.rent import verify_payment
from cloud_connector.__main__ import main as cloud_main
from tests.ledger_site import ORIGIN, witness_process

SALT = b"elm court pepper, 32 bytes long!"


@dataclass
class Cloud:
    url: str
    db: str
    witness: str


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all probes held open together, so no port comes twice)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _listening(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "listening" in line, line


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(10)
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture
def cloud(
    tmp_path: Path, socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cloud]:
    """The connector with its key ledger, cosigned by one witness, each its own process."""
    capsys.readouterr()
    assert cloud_main(["ledger-public-key", "--ledger-key", str(tmp_path / "ledger.pem")]) == 0
    log_key = capsys.readouterr().out.strip()
    witness_port, port = _free_ports(2)
    witness_url = f"http://127.0.0.1:{witness_port}"
    witness = witness_process(tmp_path, 0, log_key, witness_port)
    processes = [witness]
    try:
        _listening(witness)
        db = f"sqlite:///{tmp_path / 'cloud.db'}"
        server = subprocess.Popen(
            [sys.executable, "-m", "cloud_connector", "serve", "--db", db, "--port", str(port),
             "--key", str(tmp_path / "cloud.pem"), "--ledger-key", str(tmp_path / "ledger.pem"),
             "--ledger-origin", ORIGIN, "--witness", witness_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        processes.append(server)
        _listening(server)
        yield Cloud(f"http://127.0.0.1:{port}", db, witness_url)
    finally:
        for process in processes:
            _stop(process)


class Person:
    """Someone at their own machine, in their own directory."""

    def __init__(self, home: Path, cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
        self.home = home
        self.cloud = cloud
        self._capsys = capsys

    def run(self, *args: str, cloud: bool = False) -> tuple[int, object, str]:
        argv = [*args, "--home", str(self.home)] + (["--cloud", self.cloud.url] if cloud else [])
        self._capsys.readouterr()
        code = main(argv)
        out = self._capsys.readouterr()
        return code, json.loads(out.out) if code == 0 else None, out.err

    def ok(self, *args: str, cloud: bool = False) -> object:
        code, answer, err = self.run(*args, cloud=cloud)
        assert code == 0, err
        return answer


def keygen(person: Person, role: str, name: str, id_number: str) -> dict[str, str]:
    identity = identity_lookup_hash(SALT, id_number).hex()
    answer = person.ok("keygen", "--role", role, "--name", name, "--identity", identity)
    assert isinstance(answer, dict)
    return answer


BUILDING = "Elm Court"


def enrolment_token(cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert cloud_main(["enrol", "--db", cloud.db, "--building", BUILDING]) == 0
    return capsys.readouterr().out.strip()


@pytest.fixture
def people(tmp_path: Path, cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> dict[str, Person]:
    """A landlord, a tenant and a second landlord, their keys registered in the ledger."""
    found = {
        name: Person(tmp_path / name, cloud, capsys) for name in ("landlord", "tenant", "next")
    }
    keygen(found["landlord"], "landlord", "landlord.elm-court.example", "L0001")
    keygen(found["tenant"], "tenant", "Ada Tenant", "AB123456")
    keygen(found["next"], "landlord", "landlord.oak-house.example", "L0002")
    manager = Person(tmp_path / "manager", cloud, capsys)
    hub = str(tmp_path / "manager-hub.pem")
    # One argument: a URL-safe token may start with "-", which argparse would take for an option.
    token = enrolment_token(cloud, capsys)
    manager.ok("enrol-hub", f"--token={token}", "--hub-key", hub, cloud=True)
    building = ("--building", BUILDING)
    found["landlord"].ok("register", *building, "--hub-key", hub, cloud=True)
    found["next"].ok("register", *building, "--hub-key", hub, cloud=True)
    # The front desk's enrolling station, vouched for by the hub, checks the tenant's passport.
    desk = Person(tmp_path / "desk", cloud, capsys)
    desk.ok("keygen", "--role", "station", "--name", "front-desk.elm-court.example")
    desk.ok("register", *building, "--hub-key", hub, cloud=True)
    tenant = found["tenant"].ok("register", *building, cloud=True)
    shown = found["tenant"].ok("show")
    assert isinstance(tenant, dict)
    assert isinstance(shown, dict)
    desk.ok(
        "check-identity", "--tenant-kid", shown["kid"], "--identity", shown["identity"],
        "--method", "passport", cloud=True,
    )  # fmt: skip
    for each in found.values():
        trusted = each.ok("trust-ledger", "--witness", cloud.witness, cloud=True)
        assert isinstance(trusted, dict)
        assert trusted["quorum"] == 1
    return found


def kid(person: Person) -> str:
    shown = person.ok("show")
    assert isinstance(shown, dict)
    return str(shown["kid"])


def agree_lease(people: dict[str, Person], tmp_path: Path) -> Path:
    """Terms -> document -> each signs -> combined signed contract, stored in the cloud."""
    landlord, tenant = people["landlord"], people["tenant"]
    landlord_public, tenant_public = landlord.ok("show"), tenant.ok("show")
    assert isinstance(landlord_public, dict)
    assert isinstance(tenant_public, dict)
    terms = tmp_path / "terms.json"
    terms.write_text(
        json.dumps(
            {
                "building": "Elm Court", "flat": "1A", "lock": "elm-1a-door",
                "landlord": landlord_public["name"], "landlord_key": landlord_public["signing_key"],
                "tenant": tenant_public["name"], "tenant_key": tenant_public["signing_key"],
                "tenant_identity": tenant_public["identity"], "rent": 95000, "currency": "EUR",
                "due_day": 1, "start": "2026-01-01", "end": "2026-12-31", "deposit": 190000,
            }
        )
    )  # fmt: skip
    document, contract = tmp_path / "contract.doc", tmp_path / "contract.signed"
    landlord.ok("terms", str(terms), "--out", str(document))
    landlord.ok("sign", str(document), "--out", str(tmp_path / "landlord.sig"))
    tenant.ok("sign", str(document), "--out", str(tmp_path / "tenant.sig"))
    tenant.ok(
        "combine", str(document), "--landlord", str(tmp_path / "landlord.sig"),
        "--tenant", str(tmp_path / "tenant.sig"), "--out", str(contract),
    )  # fmt: skip
    stored = landlord.ok("submit-contract", "--contract", str(contract), cloud=True)
    assert stored == {
        "contract": verify_contract(contract.read_bytes()).digest.hex(),
        "stored": True,
    }
    return contract


def inspect_move_out(people: dict[str, Person], tmp_path: Path, contract: Path) -> None:
    landlord, tenant = people["landlord"], people["tenant"]
    findings = tmp_path / "findings.json"
    findings.write_text(
        json.dumps(
            {
                "inspected_at": 1_798_675_200,
                "findings": [
                    {"area": "kitchen", "condition": "worn", "deduction": 0},
                    {"area": "bathroom", "condition": "damaged", "deduction": 15000},
                ],
                "deposit_returned": 175000,
            }
        )
    )
    report = tmp_path / "inspection.doc"
    landlord.ok("inspect", str(findings), "--contract", str(contract), "--out", str(report))
    for person, name in ((landlord, "l"), (tenant, "t")):
        person.ok("sign", str(report), "--contract", str(contract), "--out", str(tmp_path / name))
    signed = tmp_path / "inspection.signed"
    landlord.ok(
        "combine", str(report), "--landlord", str(tmp_path / "l"), "--tenant",
        str(tmp_path / "t"), "--contract", str(contract), "--out", str(signed),
    )  # fmt: skip
    answer = tenant.ok("submit-inspection", "--inspection", str(signed), cloud=True)
    assert isinstance(answer, dict)
    assert answer["stored"] is True


def test_a_landlord_and_a_tenant_do_the_whole_tenancy_flow_from_their_own_machines(
    people: dict[str, Person], tmp_path: Path
) -> None:
    landlord, tenant, asker = people["landlord"], people["tenant"], people["next"]
    contract = agree_lease(people, tmp_path)
    grant = landlord.ok("lease-grant", "--contract", str(contract))
    paid_on_time, paid_two_days_late = (
        ("2026-01-01", "SEPA-JAN", "1767225600"),
        ("2026-02-01", "SEPA-FEB", "1770076800"),
    )
    records = []
    for due, reference, paid_at in (paid_on_time, paid_two_days_late):
        receipt = tenant.ok(
            "pay", "--contract", str(contract), "--due", due, "--amount", "95000",
            "--reference", reference, "--paid-at", paid_at, cloud=True,
        )  # fmt: skip
        assert isinstance(receipt, dict)
        records.append(base64.b64decode(receipt["record"]))
    inspect_move_out(people, tmp_path, contract)

    asked = asker.ok("request-credit", "--tenant-kid", kid(tenant), cloud=True)
    assert isinstance(asked, dict)
    answered = tenant.ok("answer-credit", "--contract", str(contract), cloud=True)
    summary = asker.ok("read-credit", "--request", asked["request_id"], cloud=True)

    assert isinstance(grant, dict)
    lease = decode_grant(base64.urlsafe_b64decode(grant["grant"]))
    assert lease.grant.kind is GrantKind.LEASE
    check_lease_grant(lease.grant, verify_contract(contract.read_bytes()))
    # What the tenant hands the landlord's hub (rental_lock.record_payment) verifies there.
    signed_contract = verify_contract(contract.read_bytes())
    assert [verify_payment(r, signed_contract).on_time for r in records] == [True, False]
    paid = tenant.ok("payments", "--contract", str(contract), cloud=True)
    assert isinstance(paid, list)
    assert [p["reference"] for p in paid] == ["SEPA-JAN", "SEPA-FEB"]
    # Who asked is shown as the ledger has it: key, name and building (SPEC S3).
    assert answered == [
        {"request_id": asked["request_id"], "payments": 2, "inspections": 1,
         "landlord": {"kid": kid(asker), "name": "landlord.oak-house.example",
                      "building": BUILDING}}
    ]  # fmt: skip
    assert isinstance(summary, dict)
    assert (summary["tenant"], summary["tenant_kid"]) == ("Ada Tenant", kid(tenant))
    assert (summary["payments"], summary["payments_on_time"], summary["inspections"]) == (2, 1, 1)
    assert summary["deductions"] == 15000
    [past] = summary["contracts"]
    assert (past["landlord"], past["landlord_kid"]) == ("landlord.elm-court.example", kid(landlord))
    # No installation record of the flat's lock is in the ledger: the landlord is not vouched for.
    assert past["landlord_of_the_lock"].startswith("not verified: ")
    assert "no installation record of lock 'elm-1a-door'" in past["landlord_of_the_lock"]


def test_a_second_landlord_cannot_read_the_credit_file(
    people: dict[str, Person], tmp_path: Path
) -> None:
    tenant, asker, other = people["tenant"], people["next"], people["landlord"]
    contract = agree_lease(people, tmp_path)
    asked = asker.ok("request-credit", "--tenant-kid", kid(tenant), cloud=True)
    assert isinstance(asked, dict)
    tenant.ok("answer-credit", "--contract", str(contract), cloud=True)
    request_id = asked["request_id"]
    # The other landlord even holds a copy of the request: the cloud still refuses.
    kept = asker.home / "credit-requests" / f"{request_id}.cbor"
    (other.home / "credit-requests").mkdir()
    (other.home / "credit-requests" / kept.name).write_bytes(kept.read_bytes())

    code, _, err = other.run("read-credit", "--request", request_id, cloud=True)

    assert code == 2
    assert "not_the_requester" in err
    first = asker.ok("read-credit", "--request", request_id, cloud=True)
    assert asker.ok("read-credit", "--request", request_id, cloud=True) == first


def test_bad_input_is_refused_with_status_2_and_writes_nothing(
    people: dict[str, Person], tmp_path: Path
) -> None:
    landlord, tenant = people["landlord"], people["tenant"]
    contract = agree_lease(people, tmp_path)
    signing = (tenant.home / "signing.pem").read_bytes()
    bad_terms = tmp_path / "bad.json"
    bad_terms.write_text('{"building": "Elm Court", "rent": "a lot"}')

    results = [
        tenant.run("keygen", "--role", "tenant", "--name", "Ada", "--identity", "00" * 32),
        landlord.run("terms", str(bad_terms), "--out", str(tmp_path / "bad.doc")),
        tenant.run(
            "pay", "--contract", str(contract), "--due", "2026-01-15", "--amount", "95000",
            "--reference", "X", cloud=True,
        ),
        tenant.run("lease-grant", "--contract", str(contract)),
        landlord.run("request-credit", "--tenant-kid", "00" * 16, cloud=True),
    ]  # fmt: skip

    assert [code for code, _, _ in results] == [2, 2, 2, 2, 2]
    assert "keys are never replaced" in results[0][2]
    assert "a lot" not in results[1][2]
    assert "is missing or not a" in results[1][2]
    assert "not a due date" in results[2][2]
    assert "landlord's command" in results[3][2]
    assert "unknown_tenant" in results[4][2]
    assert (tenant.home / "signing.pem").read_bytes() == signing
    assert not (tmp_path / "bad.doc").exists()
    assert tenant.ok("payments", "--contract", str(contract), cloud=True) == []
    assert not (landlord.home / "credit-requests").exists()
    (landlord.home / "ledger.json").unlink()
    code, _, err = landlord.run("read-credit", "--request", "00" * 32, cloud=True)
    assert code == 2
    assert "run trust-ledger" in err


def test_keys_are_private_files_and_only_public_keys_are_printed(
    people: dict[str, Person],
) -> None:
    tenant = people["tenant"]

    shown = subprocess.run(
        [sys.executable, "-m", "buildinghub.tenancy", "show", "--home", str(tenant.home)],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "PRIVATE" not in shown.stdout
    assert json.loads(shown.stdout)["role"] == "tenant"
    for name in ("signing.pem", "sealing.pem"):
        assert (tenant.home / name).stat().st_mode & 0o777 == 0o600


def test_a_tenant_consents_and_withdraws_from_the_command_line(
    people: dict[str, Person], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = people["tenant"]
    template = "00112233445566778899aabbccddeeff"
    common = ["--home", str(tenant.home), "--template-id", template]

    def run(*args: str) -> dict[str, object]:
        capsys.readouterr()
        assert biometrics([*args, *common]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert isinstance(answer, dict)
        return answer

    given = run("consent", "--lock", "elm-1a-door", "--cloud", tenant.cloud.url)
    held = run("status", "--cloud", tenant.cloud.url)
    withdrawn = run("withdraw", "--cloud", tenant.cloud.url)
    after = run("status", "--cloud", tenant.cloud.url)

    assert base64.b64decode(str(given["consent"]))
    assert held["withdrawn"] is False
    assert isinstance(withdrawn["cloud"], dict)
    assert withdrawn["cloud"]["erased"] == []
    assert after["withdrawn"] is True
    assert biometrics(["consent", "--lock", "elm-1a-door", *common]) == 2


def test_a_landlord_key_not_vouched_for_by_the_pinned_witnesses_is_not_trusted(
    people: dict[str, Person], tmp_path: Path
) -> None:
    tenant, asker = people["tenant"], people["next"]
    contract = agree_lease(people, tmp_path)
    asked = asker.ok("request-credit", "--tenant-kid", kid(tenant), cloud=True)
    assert isinstance(asked, dict)
    pinned = tenant.home / "ledger.json"
    trust = json.loads(pinned.read_text())
    trust["witnesses"][0]["key"] = base64.b64encode(
        SigningKey.generate().public_key.to_bytes()
    ).decode()
    pinned.write_text(json.dumps(trust))

    code, _, err = tenant.run("answer-credit", "--contract", str(contract), cloud=True)

    assert code == 2
    assert "cosign" in err or "quorum" in err
    code, _, err = asker.run("read-credit", "--request", asked["request_id"], cloud=True)
    assert code == 2
    assert "not_answered" in err


async def _install_lock(cloud: Cloud, hub_key: SigningKey, landlord: SigningKey) -> None:
    """The installer: the hub registers the lock's key; the landlord's installation record of
    it (lock elm-1a-door of flat 1A) goes into the ledger."""
    lock = SigningKey.generate()
    async with aiohttp.ClientSession() as session:
        installer = LedgerClient(session, cloud.url, hub_key=hub_key)
        entry = KeyRegistration(
            Role.LOCK, lock.public_key, bytes(32), "elm-1a-door", 1, building=BUILDING
        )
        await installer.register(entry, lock)
        record = InstallationRecord(
            lock_id="elm-1a-door",
            flat="1A",
            landlord="landlord.elm-court.example",
            landlord_key=landlord.public_key,
            lock_key=lock.public_key,
            lock_sealing_key=SigningKey.generate().public_key,
            installed_at=1,
        )
        signed = sign_installation(record, landlord)
        await installer.publish(SignedRecord(RecordKind.INSTALLATION, signed))


def test_the_next_landlord_sees_past_landlords_vouched_for_by_their_locks_installation(
    people: dict[str, Person], tmp_path: Path
) -> None:
    tenant, asker, landlord = people["tenant"], people["next"], people["landlord"]
    contract = agree_lease(people, tmp_path)
    hub_key = SigningKey.from_pem((tmp_path / "manager-hub.pem").read_bytes())
    landlord_key = SigningKey.from_pem((landlord.home / "signing.pem").read_bytes())
    asyncio.run(_install_lock(tenant.cloud, hub_key, landlord_key))
    asked = asker.ok("request-credit", "--tenant-kid", kid(tenant), cloud=True)
    assert isinstance(asked, dict)
    tenant.ok("answer-credit", "--contract", str(contract), cloud=True)

    summary = asker.ok("read-credit", "--request", asked["request_id"], cloud=True)

    assert isinstance(summary, dict)
    assert summary["contracts"][0]["landlord_of_the_lock"] == "verified"
