"""The locks agree with pyproject.toml and with each other (offline; `make lock` regenerates them).

requirements/lock.txt is the development set (runtime, `local` extra, `dev` group); src/requirements.txt
is the layer's, installed --no-deps for python3.13/arm64 by src/Makefile. Both come from one
`make lock`; these checks catch a pyproject.toml edited without it, or a lock edited by hand.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)")
# Left to the Lambda runtime (requirements/layer-excludes.txt and what only they need).
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "python-dateutil", "six"}


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _hashed(path: Path) -> bool:
    """Every pinned package is followed by at least one --hash line."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
    return all("--hash=sha256:" in entry for entry in entries if PIN.match(entry))


LOCK = _pins(REPO / "requirements" / "lock.txt")
LAYER = _pins(REPO / "src" / "requirements.txt")


def test_every_declared_requirement_is_locked() -> None:
    declared = [
        *PYPROJECT["project"]["dependencies"],
        *(r for extra in PYPROJECT["project"]["optional-dependencies"].values() for r in extra),
        *PYPROJECT["dependency-groups"]["dev"],
    ]
    stale = []
    for text in declared:
        req = Requirement(text)
        version = LOCK.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            stale.append(f"{text} (locked: {version})")
    assert not stale, f"requirements/lock.txt is behind pyproject.toml, run `make lock`: {stale}"


def test_locks_are_hashed() -> None:
    assert _hashed(REPO / "requirements" / "lock.txt")
    assert _hashed(REPO / "src" / "requirements.txt")


def test_layer_pins_are_the_lock_s_versions_without_the_aws_sdk() -> None:
    assert LAYER, "src/requirements.txt pins nothing"
    assert {name: LOCK.get(name) for name in LAYER} == LAYER
    assert not RUNTIME_PROVIDED & set(LAYER)
    for text in PYPROJECT["project"]["dependencies"]:
        name = canonicalize_name(Requirement(text).name)
        assert name in LAYER or name in RUNTIME_PROVIDED, name


def test_build_backend_is_the_locked_one() -> None:
    """`make install` builds the editable package without build isolation, with the lock's hatchling."""
    for text in PYPROJECT["build-system"]["requires"]:
        req = Requirement(text)
        assert req.specifier.contains(LOCK[canonicalize_name(req.name)]), text
