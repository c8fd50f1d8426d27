"""The lock holds every declared dependency at a version pyproject.toml allows, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)")


def _pins(name: str) -> dict[str, list[Version]]:
    pins: dict[str, list[Version]] = {}
    lines = (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines()
    for line in lines:
        found = _PIN.match(line)
        if found:
            pins.setdefault(canonicalize_name(found[1]), []).append(Version(found[2]))
    return pins


def _declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        declared += [
            Requirement(r)
            for r in project["optional-dependencies"][extra]
            if not r.startswith("jfa-bot")
        ]
    return declared


@pytest.mark.parametrize(
    ("lock", "extras"), [("run.txt", ()), ("test.txt", ("test",)), ("dev.txt", ("test", "dev"))]
)
def test_every_declared_dependency_is_pinned_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    pins = _pins(lock)
    for requirement in [*_declared(*extras), Requirement("hatchling"), Requirement("editables")]:
        versions = pins.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements/{lock}: run requirements/lock"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements/{lock} pins {requirement.name}=={version}, outside "
                f"{requirement.specifier}: run requirements/lock"
            )


def test_every_pin_carries_a_hash() -> None:
    for lock in ("run.txt", "test.txt", "dev.txt"):
        text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
        for entry in entries:
            assert "--hash=sha256:" in entry, f"{lock}: {entry.splitlines()[0]} has no hash"


def test_every_dependency_has_an_upper_bound_on_its_next_major() -> None:
    for requirement in _declared("test", "dev"):
        if requirement.name == "tzdata":  # versioned by year: there is no major to bound
            continue
        assert any(spec.operator == "<" for spec in requirement.specifier), requirement


def test_every_classifier_is_one_pypi_knows() -> None:
    # hatchling (which refuses to build with an unknown classifier) brings this list; it is in
    # the lock, but not in an environment built from pyproject alone (requirements/test-newest).
    classifiers = pytest.importorskip("trove_classifiers").classifiers

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    unknown = [c for c in project["classifiers"] if c not in classifiers]
    assert not unknown
