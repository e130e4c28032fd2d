"""Building SOLIDserver ``WHERE`` clauses safely.

SOLIDserver's list services take an SQL-like ``WHERE`` expression over their output columns.
Values that come from EC2 (tag values, names, ids) must never change a query's meaning, so:

* column names are never taken from input: they must match ``[a-z][a-z0-9_]*``;
* every value is a single-quoted literal in which ``'`` is doubled (``''``), the PostgreSQL
  convention (standard_conforming_strings: a backslash is an ordinary character);
* in ``like`` patterns, the wildcards ``%`` and ``_`` and the escape character ``\\`` are escaped
  with a backslash, so only the wildcards ipamsync adds itself are wildcards.

Expressions are small immutable objects rendered with :func:`render`::

    Where.eq("site_id", 2) & (Where.eq("hostaddr", "10.0.0.5") | Where.eq("hostaddr", "10.0.0.6"))
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_COLUMN = re.compile(r"^[a-z][a-z0-9_]*$")


def column(name: str) -> str:
    """Return ``name`` if it is a plain column name, else raise ``ValueError``."""
    if not _COLUMN.match(name):
        raise ValueError(f"not a column name: {name!r}")
    return name


def quote(value: object) -> str:
    """A single-quoted SQL literal: ``'it''s'``. Accepts str/int; ``None`` and bool are refused."""
    if value is None or isinstance(value, bool):
        raise ValueError("WHERE values must be strings or integers")
    text = str(value)
    if "\x00" in text:
        raise ValueError("WHERE values cannot contain NUL")
    return "'" + text.replace("'", "''") + "'"


def like_escape(text: str) -> str:
    """Escape ``\\``, ``%`` and ``_`` so that ``text`` matches itself in a ``like`` pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Where:
    """A rendered, already-safe fragment. Build it with the class methods only."""

    sql: str
    compound: bool = False

    # -- leaves -------------------------------------------------------------------------
    @classmethod
    def eq(cls, col: str, value: object) -> Where:
        return cls(f"{column(col)}={quote(value)}")

    @classmethod
    def ne(cls, col: str, value: object) -> Where:
        return cls(f"{column(col)}!={quote(value)}")

    @classmethod
    def gt(cls, col: str, value: int) -> Where:
        """``col > value`` (an integer: the keyset paging of a long listing by id)."""
        return cls(f"{column(col)}>{quote(str(int(value)))}")

    @classmethod
    def contains(cls, col: str, text: str) -> Where:
        """``col like '%text%'`` (``text`` escaped: only the two wildcards added here are wildcards)."""
        return cls(f"{column(col)} like {quote('%' + like_escape(text) + '%')}")

    @classmethod
    def startswith(cls, col: str, prefix: str) -> Where:
        return cls(f"{column(col)} like {quote(like_escape(prefix) + '%')}")

    @classmethod
    def any_of(cls, col: str, values: Iterable[object]) -> Where:
        """``col='a' or col='b' ...``; duplicates are removed, order kept. At least one value."""
        seen: dict[str, None] = {}
        for v in values:
            seen.setdefault(quote(v), None)
        if not seen:
            raise ValueError(f"any_of({col!r}) needs at least one value")
        parts = [f"{column(col)}={q}" for q in seen]
        return cls(" or ".join(parts), compound=len(parts) > 1)

    # -- combinators --------------------------------------------------------------------
    def _wrapped(self) -> str:
        return f"({self.sql})" if self.compound else self.sql

    def __and__(self, other: Where) -> Where:
        return Where(f"{self._wrapped()} and {other._wrapped()}", compound=True)

    def __or__(self, other: Where) -> Where:
        return Where(f"{self._wrapped()} or {other._wrapped()}", compound=True)

    def __str__(self) -> str:
        return self.sql


def render(where: Where | None) -> str | None:
    return None if where is None else where.sql
