"""README.md documents what template.yaml and the ASL really contain."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infrastructure.helpers import README

SECTIONS = (
    "Architecture",
    "Deploy",
    "Parameters",
    "State machine",
    "Dead-letter queues and redrive",
    "Reconcile",
    "Decisions log",
)


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text()


def section(readme: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_keeps_the_top_section(readme: str) -> None:
    assert readme.startswith("# ipamsync\n")
    assert "## The two commands" in readme


@pytest.mark.parametrize("title", SECTIONS)
def test_sections(readme: str, title: str) -> None:
    assert section(readme, title).strip()


def test_architecture_diagram(readme: str) -> None:
    body = section(readme, "Architecture")
    assert "```mermaid" in body
    for word in ("EventBridge", "enrich", "FIFO", "Pipe", "Express", "SOLIDserver", "DeadLetterQueue"):
        assert word in body, word


def test_every_parameter_is_documented(readme: str, template: dict[str, Any]) -> None:
    rows = re.findall(r"^\| `([A-Za-z0-9]+)` \|", section(readme, "Parameters"), re.M)
    assert sorted(rows) == sorted(template["Parameters"])


def test_every_state_is_in_the_state_table(readme: str, all_states: dict[str, Any]) -> None:
    rows = re.findall(r"^\| (?:↳ )?`([A-Za-z]+)` \|", section(readme, "State machine"), re.M)
    assert sorted(rows) == sorted(all_states)


def test_transient_errors_are_named(readme: str) -> None:
    from ipamsync.errors import PERMANENT_ERROR_NAMES, TRANSIENT_ERROR_NAMES

    body = section(readme, "State machine")
    for name in (*TRANSIENT_ERROR_NAMES, *PERMANENT_ERROR_NAMES):
        assert f"`{name}`" in body, name


def test_decisions(readme: str) -> None:
    body = section(readme, "Decisions log")
    for topic in ("Express", "FIFO", "Device first", "layer", "arm64", "per million events", "make bench"):
        assert topic in body, topic


def test_redrive_procedure(readme: str) -> None:
    body = section(readme, "Dead-letter queues and redrive")
    assert "start-message-move-task" in body
    assert "ipamsync redrive --stack" in body


def test_reconcile_section_states_schedule_cost_and_threshold(readme: str) -> None:
    body = section(readme, "Reconcile")
    for words in (
        "ReconcileSchedule",
        "rate(6 hours)",
        "ReconcileDeepSchedule",
        "Distributed Map",
        "Cost per run",
    ):
        assert words in body, words
    assert "RECONCILE_" not in body.replace("RECONCILE_ORPHAN_GRACE_SECONDS", ""), (
        "bench figures not filled in"
    )


def test_the_state_machine_diagram_draws_every_state(readme: str, all_states: dict[str, Any]) -> None:
    body = section(readme, "State machine")
    diagram = body[body.index("```mermaid") : body.index("```", body.index("```mermaid") + 3)]
    missing = [s for s in all_states if not re.search(rf"\b{s}\b", diagram)]
    assert missing == []
