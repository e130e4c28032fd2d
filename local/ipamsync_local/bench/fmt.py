"""What a section reports, rendered twice: plain text for the terminal, markdown for the docs.

A section's ``report(result)`` returns a list of blocks: a :class:`Table` or a paragraph (``str``).
:func:`as_text` and :func:`as_markdown` render the same list, so the terminal and
docs/benchmarks.md can never show different figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


Block = Table | str


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def as_text(blocks: Iterable[Block]) -> str:
    from ipamsync_local.report import table

    def plain(row: tuple[Any, ...]) -> tuple[str, ...]:
        return tuple(str("" if c is None else c).replace("**", "") for c in row)  # markdown bold

    return "\n\n".join(
        table(b.header, [plain(r) for r in b.rows]) if isinstance(b, Table) else b for b in blocks
    )


def as_markdown(blocks: Iterable[Block]) -> str:
    return "\n\n".join(md_table(b.header, b.rows) if isinstance(b, Table) else b for b in blocks)


def ok(flag: bool | None) -> str:
    """✔, ✘, or ? when the check was not made."""
    return "✔" if flag else ("✘" if flag is not None else "?")


def ms(value: float | None) -> str:
    """Milliseconds as ``"368 ms"``, or in seconds from 10 s (``"648.1 s"``); ``-`` if absent."""
    if value is None:
        return "-"
    return f"{value / 1000:.1f} s" if value >= 10_000 else f"{value:.0f} ms"


def dist_ms(d: Mapping[str, Any] | None, key: str) -> str:
    return ms((d or {}).get(key))
