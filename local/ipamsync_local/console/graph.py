"""The state machine as a graph, laid out from the ASL itself (``statemachine/sync.asl.json``).

A small layered layout, top to bottom like the Step Functions console: within one ``States`` map,
a state's row is its longest distance from ``StartAt`` (every transition counts: ``Next``,
``Default``, ``Choices``, ``Catch``), states of a row side by side in the order a walk meets them
(normal transitions before catches, so the failure path lands on the right). A ``Parallel`` state
is a box holding its branches side by side, a ``Map`` a box holding its item processor; both are
laid out the same way, recursively. The page draws the boxes and edges as SVG; nothing here
depends on ipamsync's own state names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NODE_W, NODE_H = 180, 38  # a plain state
GAP_X, GAP_Y = 28, 44  # between states of a row, between rows
PAD, HEADER = 14, 26  # inside a container: padding, title line


@dataclass
class Box:
    name: str
    type: str
    w: float
    h: float
    x: float = 0.0
    y: float = 0.0
    parent: str | None = None
    children: list[Box] = field(default_factory=list)  # laid out relative to this box


@dataclass
class Block:
    """A laid-out ``States`` map: its boxes (relative to the block), edges, size."""

    boxes: list[Box]
    edges: list[tuple[str, str, str]]  # (from, to, kind: next | choice | default | catch)
    w: float
    h: float


def _transitions(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for choice in state.get("Choices", []) or []:
        if choice.get("Next"):
            out.append((choice["Next"], "choice"))
    if state.get("Default"):
        out.append((state["Default"], "default"))
    if state.get("Next"):
        out.append((state["Next"], "next"))
    for catch in state.get("Catch", []) or []:
        if catch.get("Next"):
            out.append((catch["Next"], "catch"))
    return out


def _order(states: Mapping[str, Any], start: str) -> list[str]:
    """States in the order a walk from ``start`` meets them (catches after the rest); states no
    transition reaches come last."""
    seen: list[str] = []
    pending = [start]
    while pending:
        name = pending.pop(0)
        if name in seen or name not in states:
            continue
        seen.append(name)
        normal = [t for t, kind in _transitions(states[name]) if kind != "catch"]
        catches = [t for t, kind in _transitions(states[name]) if kind == "catch"]
        pending = normal + pending + catches
    return seen + [n for n in states if n not in seen]


def _back_edges(states: Mapping[str, Any], order: list[str]) -> set[tuple[str, str]]:
    """The transitions that close a cycle (to a state still open on a depth-first walk)."""
    back: set[tuple[str, str]] = set()
    done: set[str] = set()
    for root in order:
        if root in done:
            continue
        stack: list[tuple[str, list[str]]] = [(root, [t for t, _ in _transitions(states[root])])]
        open_ = {root}
        while stack:
            name, targets = stack[-1]
            if not targets:
                stack.pop()
                open_.discard(name)
                done.add(name)
                continue
            target = targets.pop(0)
            if target not in states:
                continue
            if target in open_:
                back.add((name, target))
            elif target not in done:
                open_.add(target)
                stack.append((target, [t for t, _ in _transitions(states[target])]))
    return back


def _ranks(states: Mapping[str, Any], order: list[str]) -> dict[str, int]:
    """Longest distance from the start over every transition (a state reached from two places
    sits below both); a cycle is cut where it closes."""
    back = _back_edges(states, order)
    rank = dict.fromkeys(order, 0)
    for _ in range(len(order)):
        changed = False
        for name in order:
            for target, _kind in _transitions(states[name]):
                if target in rank and (name, target) not in back and rank[target] <= rank[name]:
                    rank[target] = rank[name] + 1
                    changed = True
        if not changed:
            break
    return rank


def _box(name: str, state: Mapping[str, Any]) -> Box:
    kind = str(state.get("Type", ""))
    inner: list[Block] = []
    if kind == "Parallel":
        inner = [layout_states(b.get("States", {}), b.get("StartAt", "")) for b in state.get("Branches", [])]
    elif kind == "Map":
        proc = state.get("ItemProcessor") or state.get("Iterator") or {}
        inner = [layout_states(proc.get("States", {}), proc.get("StartAt", ""))]
    if not inner:
        return Box(name, kind, NODE_W, NODE_H)
    w = sum(b.w for b in inner) + GAP_X * (len(inner) - 1) + 2 * PAD
    h = max(b.h for b in inner) + HEADER + 2 * PAD
    box = Box(name, kind, max(w, NODE_W), h)
    x = (box.w - (w - 2 * PAD)) / 2
    for block in inner:
        for child in block.boxes:
            child.x += x
            child.y += HEADER + PAD
            child.parent = child.parent or name
        box.children += block.boxes
        x += block.w + GAP_X
    box.children_edges = [e for b in inner for e in b.edges]  # type: ignore[attr-defined]
    return box


def layout_states(states: Mapping[str, Any], start: str) -> Block:
    order = _order(states, start)
    rank = _ranks(states, order)
    boxes = {name: _box(name, states[name]) for name in order}
    rows: dict[int, list[str]] = {}
    for name in order:
        rows.setdefault(rank[name], []).append(name)
    widths = {r: sum(boxes[n].w for n in names) + GAP_X * (len(names) - 1) for r, names in rows.items()}
    width = max(widths.values(), default=0.0)
    y = 0.0
    for r in sorted(rows):
        x = (width - widths[r]) / 2
        height = max(boxes[n].h for n in rows[r])
        for n in rows[r]:
            boxes[n].x, boxes[n].y = x, y + (height - boxes[n].h) / 2
            x += boxes[n].w + GAP_X
        y += height + GAP_Y
    edges = [(n, t, kind) for n in order for t, kind in _transitions(states[n]) if t in boxes]
    flat: list[Box] = []
    for name in order:
        box = boxes[name]
        flat.append(box)
        for child in box.children:  # children become absolute within this block
            child.x += box.x
            child.y += box.y
            flat.append(child)
        edges += getattr(box, "children_edges", [])
    return Block(flat, edges, width, max(y - GAP_Y, 0.0))


def layout(asl: Mapping[str, Any]) -> dict[str, Any]:
    """The page's graph: boxes (name, type, x, y, w, h, parent, container) and edges (from, to,
    kind, and the points of a curve from the bottom of one box to the top of the other)."""
    block = layout_states(asl.get("States", {}), asl.get("StartAt", ""))
    margin = 16
    by_name = {b.name: b for b in block.boxes}
    nodes = [
        {
            "name": b.name,
            "type": b.type,
            "x": b.x + margin,
            "y": b.y + margin,
            "w": b.w,
            "h": b.h,
            "parent": b.parent,
            "container": bool(b.children),
        }
        for b in block.boxes
    ]
    edges = []
    for src, dst, kind in block.edges:
        a, b = by_name[src], by_name[dst]
        x1, y1 = a.x + a.w / 2 + margin, a.y + a.h + margin
        x2, y2 = b.x + b.w / 2 + margin, b.y + margin
        if kind == "catch":  # leave from the right side, so catches read apart from the main path
            x1, y1 = a.x + a.w + margin, a.y + a.h / 2 + margin
        edges.append({"from": src, "to": dst, "kind": kind, "points": [x1, y1, x2, y2]})
    return {
        "nodes": nodes,
        "edges": edges,
        "width": block.w + 2 * margin,
        "height": block.h + 2 * margin,
        "start": asl.get("StartAt", ""),
    }
