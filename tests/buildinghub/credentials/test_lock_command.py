"""Signed lock commands: who may sign one, for which lock, read strictly (SPEC S5)."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.credentials import (
    BadSignature,
    CredentialError,
    GrantExpired,
    SigningKey,
    UnauthorisedCommand,
    WrongAudience,
)
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.lock_command import (
    Appointment,
    CommandAction,
    LockCommand,
    appoint_manager,
    decode_command,
    sign_command,
    verify_command,
)
from buildinghub.credentials.signed_record import MalformedRecord
from tests.buildinghub.tampering import with_other_s

from .conftest import NOW

LOCK = "door-01"
GRANT_ID = bytes(range(16))
NONCE = bytes(16)


@pytest.fixture(scope="module")
def landlord() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def installation(landlord: SigningKey) -> InstallationRecord:
    lock_key = SigningKey.generate().public_key
    return InstallationRecord(
        lock_id=LOCK,
        flat="Flat 1A",
        landlord="landlord:ana",
        landlord_key=landlord.public_key,
        lock_key=lock_key,
        lock_sealing_key=lock_key,
        installed_at=NOW,
    )


def command(
    key: SigningKey,
    *,
    action: CommandAction = CommandAction.REVOKE,
    lock: str = LOCK,
    appointment: bytes | None = None,
) -> bytes:
    return sign_command(
        LockCommand(lock=lock, action=action, grant_id=GRANT_ID, until=NOW + 60, nonce=NONCE),
        key,
        appointment,
    )


def appointment_of(manager: SigningKey, by: SigningKey, *, expires: int = NOW + 60) -> bytes:
    return appoint_manager(
        Appointment(lock=LOCK, manager_key=manager.public_key, expires=expires), by
    )


def test_the_landlord_of_the_installation_may_command(
    landlord: SigningKey, installation: InstallationRecord
) -> None:
    verified = verify_command(command(landlord), installation, now=NOW)

    assert verified == LockCommand(
        lock=LOCK, action=CommandAction.REVOKE, grant_id=GRANT_ID, until=NOW + 60, nonce=NONCE
    )


def test_a_manager_the_landlord_appointed_may_command(
    landlord: SigningKey, installation: InstallationRecord
) -> None:
    manager = SigningKey.generate()
    signed = command(
        manager, action=CommandAction.FREEZE, appointment=appointment_of(manager, landlord)
    )

    assert verify_command(signed, installation, now=NOW).action is CommandAction.FREEZE


def test_another_key_may_not(installation: InstallationRecord) -> None:
    with pytest.raises(UnauthorisedCommand, match="landlord or a manager"):
        verify_command(command(SigningKey.generate()), installation, now=NOW)


def test_an_appointment_by_another_landlord_gives_no_authority(
    installation: InstallationRecord,
) -> None:
    manager = SigningKey.generate()
    signed = command(manager, appointment=appointment_of(manager, SigningKey.generate()))

    with pytest.raises(UnauthorisedCommand, match="not signed by the landlord"):
        verify_command(signed, installation, now=NOW)


def test_an_ended_appointment_gives_no_authority(
    landlord: SigningKey, installation: InstallationRecord
) -> None:
    manager = SigningKey.generate()
    signed = command(manager, appointment=appointment_of(manager, landlord, expires=NOW))

    with pytest.raises(GrantExpired):
        verify_command(signed, installation, now=NOW)


def test_a_command_for_another_lock_is_refused(
    landlord: SigningKey, installation: InstallationRecord
) -> None:
    with pytest.raises(WrongAudience):
        verify_command(command(landlord, lock="door-02"), installation, now=NOW)


def test_a_holder_may_revoke_but_not_freeze(installation: InstallationRecord) -> None:
    holder = SigningKey.generate()

    verify_command(command(holder), installation, now=NOW, holders=lambda _: [holder.public_key])
    with pytest.raises(UnauthorisedCommand):
        verify_command(
            command(holder, action=CommandAction.FREEZE),
            installation,
            now=NOW,
            holders=lambda _: [holder.public_key],
        )


def test_the_high_s_twin_of_a_signature_is_refused(
    landlord: SigningKey, installation: InstallationRecord
) -> None:
    record, appointment = cbor2.loads(command(landlord))

    with pytest.raises(BadSignature):
        verify_command(cbor2.dumps([with_other_s(record), appointment]), installation, now=NOW)


def test_a_bare_grant_id_is_not_a_command() -> None:
    with pytest.raises(MalformedRecord):
        decode_command(cbor2.dumps([GRANT_ID]))


@settings(deadline=None, max_examples=200)
@given(data=st.binary(max_size=1100))
def test_random_bytes_are_refused_as_a_malformed_record(data: bytes) -> None:
    with pytest.raises(MalformedRecord):
        decode_command(data)


def test_a_changed_byte_breaks_the_signature_or_the_form(
    landlord: SigningKey, installation: InstallationRecord
) -> None:
    signed = bytearray(command(landlord))
    signed[len(signed) // 2] ^= 0x01

    with pytest.raises(CredentialError):
        verify_command(bytes(signed), installation, now=NOW)
