"""The benchmark sections, in the order ``make bench`` runs them, and what a section provides.

A section is a module with these functions (``targets`` and ``headline`` may be left out):

* ``measure(ctx: Context) -> dict`` — run the benchmark; return the result to save (the figures
  that are reported, not raw samples);
* ``report(result) -> list[Block]`` — its tables and lines (:mod:`.fmt`), for the terminal and
  the generated part of docs/benchmarks.md;
* ``summary(result) -> (benchmark, result, target/check)`` — its row of the README table;
* ``targets(result) -> [(name, met)]`` — the checks that make ``ipamsync bench`` exit non-zero;
* ``headline(result) -> dict`` — the few figures kept per run in the history of bench/results.json.

A new section (a reconcile benchmark, a parallel soak, …) is a module with those functions and one
line in :data:`SECTIONS`: the command line (``--only``), the targets, bench/results.json, the
docs and the README table pick it up from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Section:
    key: str  # the name on the command line (``--only key``) and in bench/results.json
    title: str  # the heading in the terminal and in docs/benchmarks.md
    module: str  # the module implementing it (imported when the section is used)
    #: Command-line options that change what the section measures (repeated in its command).
    options: tuple[str, ...] = ()

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def targets(self, result: Mapping[str, Any]) -> list[tuple[str, bool]]:
        fn = getattr(self.load(), "targets", None)
        return list(fn(result)) if fn is not None else []

    def headline(self, result: Mapping[str, Any]) -> dict[str, Any]:
        fn = getattr(self.load(), "headline", None)
        return dict(fn(result)) if fn is not None else {}


_PKG = "ipamsync_local.bench"
SECTIONS: tuple[Section, ...] = (
    Section("calls", "SOLIDserver calls per event", f"{_PKG}.calls"),
    Section(
        "throughput",
        "Throughput and latency through the full local pipeline",
        f"{_PKG}.throughput",
        ("launches",),
    ),
    Section("coldstart", "Cold start", f"{_PKG}.coldstart"),
    Section("cost", "Cost per million events", f"{_PKG}.cost", ("launches",)),
    Section("emulator", "Emulator latency at scale", f"{_PKG}.emulator_bench"),
    Section("soak", "Soak (nothing lost, wrong or duplicated)", f"{_PKG}.soak"),
    Section("reconcile", "Reconcile: the cost of a plan", f"{_PKG}.reconcile"),
)


def all_keys() -> tuple[str, ...]:
    return tuple(s.key for s in SECTIONS)


def get(key: str) -> Section:
    for section in SECTIONS:
        if section.key == key:
            return section
    raise KeyError(key)


def _quiet(_: str) -> None:
    pass


@dataclass
class Context:
    """What a section's ``measure`` gets from the command line and from the run so far."""

    quick: bool = False
    launches: int | None = None  # ``--launches``
    log: Callable[[str], None] = _quiet  # progress, to stderr
    #: Results measured earlier in this run, by section key.
    measured: dict[str, Any] = field(default_factory=dict)
    #: The saved sections of bench/results.json (``latest.sections``), by section key.
    saved: Mapping[str, Any] = field(default_factory=dict)

    def size(self, full: T, quick: T) -> T:
        """The full run's size, or the ``--quick`` one."""
        return quick if self.quick else full
