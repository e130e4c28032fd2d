"""bench/results.json, the generated part of docs/benchmarks.md and the README table (hermetic:
temporary files, or the repository's files read only)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from ipamsync_local.bench import results as res
from ipamsync_local.bench import sections as reg

ROOT = Path(__file__).resolve().parents[3]
EMULATOR = {
    "addresses": 10,
    "samples": 2,
    "setup_s": 0.1,
    "lookup_ms": {"median": 1.0, "p95": 2.0, "max": 3.0},
    "tag_lookup_ms": {"median": 1.5, "p95": 2.0, "max": 3.0},
    "ip_add_ms": {"median": 2.0, "p95": 2.5, "max": 3.0},
}


def _run(commit: str, sections: dict[str, Any], command: str = "make bench") -> dict[str, Any]:
    return {
        "date": "2026-01-01T00:00:00Z",
        "git_commit": commit,
        "command": command,
        "seconds": 1.0,
        "machine": {"cpu": "test cpu", "cores": 2},
        "sections": sections,
    }


def _section(result: Any) -> dict[str, Any]:
    return {"measured_at": "2026-01-01T00:00:00Z", "git_commit": "abc", "command": "x", "result": result}


def test_save_merges_sections_and_keeps_one_history_line_per_run(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    res.save(_run("c1", {"emulator": _section(EMULATOR), "other": _section({"x": 1})}), path)
    data = res.save(_run("c2", {"emulator": _section({**EMULATOR, "addresses": 20})}, "ipamsync x"), path)
    assert json.loads(path.read_text()) == data
    latest = data["latest"]
    assert latest["git_commit"] == "c2"
    assert latest["sections"]["emulator"]["result"]["addresses"] == 20
    assert latest["sections"]["other"]["result"] == {"x": 1}  # kept from the previous run
    assert [h["git_commit"] for h in data["history"]] == ["c1", "c2"]
    history = path.read_text().split('"history": [\n', 1)[1].splitlines()
    assert [json.loads(line.rstrip(","))["git_commit"] for line in history[:2]] == ["c1", "c2"]


def test_same_commit_and_command_replaces_the_last_history_line(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    res.save(_run("c1", {"emulator": _section(EMULATOR)}), path)
    data = res.save(_run("c1", {"emulator": _section(EMULATOR)}), path)
    assert len(data["history"]) == 1


def test_history_keeps_the_headline_figures(tmp_path: Path) -> None:
    saved = res.load(res.RESULTS_PATH)["latest"]
    entry = res.history_entry(saved)
    assert entry["headline"]["usd_per_million_mix"] == saved["sections"]["cost"]["result"]["mix"]["total"]
    assert entry["headline"]["soak_lost"] == 0 and "calls_max_ratio" in entry["headline"]
    assert res.history_entry(_run("c1", {"calls": _section({"bogus": 1})}))["headline"] == {}


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


def test_a_result_of_another_shape_is_reported_not_raised() -> None:
    text = res.render(res.merge(None, _run("c1", {"calls": _section({"bogus": 1})})))
    assert "(not rendered: KeyError" in text and "(not rendered: unexpected result shape)" in text


def test_the_committed_results_docs_and_readme_agree() -> None:
    """docs/benchmarks.md's generated part and the README's table are bench/results.json's."""
    latest = res.load(res.RESULTS_PATH)["latest"]
    assert set(latest["sections"]) == set(reg.all_keys())
    docs = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert res.render(latest) in docs
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = res.readme_table(latest)
    assert table in readme


def test_json_is_short_lines_and_reads_back(tmp_path: Path) -> None:
    doc = {"schema": 2, "latest": res.load(res.RESULTS_PATH)["latest"], "history": [{"a": 1}, {"b": 2}]}
    text = res.dumps(doc)
    assert json.loads(text) == doc
    # about 50 lines per section at most (7 sections; the calls one lists its 11 scenarios): the
    # latest figures stay readable, never every raw sample
    assert text.count("\n") < 50 * len(doc["latest"]["sections"])


def test_every_section_module_provides_the_protocol() -> None:
    for section in reg.SECTIONS:
        module = section.load()
        for name in ("measure", "report", "summary"):
            assert callable(getattr(module, name, None)), (section.key, name)


def test_the_emulator_imports_nothing_from_the_benchmarks() -> None:
    found = []
    for path in (ROOT / "local" / "ipamsync_local" / "emulator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.name}: {n}" for n in names if re.match(r"(ipamsync_local\.)?bench\b", n)]
    assert found == []


def test_md_table_escapes_pipes() -> None:
    from ipamsync_local.bench.fmt import md_table

    assert md_table(("a", "b"), [("x|y", None)]) == "| a | b |\n|---|---|\n| x\\|y |  |"


def test_git_and_machine_facts_have_the_expected_keys() -> None:
    assert set(res.git_facts()) == {"git_commit", "product_changes_uncommitted"}
    assert {"cpu", "cores", "python", "python_lambda_runtime", "moto"} <= set(res.machine_facts())
