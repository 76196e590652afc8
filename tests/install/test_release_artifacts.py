"""What scripts/release builds: committed files only, laid out as HACS and Home Assistant read."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scripts.release_artifacts import (
    HACS_JSON_KEYS,
    INTEGRATIONS,
    ReleaseError,
    build,
    read_tree,
    version_problems,
)
from tests.install.stock_hub import ROOT

BASE = "https://releases.example/building-hub/v{version}"
STRAY = "stray_untracked.py"


def _clone(path: Path) -> Path:
    """A clone of this repository at its HEAD commit."""
    subprocess.run(["git", "clone", "--quiet", "--local", str(ROOT), str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "checkout", "--quiet", _head()], check=True)
    return path


def _git(path: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository at HEAD with an uncommitted edit and an untracked file."""
    path = _clone(tmp_path_factory.mktemp("clone") / "repository")
    folder = path / "custom_components" / "rental_lock"
    (folder / STRAY).write_text("raise SystemExit('not committed')\n")
    manifest = folder / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"Rental Lock"', '"Edited, not committed"'))
    return path


def _head() -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def dist(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release of the clone's HEAD."""
    out = tmp_path_factory.mktemp("dist")
    build(clone, out, "HEAD", BASE)
    return out


def _files(folder: Path) -> Iterator[str]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(folder).as_posix()


def test_the_repository_agrees_on_its_versions() -> None:
    assert version_problems(read_tree(ROOT)) == []


def test_a_manifest_naming_the_glue_before_the_library_cannot_be_released() -> None:
    tree = read_tree(ROOT)
    manifest = dict(tree.manifests["rental_lock"])
    manifest["requirements"] = list(reversed(manifest["requirements"]))
    wrong = replace(tree, manifests={**tree.manifests, "rental_lock": manifest})
    (problem,) = version_problems(wrong)
    assert "rental_lock/manifest.json" in problem
    assert "['buildinghub', 'buildinghub-ha'] in that order" in problem


def test_a_release_of_another_minimum_than_the_tested_home_assistant_is_refused() -> None:
    tree = replace(read_tree(ROOT), minimum_homeassistant="2025.4.4")
    assert any("hacs.json" in p and "2025.4.4" in p for p in version_problems(tree))


def test_only_committed_files_are_released(dist: Path) -> None:
    folder = dist / "rental_lock" / "custom_components" / "rental_lock"
    assert not (folder / STRAY).exists()
    assert json.loads((folder / "manifest.json").read_text())["name"] == "Rental Lock"
    with zipfile.ZipFile(dist / "rental_lock.zip") as archive:
        assert STRAY not in archive.namelist()


@pytest.mark.parametrize("domain", INTEGRATIONS)
def test_each_repository_holds_one_integration_and_a_hacs_json_hacs_accepts(
    dist: Path, domain: str
) -> None:
    repository = dist / domain
    assert sorted(p.name for p in (repository / "custom_components").iterdir()) == [domain]
    hacs = json.loads((repository / "hacs.json").read_text())
    assert set(hacs) <= HACS_JSON_KEYS
    assert hacs["zip_release"] is True
    assert hacs["filename"] == f"{domain}.zip"
    assert hacs["homeassistant"] == read_tree(ROOT).tested_homeassistant
    assert (
        hacs["name"]
        == json.loads((ROOT / "custom_components" / domain / "manifest.json").read_text())["name"]
    )
    assert (repository / "README.md").read_text().startswith("# ")


@pytest.mark.parametrize("domain", INTEGRATIONS)
def test_the_released_manifest_has_the_keys_hacs_requires(dist: Path, domain: str) -> None:
    # hacs/integration utils/validate.py, INTEGRATION_MANIFEST_JSON_SCHEMA
    folder = dist / domain / "custom_components" / domain
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["domain"] == domain
    assert manifest["name"]
    assert isinstance(manifest["codeowners"], list)
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert manifest["version"] == read_tree(ROOT).version


@pytest.mark.parametrize("domain", INTEGRATIONS)
def test_the_zip_unpacks_into_custom_components_as_the_repository_holds_it(
    dist: Path, domain: str
) -> None:
    folder = dist / domain / "custom_components" / domain
    with zipfile.ZipFile(dist / f"{domain}.zip") as archive:
        assert sorted(archive.namelist()) == list(_files(folder))
        assert "manifest.json" in archive.namelist()
        assert not [n for n in archive.namelist() if "__pycache__" in n]


@pytest.mark.parametrize("domain", INTEGRATIONS)
def test_the_released_manifest_names_our_wheels_by_url_and_version(dist: Path, domain: str) -> None:
    tree = read_tree(ROOT)
    folder = dist / domain / "custom_components" / domain
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version"] == tree.version
    base = BASE.format(version=tree.version)
    for line in manifest["requirements"]:
        assert " " not in line  # hassfest refuses requirements with spaces
        url, _, pinned = line.partition("#")
        requirement = Requirement(pinned)
        distribution = tree.distributions[requirement.name]
        assert str(requirement.specifier) == f"=={tree.version}"
        assert url == f"{base}/{distribution.wheel}"
        assert (dist / "wheels" / distribution.wheel).exists()


def test_every_distribution_has_its_wheel_and_the_checksums_cover_what_is_published(
    dist: Path,
) -> None:
    tree = read_tree(ROOT)
    wheels = sorted(p.name for p in (dist / "wheels").iterdir())
    assert wheels == sorted(d.wheel for d in tree.distributions.values())
    listed = {line.split("  ", 1)[1] for line in (dist / "SHA256SUMS").read_text().splitlines()}
    assert listed == {f"wheels/{w}" for w in wheels} | {f"{d}.zip" for d in INTEGRATIONS}


def test_a_folder_that_is_not_a_release_is_not_overwritten(clone: Path, tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ReleaseError, match="not touching it"):
        build(clone, tmp_path, "HEAD", BASE)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_the_same_commit_builds_the_same_bytes(clone: Path, dist: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build(clone, again, "HEAD", BASE)
    assert (again / "SHA256SUMS").read_text() == (dist / "SHA256SUMS").read_text()


def test_a_committed_file_the_wheel_would_leave_out_stops_the_release(tmp_path: Path) -> None:
    clone = _clone(tmp_path / "repository")
    (clone / "buildinghub" / "keylog" / "vectors.json").write_text("[]\n")
    _git(clone, "add", "buildinghub/keylog/vectors.json")
    _git(clone, "commit", "--quiet", "-m", "a data file setuptools does not package")
    with pytest.raises(ReleaseError, match=r"lacks committed files: \['buildinghub/keylog/vec"):
        build(clone, tmp_path / "dist", "HEAD", BASE)
