"""What ``scripts/release`` builds, from the committed tree only (``git archive``), into ``dist/``.

``wheels/``           the four distributions; published as the release's assets, from where
                      a hub installs them (none of them is on PyPI).
``<domain>/``         what the integration's own HACS repository holds (HACS manages one
                      integration per repository): ``custom_components/<domain>/`` with its
                      manifest's requirements pointing at those wheels, ``hacs.json`` and
                      the integration's ``README.md``.
``<domain>.zip``      the release asset HACS downloads (``zip_release`` and ``filename`` in
                      ``hacs.json``) and unpacks into ``config/custom_components/<domain>/``:
                      the integration's files at the zip's root.
``SHA256SUMS``        of all of the above that is published as a file.

How a stock Home Assistant gets our requirements: at startup, and when a config flow
starts, it installs a custom integration's ``requirements`` one at a time with
``uv pip install --upgrade --constraint package_constraints.txt``, skipping every requirement
whose installed version already satisfies it (``homeassistant.util.package.is_installed``).
Each of our distributions is written as ``<wheel URL>#<name>==<version>``: the form Home
Assistant documents for a requirement that is not on PyPI (installed from the URL unless that
version is installed). Its version is checked locally, so a restart needs neither the release
host nor PyPI. A PEP 508 ``name @ URL`` requirement would not do: Home Assistant cannot
compare its version, so it calls uv again at every start, which fails while the host or
PyPI is unreachable; and hassfest refuses requirements with spaces. uv resolves a wheel's
dependency on another of ours only from what is installed, so a manifest lists them in
dependency order (the library before the glue); :func:`version_problems` checks that.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import string
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
INTEGRATIONS = ("rental_lock", "parking_lock", "community_meter")
# Each integration's own repository, which HACS users add as a custom repository.
REPOSITORIES = {
    "rental_lock": "building-hub/rental-lock",
    "parking_lock": "building-hub/parking-lock",
    "community_meter": "building-hub/community-meter",
}
DEFAULT_WHEEL_BASE_URL = "https://github.com/building-hub/building-hub/releases/download/v{version}"
CHECKSUMS = "SHA256SUMS"
# The keys HACS accepts in hacs.json (hacs/integration: utils/validate.py,
# HACS_MANIFEST_JSON_SCHEMA, which refuses any other key).
HACS_JSON_KEYS = frozenset(
    {
        "content_in_root",
        "country",
        "filename",
        "hacs",
        "hide_default_branch",
        "homeassistant",
        "persistent_directory",
        "render_readme",
        "zip_release",
        "name",
    }
)


class ReleaseError(Exception):
    """The tree cannot be released as it is; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Distribution:
    """One of our distributions, as its packaging/<folder>/pyproject.toml declares it."""

    name: str
    version: str
    folder: str
    packages: tuple[str, ...]
    requires: tuple[Requirement, ...]

    @property
    def wheel(self) -> str:
        """The file name ``pip wheel`` gives its wheel (pure Python, any platform)."""
        return f"{self.name.replace('-', '_')}-{self.version}-py3-none-any.whl"


@dataclass(frozen=True, slots=True)
class ReleaseTree:
    """What a tree says about the release: distributions, manifests, Home Assistant versions."""

    distributions: dict[str, Distribution]
    manifests: dict[str, dict[str, Any]]
    minimum_homeassistant: str
    tested_homeassistant: str

    @property
    def version(self) -> str:
        """The release's version: the library's (every other one must agree)."""
        return self.distributions["buildinghub"].version

    def ours(self, requirement: Requirement) -> Distribution | None:
        """The distribution a requirement names, if it is one of ours."""
        return self.distributions.get(canonicalize_name(requirement.name))


def read_tree(root: Path) -> ReleaseTree:
    """Read a tree's release metadata (the repository's or an exported copy's)."""
    distributions = {}
    for pyproject in sorted((root / "packaging").glob("*/pyproject.toml")):
        data = tomllib.loads(pyproject.read_text())
        project = data["project"]
        include = data["tool"]["setuptools"]["packages"]["find"]["include"]
        distribution = Distribution(
            name=canonicalize_name(project["name"]),
            version=project["version"],
            folder=pyproject.parent.name,
            packages=tuple(p for p in include if "*" not in p),
            requires=tuple(Requirement(r) for r in project.get("dependencies", [])),
        )
        distributions[distribution.name] = distribution
    manifests = {
        domain: json.loads((root / "custom_components" / domain / "manifest.json").read_text())
        for domain in INTEGRATIONS
    }
    hacs = json.loads((root / "hacs.json").read_text())
    tested = ""
    for line in (root / "requirements_test.txt").read_text().splitlines():
        if line.startswith("homeassistant=="):
            tested = line.split("==", 1)[1].split()[0]
    return ReleaseTree(distributions, manifests, str(hacs.get("homeassistant", "")), tested)


def dependency_order(tree: ReleaseTree, names: Iterable[str]) -> list[Distribution]:
    """Our distributions ``names`` need, each after the ones it depends on."""
    ordered: list[Distribution] = []

    def visit(distribution: Distribution) -> None:
        for requirement in distribution.requires:
            if (dependency := tree.ours(requirement)) is not None:
                visit(dependency)
        if distribution not in ordered:
            ordered.append(distribution)

    for name in names:
        visit(tree.distributions[canonicalize_name(name)])
    return ordered


def version_problems(tree: ReleaseTree) -> list[str]:
    """Everything in the tree that disagrees about versions; empty when it can be released."""
    problems = []
    version = tree.version
    for distribution in tree.distributions.values():
        if distribution.version != version:
            problems.append(
                f"packaging/{distribution.folder}/pyproject.toml: version "
                f"{distribution.version}, but buildinghub is {version}"
            )
        for requirement in distribution.requires:
            if tree.ours(requirement) and version not in requirement.specifier:
                problems.append(
                    f"packaging/{distribution.folder}/pyproject.toml: {requirement} "
                    f"does not admit {version}"
                )
    for domain, manifest in tree.manifests.items():
        where = f"custom_components/{domain}/manifest.json"
        if manifest.get("version") != version:
            problems.append(f"{where}: version {manifest.get('version')}, not {version}")
        requirements = [Requirement(r) for r in manifest.get("requirements", [])]
        ours = [r for r in requirements if tree.ours(r)]
        for requirement in ours:
            if version not in requirement.specifier:
                problems.append(f"{where}: {requirement} does not admit {version}")
        listed = [canonicalize_name(r.name) for r in ours]
        needed = [d.name for d in dependency_order(tree, listed)]
        if listed != needed:
            problems.append(
                f"{where}: requirements name {listed}; Home Assistant installs them one by one "
                f"and finds ours nowhere but installed, so list {needed} in that order"
            )
    if tree.minimum_homeassistant != tree.tested_homeassistant:
        problems.append(
            f"hacs.json: homeassistant {tree.minimum_homeassistant!r}, but the tests run "
            f"{tree.tested_homeassistant!r} (requirements_test.txt): state what is tested"
        )
    return problems


def release_requirements(
    manifest: dict[str, Any], tree: ReleaseTree, wheel_base_url: str
) -> list[str]:
    """The manifest's requirements with each of ours pointing at its wheel in the release."""
    released = []
    for line in manifest.get("requirements", []):
        distribution = tree.ours(Requirement(line))
        if distribution is None:
            released.append(line)
        else:
            url = f"{wheel_base_url.rstrip('/')}/{distribution.wheel}"
            released.append(f"{url}#{distribution.name}=={distribution.version}")
    return released


def hacs_json(domain: str, manifest: dict[str, Any], tree: ReleaseTree) -> dict[str, Any]:
    """The integration repository's hacs.json: HACS installs the release zip."""
    return {
        "name": manifest["name"],
        "content_in_root": False,
        "zip_release": True,
        "filename": f"{domain}.zip",
        "homeassistant": tree.minimum_homeassistant,
        "render_readme": True,
    }


# -- building ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """The committed tree, exported."""

    path: Path
    commit: str
    timestamp: int


def export(root: Path, ref: str, into: Path) -> Source:
    """``git archive`` of ``ref`` unpacked into ``into``: only what is committed."""

    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603 - git with our own arguments
            ["git", "-C", str(root), *args],  # noqa: S607 - git from PATH, as a developer runs it
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    except subprocess.CalledProcessError as err:
        raise ReleaseError(f"{ref} is not a commit of {root}: {err.stderr.strip()}") from err
    timestamp = int(git("log", "-1", "--format=%ct", commit))
    archive = subprocess.run(  # noqa: S603
        ["git", "-C", str(root), "archive", "--format=tar", commit],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return Source(into, commit, timestamp)


def build_wheels(source: Source, tree: ReleaseTree, out: Path) -> list[Path]:
    """``pip wheel --no-deps`` of each distribution, checked for what it holds."""
    out.mkdir(parents=True)
    folders = [str(source.path / "packaging" / d.folder) for d in tree.distributions.values()]
    # Wheels whose file dates are the commit's: the same commit builds the same bytes.
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(source.timestamp)}
    done = subprocess.run(  # noqa: S603 - pip with our own arguments
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(out),
            *folders,
        ],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=source.path,
    )
    if done.returncode != 0:
        raise ReleaseError(f"pip wheel failed:\n{done.stdout}{done.stderr}")
    wheels = []
    for distribution in tree.distributions.values():
        wheel = out / distribution.wheel
        if not wheel.exists():
            raise ReleaseError(f"pip wheel made no {distribution.wheel} (made {os.listdir(out)})")
        _check_wheel(wheel, distribution, source.path)
        wheels.append(wheel)
    return wheels


def _check_wheel(wheel: Path, distribution: Distribution, tree: Path) -> None:
    """The wheel holds every committed file of its packages, its metadata, and nothing else.

    setuptools leaves out a package's files that are not Python (no MANIFEST.in, no
    package-data) without a word; a hub would only find out when it reads one.
    """
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = f"{distribution.name.replace('-', '_')}-{distribution.version}.dist-info"
        metadata = archive.read(f"{info}/METADATA").decode()
    if f"Name: {distribution.name}\n" not in metadata.replace("_", "-"):
        raise ReleaseError(f"{wheel.name}: its METADATA names another distribution")
    top = {name.split("/", 1)[0] for name in names} - {info}
    if top != set(distribution.packages):
        raise ReleaseError(f"{wheel.name} holds {sorted(top)}, not {list(distribution.packages)}")
    strays = [n for n in names if n.endswith("ruff.toml") or "/tests/" in n]
    if strays:
        raise ReleaseError(f"{wheel.name} holds files that are not shipped: {strays}")
    committed = {
        path.relative_to(tree).as_posix()
        for package in distribution.packages
        for path in (tree / package).rglob("*")
        if path.is_file() and path.name != "ruff.toml"
    }
    if missing := sorted(committed - set(names)):
        raise ReleaseError(f"{wheel.name} lacks committed files: {missing}")


def build_integration(
    source: Source, tree: ReleaseTree, domain: str, wheel_base_url: str, out: Path
) -> tuple[Path, Path]:
    """The integration's HACS repository content in ``out/<domain>`` and its release zip."""
    manifest = dict(tree.manifests[domain])
    manifest["requirements"] = release_requirements(manifest, tree, wheel_base_url)
    repository = out / domain
    folder = repository / "custom_components" / domain
    shutil.copytree(source.path / "custom_components" / domain, folder)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    hacs = hacs_json(domain, manifest, tree)
    (repository / "hacs.json").write_text(json.dumps(hacs, indent=2) + "\n")
    readmes = source.path / "packaging" / "hacs"
    text = (readmes / f"{domain}.md").read_text() + (readmes / "INSTALL.md").read_text()
    template = string.Template(text)
    (repository / "README.md").write_text(
        template.substitute(
            domain=domain,
            version=tree.version,
            homeassistant=tree.minimum_homeassistant,
            zip=hacs["filename"],
            requirements="\n".join(f"- `{r}`" for r in manifest["requirements"]),
        )
    )
    archive = out / hacs["filename"]
    _write_zip(archive, folder, source.timestamp)
    return repository, archive


def _write_zip(archive: Path, folder: Path, timestamp: int) -> None:
    """The folder's files at the zip's root, sorted, dated by the commit: reproducible."""
    date_time = time.gmtime(timestamp)[:6]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts:
                continue
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, path.read_bytes())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / CHECKSUMS).exists():
            raise ReleaseError(f"{out} is not empty and holds no earlier release: not touching it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def build(root: Path, out: Path, ref: str, wheel_base_url: str) -> list[Path]:
    """Build every artifact of the release of ``ref`` into ``out``; the files to publish."""
    _prepare_out(out)
    with tempfile.TemporaryDirectory(prefix="buildinghub-release-") as work:
        source = export(root, ref, Path(work) / "tree")
        tree = read_tree(source.path)
        if problems := version_problems(tree):
            raise ReleaseError("versions disagree:\n  " + "\n  ".join(problems))
        base = wheel_base_url.format(version=tree.version)
        if not base.startswith(("https://", "http://")):
            # uv reads '#name==version' off http(s) URLs only, not off file:// paths.
            raise ReleaseError(f"--wheel-base-url must be an http(s) URL, not {base}")
        published = build_wheels(source, tree, out / "wheels")
        for domain in INTEGRATIONS:
            _, archive = build_integration(source, tree, domain, base, out)
            published.append(archive)
    (out / CHECKSUMS).write_text(
        "".join(f"{_sha256(p)}  {p.relative_to(out)}\n" for p in published)
    )
    print(f"==> release {tree.version} of {source.commit[:12]} in {out} (wheels from {base})")
    return published


def _listing(out: Path, published: list[Path]) -> Iterator[str]:
    for path in published:
        yield f"   {path.stat().st_size:>9,} B  {path.relative_to(out)}"
    for domain in INTEGRATIONS:
        yield f"   {'':>11}  {domain}/  (content of github.com/{REPOSITORIES[domain]})"


def _uncommitted(root: Path) -> bool:
    status = subprocess.run(  # noqa: S603
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return bool(status.strip())


def main(argv: list[str] | None = None) -> int:
    """``scripts/release [--out DIR] [--ref REF] [--wheel-base-url URL]``."""
    parser = argparse.ArgumentParser(
        prog="scripts/release", description="Build the release artifacts from a commit."
    )
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="default: dist/")
    parser.add_argument("--ref", default="HEAD", help="the commit to release (default: HEAD)")
    parser.add_argument(
        "--wheel-base-url",
        default=DEFAULT_WHEEL_BASE_URL,
        help="where the wheels will be published; {version} is the release's version "
        f"(default: {DEFAULT_WHEEL_BASE_URL})",
    )
    args = parser.parse_args(argv)
    if args.ref == "HEAD" and _uncommitted(ROOT):
        print("==> note: uncommitted changes are not in the release (it is built from HEAD)")
    try:
        published = build(ROOT, args.out.resolve(), args.ref, args.wheel_base_url)
    except ReleaseError as err:
        print(f"scripts/release: {err}", file=sys.stderr)
        return 1
    print("\n".join(_listing(args.out.resolve(), published)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
