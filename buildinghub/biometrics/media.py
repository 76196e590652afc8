"""Sealed templates on removable media (SPEC R9): a USB stick or SD card, read at the lock's port.

On the medium, in the folder ``buildinghub-templates/``, each bundle is two files:

    template-<template id hex>-e<epoch>.bundle          the sealed bundle, byte for byte
    template-<template id hex>-e<epoch>.manifest.json   {"format": "buildinghub-sealed-template",
        "version": 1, "building", "lock", "template_id" (hex), "epoch", "bundle" (file name),
        "size", "sha256" (hex)}

Both are written atomically (keylog.atomic_file: temporary file, fsync, rename, fsync of the
folder), bundle first, so a manifest only ever names a complete bundle. The manifest is not
trusted: it lets a lock find the bundles for it and reject a truncated or swapped file before
parsing; the bundle's station signature and sealing protect it (see sealing). The importer
reads no more than it accepts: at most MAX_ENTRIES manifests, each at most MAX_MANIFEST_BYTES,
regular files only (no symlinks), bundle names rebuilt from the manifest's values, never taken
from it.
"""

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from buildinghub.credentials.signed_record import MalformedRecord
from buildinghub.keylog.atomic_file import write_atomically

from .errors import MediaRefused
from .sealing import MAX_BUNDLE_BYTES, SealedBundle, read_bundle

MEDIA_FOLDER: Final = "buildinghub-templates"
FORMAT: Final = "buildinghub-sealed-template"
VERSION: Final = 1
MAX_MANIFEST_BYTES: Final = 1024
MAX_ENTRIES: Final = 64
_MANIFEST_SUFFIX: Final = ".manifest.json"
_MANIFEST_NAME: Final = re.compile(r"template-[0-9a-f]{32}-e[0-9]{1,19}\.manifest\.json")
_HEX_32: Final = re.compile(r"[0-9a-f]{32}")
_HEX_64: Final = re.compile(r"[0-9a-f]{64}")
_MANIFEST_KEYS: Final = frozenset(
    ("format", "version", "building", "lock", "template_id", "epoch", "bundle", "size", "sha256")
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """An entry on a medium that was not imported: which, the reason code, and what to check."""

    entry: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class MediaImport:
    """What a lock found on a medium: bundles for it, and entries it refused with why."""

    bundles: tuple[SealedBundle, ...] = field(repr=False)
    refused: tuple[Refusal, ...]


def export_bundle(bundle: bytes, medium: Path) -> Path:
    """Write a sealed bundle and its manifest to the medium; returns the manifest's path."""
    parsed = read_bundle(bundle)
    folder = medium / MEDIA_FOLDER
    folder.mkdir(exist_ok=True)
    stem = _stem(parsed.binding.template_id, parsed.binding.epoch)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "building": parsed.binding.building,
        "lock": parsed.binding.lock,
        "template_id": parsed.binding.template_id.hex(),
        "epoch": parsed.binding.epoch,
        "bundle": f"{stem}.bundle",
        "size": len(bundle),
        "sha256": hashlib.sha256(bundle).hexdigest(),
    }
    write_atomically(folder / f"{stem}.bundle", bundle)
    manifest_path = folder / f"{stem}{_MANIFEST_SUFFIX}"
    write_atomically(manifest_path, json.dumps(manifest, sort_keys=True).encode())
    return manifest_path


def import_bundles(medium: Path, *, building: str, lock: str) -> MediaImport:
    """Read the bundles for this lock from a medium (what the lock's physical port does).

    Entries for other locks are skipped; a malformed entry for this lock is refused with its
    reason and the others are still read. Bundles are parsed, not trusted: open each with the
    lock's TemplateOpener. MediaRefused when the medium has no template folder or too many
    entries.
    """
    folder = medium / MEDIA_FOLDER
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        raise MediaRefused(f"the medium has no readable {MEDIA_FOLDER} folder") from None
    manifests = [name for name in names if name.endswith(_MANIFEST_SUFFIX)]
    if len(manifests) > MAX_ENTRIES:
        raise MediaRefused(f"the medium holds {len(manifests)} manifests, more than {MAX_ENTRIES}")
    bundles: list[SealedBundle] = []
    refused: list[Refusal] = []
    for name in manifests:
        try:
            bundle = _read_entry(folder, name, building=building, lock=lock)
        except MediaRefused as err:
            refused.append(Refusal(name, err.reason, str(err)))
            continue
        if bundle is not None:
            bundles.append(bundle)
    return MediaImport(tuple(bundles), tuple(refused))


@dataclass(frozen=True, slots=True)
class _Manifest:
    building: str
    lock: str
    template_id: bytes
    epoch: int
    bundle: str
    size: int
    sha256: str


def _read_entry(folder: Path, name: str, *, building: str, lock: str) -> SealedBundle | None:
    if not _MANIFEST_NAME.fullmatch(name):
        raise MediaRefused("the manifest's file name is not one an export writes")
    manifest = _parse_manifest(_read_regular_file(folder / name, MAX_MANIFEST_BYTES))
    if manifest.lock != lock or manifest.building != building:
        return None
    stem = _stem(manifest.template_id, manifest.epoch)
    if name != f"{stem}{_MANIFEST_SUFFIX}" or manifest.bundle != f"{stem}.bundle":
        raise MediaRefused("the manifest's file names do not match its template id and epoch")
    data = _read_regular_file(folder / manifest.bundle, MAX_BUNDLE_BYTES)
    if len(data) != manifest.size or hashlib.sha256(data).hexdigest() != manifest.sha256:
        raise MediaRefused("the bundle is not the one its manifest describes: truncated or swapped")
    try:
        bundle = read_bundle(data)
    except MalformedRecord as err:
        raise MediaRefused(f"the bundle is malformed: {err}") from None
    binding = bundle.binding
    if (binding.building, binding.lock, binding.template_id, binding.epoch) != (
        manifest.building,
        manifest.lock,
        manifest.template_id,
        manifest.epoch,
    ):
        raise MediaRefused("the bundle's header does not match its manifest")
    return bundle


def _parse_manifest(data: bytes) -> _Manifest:
    def refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise MediaRefused("the manifest repeats a key")
        return dict(pairs)

    try:
        manifest = json.loads(data.decode("utf-8"), object_pairs_hook=refuse_duplicates)
    except UnicodeDecodeError, json.JSONDecodeError:
        raise MediaRefused("the manifest is not JSON") from None
    if type(manifest) is not dict or manifest.keys() != _MANIFEST_KEYS:
        raise MediaRefused(f"a manifest has exactly the keys {sorted(_MANIFEST_KEYS)}")
    if manifest["format"] != FORMAT or manifest["version"] != VERSION:
        raise MediaRefused(f"not a {FORMAT} manifest of version {VERSION}")
    building, lock, bundle = (
        _manifest_text(manifest, key) for key in ("building", "lock", "bundle")
    )
    epoch, size = (_manifest_uint(manifest, key) for key in ("epoch", "size"))
    template_id, sha256 = manifest["template_id"], manifest["sha256"]
    if type(template_id) is not str or not _HEX_32.fullmatch(template_id):
        raise MediaRefused("manifest template_id must be 32 lowercase hex digits")
    if type(sha256) is not str or not _HEX_64.fullmatch(sha256):
        raise MediaRefused("manifest sha256 must be 64 lowercase hex digits")
    return _Manifest(building, lock, bytes.fromhex(template_id), epoch, bundle, size, sha256)


def _manifest_text(manifest: dict[str, object], key: str) -> str:
    value = manifest[key]
    if type(value) is not str or not 1 <= len(value) <= 128:
        raise MediaRefused(f"manifest {key} must be text of 1 to 128 characters")
    return value


def _manifest_uint(manifest: dict[str, object], key: str) -> int:
    value = manifest[key]
    if type(value) is not int or not 0 <= value < 2**63:
        raise MediaRefused(f"manifest {key} must be a non-negative integer")
    return value


def _read_regular_file(path: Path, limit: int) -> bytes:
    # O_NOFOLLOW and fstat: a symlink or device on the medium is refused, not followed, and
    # the size is checked before reading; then at most limit + 1 bytes are read in any case.
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise MediaRefused(f"{path.name} is missing or is not a regular file") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise MediaRefused(f"{path.name} is not a regular file")
        if status.st_size > limit:
            raise MediaRefused(f"{path.name} is {status.st_size} bytes, more than {limit}")
        data = os.read(descriptor, limit + 1)
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise MediaRefused(f"{path.name} is more than {limit} bytes")
    return data


def _stem(template_id: bytes, epoch: int) -> str:
    return f"template-{template_id.hex()}-e{epoch}"
