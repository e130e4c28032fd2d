"""The state machine's graph as the console lays it out from the real ASL (pure, no server)."""

from __future__ import annotations

import json
from typing import Any

from ipamsync_local.console.graph import layout
from tests.helpers import ROOT


def _asl(name: str = "sync") -> dict[str, Any]:
    return dict(json.loads((ROOT / "statemachine" / f"{name}.asl.json").read_text(encoding="utf-8")))


def _all_states(states: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, state in states.items():
        out[name] = state
        for branch in state.get("Branches", []):
            out |= _all_states(branch["States"])
        if "ItemProcessor" in state:
            out |= _all_states(state["ItemProcessor"]["States"])
    return out


def test_every_state_and_transition_of_the_asl_is_drawn() -> None:
    asl = _asl()
    graph = layout(asl)
    states = _all_states(asl["States"])
    assert {n["name"] for n in graph["nodes"]} == set(states)
    assert {n["name"]: n["type"] for n in graph["nodes"]} == {k: v["Type"] for k, v in states.items()}
    drawn = {(e["from"], e["to"]) for e in graph["edges"]}
    for name, state in states.items():
        targets = [c["Next"] for c in state.get("Choices", [])] + [c["Next"] for c in state.get("Catch", [])]
        targets += [state[k] for k in ("Next", "Default") if k in state]
        assert {(name, t) for t in targets} <= drawn, name


def test_every_transition_leads_down_and_a_state_sits_below_all_that_lead_to_it() -> None:
    """NeedsRefresh is reached from IsDone (a lookup) and from SyncDns: it sits below both,
    RequestRefresh below it, Synced below RequestRefresh."""
    graph = layout(_asl())
    nodes = {n["name"]: n for n in graph["nodes"]}
    for e in graph["edges"]:
        a, b = nodes[e["from"]], nodes[e["to"]]
        assert b["y"] >= a["y"] + a["h"], e
    assert nodes["SyncDns"]["y"] < nodes["NeedsRefresh"]["y"] < nodes["RequestRefresh"]["y"]
    assert nodes["RequestRefresh"]["y"] < nodes["Synced"]["y"]


#: A Parallel of two branches (the sync workflow ran addresses and DNS so until 2026-12; the layout
#: stays generic), inside the reconcile workflow's Map.
PARALLEL = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Task", "Next": "Both"},
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Task", "End": True}}},
                {
                    "StartAt": "Right",
                    "States": {"Right": {"Type": "Pass", "Next": "Down"}, "Down": {"Type": "Succeed"}},
                },
            ],
            "Next": "Last",
        },
        "Last": {"Type": "Succeed"},
    },
}


def test_children_sit_inside_their_container_and_a_cycle_is_cut_where_it_closes() -> None:
    for asl, containers in ((_asl("reconcile"), {"ReconcileEach"}), (PARALLEL, {"Both"})):
        graph = layout(asl)
        nodes = {n["name"]: n for n in graph["nodes"]}
        assert {n["parent"] for n in graph["nodes"] if n["parent"]} == containers
        for n in graph["nodes"]:
            if n["parent"]:
                p = nodes[n["parent"]]
                assert p["x"] <= n["x"] and n["x"] + n["w"] <= p["x"] + p["w"], n["name"]
                assert p["y"] <= n["y"] and n["y"] + n["h"] <= p["y"] + p["h"], n["name"]
    both = {n["name"]: n for n in layout(PARALLEL)["nodes"]}
    assert both["Left"]["x"] + both["Left"]["w"] <= both["Right"]["x"]  # branches side by side
    assert both["Right"]["y"] < both["Down"]["y"]
    loop = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Next": "A"}], "Default": "C"},
            "C": {"Type": "Succeed"},
        },
    }
    ys = {n["name"]: n["y"] for n in layout(loop)["nodes"]}
    assert ys["A"] < ys["B"] < ys["C"]
