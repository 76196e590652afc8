"""The Building Hub manufacturer-specific cluster, declared as data.

Standard clusters carry what they can (DoorLock 0x0101 for lock state and
operation events, PowerConfiguration for the battery). This cluster carries
what no standard cluster can: signed grants, revocations, proofs of
possession, installation records, and sealed fingerprint templates with their
erase commands and confirmations. Those are larger than one APS frame
(about 82 bytes), so they travel as a chunked transfer: ``transfer_begin``
announces kind, size and SHA-256, ``transfer_chunk`` carries at most
:data:`CHUNK_SIZE` bytes at an offset, ``transfer_commit`` asks the device to
check the digest and apply the object. Every step is answered by
``transfer_status``, except ``transfer_stream``: a chunk sent with the ZCL default response
disabled that the device takes without answering (devices that take it: meters), so only
``begin`` and ``commit`` are answered and the commit's answer names the offset the device
wants when a chunk went missing. Objects a device holds for the hub (its installation
record) are pulled with ``read_object``. A meter's readings are pulled with
``read_readings``: the meter sends the ``readings_chunk`` at the asked offset and every
further chunk of the bundle after it, unasked, all under the request's TSN; the hub asks
again at the offset it has when a chunk goes missing.

The cluster id and manufacturer code are provisional until a code is
assigned by the Connectivity Standards Alliance.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Final

import zigpy.types as t
from zigpy.zcl import Cluster
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    ZCLAttributeDef,
    ZCLCommandDef,
)

if TYPE_CHECKING:
    # zigpy's enum8 is an int-valued Enum whose constructor is untyped; IntEnum describes it
    # exactly, so calling our enums stays type-checked.
    _Enum8 = IntEnum
else:
    _Enum8 = t.enum8

CLUSTER_ID: Final = 0xFCB1
MANUFACTURER_CODE: Final = 0x1BB0
CHUNK_SIZE: Final = 48
MAX_CHUNK_SIZE: Final = 73
"""The most data one ``transfer_chunk`` frame carries in an 82-byte APS payload (the
manufacturer-specific ZCL header, transfer id, offset and length take 9); devices that
take it (meters) are sent erase commands in chunks this large."""
READINGS_CHUNK_SIZE: Final = 72
"""The most data one ``readings_chunk`` frame carries (header, size, offset and length: 10)."""


class ObjectKind(_Enum8):
    """What a transfer carries."""

    installation_record = 0x01
    grant = 0x02
    revocation = 0x03
    unlock = 0x04
    # A grant the hub issued under a landlord's booking delegation, with the delegation
    # (credentials.booking_delegation): the lock verifies the whole chain.
    delegated_grant = 0x07
    # Parking locks: the bay manager freezes and unfreezes a share member. These and
    # revocations carry a signed lock command (credentials.lock_command).
    freeze = 0x10
    unfreeze = 0x11
    # Community meters.
    erase_command = 0x05
    meter_identity = 0x06
    # Fingerprints on door locks: a landlord-signed station authorisation, a template sealed to
    # the lock, a signed erase of a template, and the lock's signed confirmation (read back).
    station_authorisation = 0x20
    sealed_template = 0x21
    template_erase = 0x22
    erase_confirmation = 0x23


class TransferStatus(_Enum8):
    """The device's answer to each step of a transfer."""

    in_progress = 0x00
    accepted = 0x01
    rejected = 0x02
    resume = 0x03


class Reason(_Enum8):
    """Why a device refused something; stable codes shared with the hub's errors."""

    none = 0x00
    malformed = 0x01
    oversized = 0x02
    unknown_issuer = 0x03
    bad_signature = 0x04
    wrong_audience = 0x05
    not_yet_valid = 0x06
    expired = 0x07
    revoked = 0x08
    proof_mismatch = 0x09
    stale_challenge = 0x0A
    uses_exhausted = 0x0B
    storage_full = 0x0C
    digest_mismatch = 0x0D
    unknown_transfer = 0x0E
    not_installed = 0x0F
    unknown_grant = 0x10
    unknown_credential = 0x11
    unsupported = 0x12
    # Share chains on parking locks.
    share_not_allowed = 0x20
    share_widens = 0x21
    broken_chain = 0x22
    transferred = 0x23
    frozen = 0x24
    share_limit = 0x25
    # Signed lock commands (revoke, freeze, unfreeze) and the revocation memory.
    unauthorised_command = 0x40
    revocations_full = 0x41
    busy = 0x42
    # Community meters.
    wrong_meter = 0x13
    unknown_reading = 0x14
    reading_mismatch = 0x15
    # Fingerprints (the names are the library's reason codes, see biometrics.errors).
    malformed_record = 0x30
    unknown_station = 0x31
    wrong_lock = 0x32
    replayed_template = 0x33
    stale_epoch = 0x34
    unsealable_template = 0x35
    radio_forbidden = 0x36
    erase_refused = 0x37
    stale_authorisation = 0x38


class BuildingHubCluster(Cluster):
    """Grants, proofs and records between the hub and our devices.

    Every attribute and command names our manufacturer code, as zigpy 2 asks of
    manufacturer-specific definitions; which way a command travels follows from
    the class it is declared in (server commands: hub to device).
    """

    cluster_id = t.ClusterId(CLUSTER_ID)
    name: Final = "Building Hub"
    ep_attribute = "building_hub"

    class AttributeDefs(BaseAttributeDefs):
        """Device state the hub reads."""

        device_time: Final = ZCLAttributeDef(
            id=0x0000,
            type=t.uint32_t,
            access="r",
            manufacturer_code=MANUFACTURER_CODE,
        )
        grant_count: Final = ZCLAttributeDef(
            id=0x0001,
            type=t.uint16_t,
            access="rp",
            manufacturer_code=MANUFACTURER_CODE,
        )
        free_slots: Final = ZCLAttributeDef(
            id=0x0002,
            type=t.uint16_t,
            access="r",
            manufacturer_code=MANUFACTURER_CODE,
        )
        pending_readings: Final = ZCLAttributeDef(
            id=0x0010,
            type=t.uint16_t,
            access="rp",
            manufacturer_code=MANUFACTURER_CODE,
        )
        forced_erasures: Final = ZCLAttributeDef(
            id=0x0011,
            type=t.uint32_t,
            access="rp",
            manufacturer_code=MANUFACTURER_CODE,
        )

    class ServerCommandDefs(BaseCommandDefs):
        """Hub to device."""

        transfer_begin: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "transfer_id": t.uint8_t,
                "kind": ObjectKind,
                "size": t.uint16_t,
                "digest": t.LVBytes,
            },
            manufacturer_code=MANUFACTURER_CODE,
        )
        transfer_chunk: Final = ZCLCommandDef(
            id=0x01,
            schema={"transfer_id": t.uint8_t, "offset": t.uint16_t, "data": t.LVBytes},
            manufacturer_code=MANUFACTURER_CODE,
        )
        transfer_commit: Final = ZCLCommandDef(
            id=0x02,
            schema={"transfer_id": t.uint8_t},
            manufacturer_code=MANUFACTURER_CODE,
        )
        challenge_request: Final = ZCLCommandDef(
            id=0x03,
            schema={},
            manufacturer_code=MANUFACTURER_CODE,
        )
        read_object: Final = ZCLCommandDef(
            id=0x04,
            schema={"kind": ObjectKind, "offset": t.uint16_t},
            manufacturer_code=MANUFACTURER_CODE,
        )
        purge_expired: Final = ZCLCommandDef(
            id=0x05,
            schema={},
            manufacturer_code=MANUFACTURER_CODE,
        )
        transfer_stream: Final = ZCLCommandDef(
            id=0x06,
            schema={"transfer_id": t.uint8_t, "offset": t.uint16_t, "data": t.LVBytes},
            manufacturer_code=MANUFACTURER_CODE,
        )
        read_readings: Final = ZCLCommandDef(
            id=0x10,
            schema={"after": t.uint32_t, "offset": t.uint16_t},
            manufacturer_code=MANUFACTURER_CODE,
        )

    class ClientCommandDefs(BaseCommandDefs):
        """Device to hub."""

        transfer_status: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "transfer_id": t.uint8_t,
                "status": TransferStatus,
                "next_offset": t.uint16_t,
                "reason": Reason,
            },
            manufacturer_code=MANUFACTURER_CODE,
        )
        challenge: Final = ZCLCommandDef(
            id=0x01,
            schema={"nonce": t.LVBytes},
            manufacturer_code=MANUFACTURER_CODE,
        )
        object_chunk: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "kind": ObjectKind,
                "size": t.uint16_t,
                "offset": t.uint16_t,
                "data": t.LVBytes,
            },
            manufacturer_code=MANUFACTURER_CODE,
        )
        purged: Final = ZCLCommandDef(
            id=0x03,
            schema={"count": t.uint16_t},
            manufacturer_code=MANUFACTURER_CODE,
        )
        readings_chunk: Final = ZCLCommandDef(
            id=0x10,
            schema={
                "size": t.uint16_t,
                "offset": t.uint16_t,
                "data": t.LVBytes,
            },
            manufacturer_code=MANUFACTURER_CODE,
        )
