"""A person's own directory for the people's command lines: private keys and public profile.

    signing.pem   the ES256 key registered in the key ledger (mode 0600, never printed)
    sealing.pem   the P-256 key others seal to: stored payments, credit answers (mode 0600)
    profile.json  role, name and identity lookup hash (public)

Keys are made where they live and never leave this directory; only public keys are printed.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.sealing import SealingKey

from .entries import Role
from .identity import LOOKUP_HASH_LENGTH

SIGNING_FILE: Final = "signing.pem"
SEALING_FILE: Final = "sealing.pem"
PROFILE_FILE: Final = "profile.json"


class HomeError(Exception):
    """The directory holds no usable keys or profile (or already holds some)."""


@dataclass(frozen=True, slots=True)
class PersonHome:
    """A landlord's or a tenant's keys and profile."""

    directory: Path
    role: Role
    name: str
    identity: bytes
    signing_key: SigningKey
    sealing_key: SealingKey

    def public(self) -> dict[str, str]:
        """What may be shown and shared: role, name, key id and public keys."""
        return {
            "role": self.role.value,
            "name": self.name,
            "identity": self.identity.hex(),
            "kid": self.signing_key.public_key.kid.hex(),
            "signing_key": base64.b64encode(self.signing_key.public_key.to_bytes()).decode(),
            "sealing_key": base64.b64encode(self.sealing_key.public_key.to_bytes()).decode(),
        }

    def require(self, role: Role) -> None:
        """Refuse a command meant for another role."""
        if self.role is not role:
            raise HomeError(
                f"this is a {role.value}'s command; {self.directory} is a {self.role.value}'s"
            )


def write_private(path: Path, data: bytes) -> None:
    """Create path (never overwrite) readable by its owner only, with data."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def create_home(
    directory: Path,
    role: Role,
    name: str,
    identity_hex: str,
    *,
    signing_key: SigningKey | None = None,
) -> PersonHome:
    """Make fresh keys (or keep the signing key the person already holds, e.g. the key a
    landlord installed their locks with) and the profile in directory; never overwrites."""
    if not 1 <= len(name) <= 64:
        raise HomeError("the name is 1 to 64 characters")
    try:
        identity = bytes.fromhex(identity_hex)
    except ValueError:
        identity = b""
    if len(identity) != LOOKUP_HASH_LENGTH:
        raise HomeError(
            f"the identity is the {2 * LOOKUP_HASH_LENGTH}-hex-digit lookup hash from the identity "
            f"check, never the identity number"
        )
    directory.mkdir(parents=True, exist_ok=True)
    existing = [f for f in (SIGNING_FILE, SEALING_FILE, PROFILE_FILE) if (directory / f).exists()]
    if existing:
        raise HomeError(f"{directory} already holds {', '.join(existing)}: keys are never replaced")
    signing = signing_key or SigningKey.generate()
    sealing = SealingKey.generate()
    write_private(directory / SIGNING_FILE, signing.to_pem())
    write_private(directory / SEALING_FILE, sealing.to_pem())
    profile = {"role": role.value, "name": name, "identity": identity.hex()}
    (directory / PROFILE_FILE).write_text(json.dumps(profile, indent=2) + "\n")
    return PersonHome(directory, role, name, identity, signing, sealing)


def open_home(directory: Path) -> PersonHome:
    """Load the keys and profile in directory."""
    try:
        profile = json.loads((directory / PROFILE_FILE).read_text())
        signing = SigningKey.from_pem((directory / SIGNING_FILE).read_bytes())
        sealing = SealingKey.from_pem((directory / SEALING_FILE).read_bytes())
        return PersonHome(
            directory,
            Role(profile["role"]),
            str(profile["name"]),
            bytes.fromhex(profile["identity"]),
            signing,
            sealing,
        )
    except FileNotFoundError as err:
        raise HomeError(
            f"{directory} has no {Path(str(err.filename)).name}: run keygen there first"
        ) from None
    except (ValueError, KeyError, TypeError, CredentialError) as err:
        raise HomeError(f"{directory} holds an unreadable profile or key: {err}") from None
