"""``ipamsync bench``: options, section dispatch, targets → exit status, saving. The sections'
``measure`` is stubbed with the saved results of bench/results.json (their real reports, summaries
and targets run on them)."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ipamsync_local.bench import cli, cost
from ipamsync_local.bench import results as res
from ipamsync_local.bench import sections as reg
from ipamsync_local.cli import main

SAVED = res.load(res.RESULTS_PATH)["latest"]["sections"]
#: The exit status the saved figures give (the cost target is missed at the default logging: README, Cost).
SAVED_EXIT = 0 if all(met for s in reg.SECTIONS for _, met in s.targets(SAVED[s.key]["result"])) else 1


def _result(key: str) -> dict[str, Any]:
    return copy.deepcopy(SAVED[key]["result"])


def _stub(monkeypatch: pytest.MonkeyPatch, **results: Any) -> list[str]:
    """Every section's ``measure`` returns its saved result (or ``results[key]``; an exception is
    raised); the keys measured, in order, are returned."""
    ran: list[str] = []
    for section in reg.SECTIONS:

        def measure(ctx: reg.Context, key: str = section.key) -> dict[str, Any]:
            ran.append(key)
            value = results.get(key, _result(key))
            if isinstance(value, Exception):
                raise value
            return value

        monkeypatch.setattr(section.load(), "measure", measure)
    monkeypatch.setattr(res, "machine_facts", lambda: {"cpu": "stub", "cores": 2})
    return ran


def _paths(tmp_path: Path) -> list[str]:
    return ["--results", str(tmp_path / "results.json"), "--docs", str(tmp_path / "benchmarks.md")]


def test_only_accepts_known_sections_in_canonical_order() -> None:
    assert cli._sections("cost,calls") == ["calls", "cost"]
    with pytest.raises(argparse.ArgumentTypeError):
        cli._sections("calls,nope")


def test_all_sections_run_and_are_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = _stub(monkeypatch)
    assert main(["bench", *_paths(tmp_path)]) == SAVED_EXIT
    assert ran == list(reg.all_keys())
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["latest"]["command"] == "make bench"
    assert list(data["latest"]["sections"]) == list(reg.all_keys())
    assert data["latest"]["sections"]["calls"]["command"] == "ipamsync bench --only calls"
    assert [h["command"] for h in data["history"]] == ["make bench"]
    out = capsys.readouterr().out
    assert "✔ calls: replay makes 0 writes (0)" in out
    assert ("✘" in out) == bool(SAVED_EXIT)
    assert res.readme_table({"sections": SAVED}) in out  # the same figures, the same README table
    assert "BEGIN GENERATED" in (tmp_path / "benchmarks.md").read_text()


def test_a_missed_target_or_a_failure_is_a_non_zero_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _result("calls")
    calls["scenarios"][0]["ratio"] = 2.0
    _stub(monkeypatch, calls=calls)
    assert main(["bench", "--only", "calls", "--no-save", *_paths(tmp_path)]) == 1
    assert "✘ calls: new instance, new VPC succeeded, ≤ 1.5 x minimum (2.00)" in capsys.readouterr().out
    ran = _stub(monkeypatch, emulator=RuntimeError("boom"))
    assert main(["bench", "--only", "emulator,soak", "--no-save", *_paths(tmp_path)]) == 1
    assert ran == ["emulator", "soak"]  # a failure does not hide the other sections
    assert "emulator FAILED: RuntimeError: boom" in capsys.readouterr().out
    assert not (tmp_path / "results.json").exists()


def test_soak_counts_become_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stub(monkeypatch, soak={**_result("soak"), "duplicates": 1})
    assert main(["bench", "--only", "soak", "--quick", *_paths(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "✔ soak: lost = 0 (0)" in out and "✘ soak: duplicates = 0 (1)" in out
    assert not (tmp_path / "results.json").exists()  # --quick is never saved


def test_a_partial_run_keeps_the_other_sections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub(monkeypatch)
    assert main(["bench", *_paths(tmp_path)]) == SAVED_EXIT
    emulator = {**_result("emulator"), "addresses": 7}
    _stub(monkeypatch, emulator=emulator)
    assert main(["bench", "--only", "emulator", *_paths(tmp_path)]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["latest"]["sections"]["emulator"]["result"]["addresses"] == 7
    assert data["latest"]["sections"]["calls"]["result"] == SAVED["calls"]["result"]
    assert [h["command"] for h in data["history"]] == ["make bench", "ipamsync bench --only emulator"]


def test_table_prints_the_saved_readme_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "--table", *_paths(tmp_path)]) == 1  # nothing saved yet
    _stub(monkeypatch)
    main(["bench", "--only", "emulator", *_paths(tmp_path)])
    capsys.readouterr()
    assert main(["bench", "--table", *_paths(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("| benchmark | result | target / check |")


def test_cost_measures_its_own_scenarios(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost section runs its scenarios itself (not the throughput run's figures)."""
    from local.tests.bench.test_cost_and_throughput import _run

    monkeypatch.setattr(cost, "record", lambda **kw: _run())
    out = cost.measure(reg.Context(measured={"throughput": _result("throughput")}))
    assert out == cost.compute(_run())
