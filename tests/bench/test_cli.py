"""``ipamsync bench``: options, section dispatch, targets → exit status, saving (benchmarks stubbed)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from ipamsync_local.bench import cli
from ipamsync_local.cli import main


def test_only_accepts_known_sections_in_canonical_order() -> None:
    assert cli._sections("cost,calls") == ["calls", "cost"]
    with pytest.raises(argparse.ArgumentTypeError):
        cli._sections("calls,nope")


def test_soak_checks_find_the_counts() -> None:
    assert cli.soak_checks({"lost": 0, "check": {"wrong": 0, "duplicates": ["x"]}}) == {
        "lost": 0,
        "wrong": 0,
        "duplicates": 1,
    }
    assert cli.soak_checks("not a dict") == {}


def _stub(monkeypatch: pytest.MonkeyPatch, *, ok: bool = True, fail: str | None = None) -> list[str]:
    ran: list[str] = []

    def make(name: str) -> Any:
        def runner(self: cli.Bench) -> None:
            ran.append(name)
            if name == fail:
                raise RuntimeError("boom")
            self.record(name, {"stub": name}, 0.1, self.command(name))
            self.target(f"{name} target", ok)

        return runner

    for name in cli.SECTIONS:
        monkeypatch.setattr(cli.Bench, name, make(name))
    monkeypatch.setattr(cli.res, "machine_facts", lambda: {"cpu": "stub", "cores": 2})
    return ran


def _paths(tmp_path: Path) -> list[str]:
    return ["--results", str(tmp_path / "results.json"), "--docs", str(tmp_path / "benchmarks.md")]


def test_all_sections_run_and_are_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = _stub(monkeypatch)
    assert main(["bench", *_paths(tmp_path)]) == 0
    assert ran == list(cli.SECTIONS)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["latest"]["command"] == "make bench"
    assert set(data["latest"]["sections"]) == set(cli.SECTIONS)
    assert data["latest"]["sections"]["calls"]["command"] == "ipamsync bench --only calls"
    out = capsys.readouterr().out
    assert "✔ calls target" in out and "README table:" in out
    assert "BEGIN GENERATED" in (tmp_path / "benchmarks.md").read_text()


def test_a_missed_target_or_a_failure_is_a_non_zero_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stub(monkeypatch, ok=False)
    assert main(["bench", "--only", "calls", "--no-save", *_paths(tmp_path)]) == 1
    _stub(monkeypatch, fail="emulator")
    assert main(["bench", "--only", "emulator,cost", "--no-save", *_paths(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "emulator FAILED: RuntimeError: boom" in out and "✘ calls target" in out
    assert not (tmp_path / "results.json").exists()


def test_quick_runs_are_not_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub(monkeypatch)
    assert main(["bench", "--quick", "--only", "calls", *_paths(tmp_path)]) == 0
    assert not (tmp_path / "results.json").exists()


def test_table_prints_the_saved_readme_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "--table", *_paths(tmp_path)]) == 1  # nothing saved yet
    _stub(monkeypatch)
    main(["bench", "--only", "emulator", *_paths(tmp_path)])
    capsys.readouterr()
    assert main(["bench", "--table", *_paths(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("| benchmark | result | target / check |")


def test_soak_results_become_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import types

    fake = types.ModuleType("ipamsync_local.bench.soak")
    fake.run = lambda events, instances: {"events": events, "lost": 0, "wrong": 0, "duplicates": 1}  # type: ignore[attr-defined]
    fake.format_table = lambda result: "soak table"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipamsync_local.bench.soak", fake)
    assert main(["bench", "--only", "soak", "--quick", *_paths(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "soak table" in out and "✔ soak: lost = 0" in out and "✘ soak: duplicates = 0 (1)" in out
