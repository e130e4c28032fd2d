"""How a list/info/count service's output columns are built as SQL over the emulator's tables (the
views themselves: :mod:`.views`).

Every returned column listed in :mod:`.columns` is either computed from the data (a SQL
expression) or, for what the emulator does not model (pools, VLANs, DHCP, SNMP...), a constant
default: ``"0"`` for ids, counters, sizes and times, ``"#"`` for names of absent objects, ``""``
otherwise. Both kinds can be used in WHERE and ORDERBY; only computed ones are selected.
"""

from __future__ import annotations

from collections.abc import Mapping

from .store import View
from .where import Column


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def T(expr: str) -> Column:
    return Column(expr, "text")


def I(expr: str) -> Column:  # noqa: E743
    return Column(expr, "int")


_ZERO_SUFFIXES = (
    "_id",
    "_size",
    "_count",
    "_percent",
    "_total",
    "_used",
    "_free",
    "_level",
    "_time",
    "_port",
    "_delay",
    "_days",
    "_offset",
    "_lag_count",
)


def default_for(name: str) -> str:
    """The constant an unmodelled column answers."""
    if name.endswith("_class_name"):
        return ""
    if name.endswith("_name"):
        return "#"
    if name.endswith(_ZERO_SUFFIXES):
        return "0"
    return ""


def build(
    name: str,
    order: tuple[str, ...],
    *,
    from_sql: str,
    id_column: str,
    mapped: Mapping[str, Column],
    tag_types: Mapping[str, tuple[str, str]],
    overrides: Mapping[str, str] | None = None,
    order_tail: tuple[str, ...] = (),
) -> View:
    overrides = overrides or {}
    columns: dict[str, Column] = {}
    constants: dict[str, str] = {}
    for col in order:
        if col in mapped:
            columns[col] = mapped[col]
        else:
            value = overrides.get(col, default_for(col))
            constants[col] = value
            columns[col] = T(lit(value))
    unknown = set(mapped) - set(order)
    if unknown:  # a typo here would silently hide a column: fail at import instead
        raise ValueError(f"{name}: mapped columns not in the service description: {sorted(unknown)}")
    return View(name, from_sql, id_column, columns, dict(tag_types), constants, order, order_tail)


def hex4(expr: str) -> str:
    return f"printf('%08x', {expr})"


def opt_hex4(alias: str, expr: str) -> str:
    return f"CASE WHEN {alias}.rowid IS NULL THEN '' ELSE printf('%08x', {expr}) END"


def if_v4(expr: str) -> str:
    return f"CASE WHEN length({expr}) = 8 THEN {expr} ELSE '' END"


def pct(part: str, whole: str) -> str:
    return f"printf('%.2f', CASE WHEN ({whole}) > 0 THEN 100.0 * ({part}) / ({whole}) ELSE 0 END)"
