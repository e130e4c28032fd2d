"""bench/results.json handling and the generated markdown (hermetic: temporary files only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ipamsync_local.bench import results as res


def _run(commit: str, sections: dict[str, Any], command: str = "make bench") -> dict[str, Any]:
    return {
        "date": "2026-01-01T00:00:00Z",
        "git_commit": commit,
        "command": command,
        "seconds": 1.0,
        "machine": {"cpu": "test cpu", "cores": 2},
        "sections": sections,
    }


def _section(result: Any, command: str = "ipamsync bench --only x") -> dict[str, Any]:
    return {
        "measured_at": "2026-01-01T00:00:00Z",
        "git_commit": "abc",
        "command": command,
        "seconds": 1.0,
        "result": result,
    }


EMULATOR = {
    "addresses": 10,
    "samples": 2,
    "setup_s": 0.1,
    "lookup_ms": {"median": 1.0, "p95": 2.0, "max": 3.0},
    "tag_lookup_ms": {"median": 1.5, "p95": 2.0, "max": 3.0},
    "ip_add_ms": {"median": 2.0, "p95": 2.5, "max": 3.0},
}


def test_save_merges_sections_and_keeps_history(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    res.save(_run("c1", {"emulator": _section(EMULATOR), "soak": {"checks": {"lost": 0}}}), path)
    data = res.save(
        _run(
            "c2",
            {"emulator": _section({**EMULATOR, "addresses": 20})},
            command="ipamsync bench --only emulator",
        ),
        path,
    )
    assert json.loads(path.read_text()) == data
    latest = data["latest"]
    assert latest["git_commit"] == "c2"
    assert latest["sections"]["emulator"]["result"]["addresses"] == 20
    assert latest["sections"]["soak"]["checks"] == {"lost": 0}  # kept from the previous run
    assert [r["git_commit"] for r in data["runs"]] == ["c1", "c2"]


def test_same_commit_and_command_replaces_the_last_run(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    res.save(_run("c1", {"emulator": _section(EMULATOR)}), path)
    data = res.save(_run("c1", {"emulator": _section(EMULATOR)}), path)
    assert len(data["runs"]) == 1


def test_update_docs_replaces_only_the_generated_block(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nHand-written method.\n", encoding="utf-8")
    latest = res.merge(None, _run("c1", {"emulator": _section(EMULATOR)}))
    res.update_docs(latest, docs)
    res.update_docs(latest, docs)  # idempotent
    text = docs.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nHand-written method.\n")
    assert text.count(res.BEGIN) == 1 and text.count(res.END) == 1
    assert "test cpu, 2 cores" in text
    assert "| `ip_address_list` WHERE hostaddr=… and site_id=… | 1.0 | 2.0 | 3.0 |" in text


def test_md_table_escapes_pipes() -> None:
    assert res.md_table(("a", "b"), [("x|y", None)]) == "| a | b |\n|---|---|\n| x\\|y |  |"


def test_readme_table_without_sections_is_just_a_header() -> None:
    assert res.readme_table({"sections": {}}).count("\n") == 1


def test_git_and_machine_facts_have_the_expected_keys() -> None:
    assert set(res.git_facts()) == {"git_commit", "product_changes_uncommitted"}
    facts = res.machine_facts()
    assert {"cpu", "cores", "python", "python_lambda_runtime", "moto"} <= set(facts)
