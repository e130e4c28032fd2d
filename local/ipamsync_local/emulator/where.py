"""``WHERE`` / ``ORDERBY`` / ``TAGS`` of SOLIDserver list services, parsed and turned into SQL.

Nothing a client sends is ever pasted into SQL: the text is tokenized, parsed into a small AST,
every column name is checked against the service's whitelist (unknown -> 400) and mapped to the
SQL expression the emulator defined for it, and every value is bound as a parameter.

Grammar (keywords are case-insensitive)::

    expr       := and_expr ( OR and_expr )*
    and_expr   := unary ( AND unary )*
    unary      := NOT unary | primary
    primary    := '(' expr ')' | comparison
    comparison := column ( '=' | '!=' | '<>' | '<' | '<=' | '>' | '>=' ) value
                | column [ NOT ] LIKE value
    value      := 'single-quoted' | integer | decimal | word

Quoting convention (PostgreSQL-like, standard_conforming_strings on):

* inside a single-quoted literal, ``''`` is one quote; nothing else is special there, so a
  backslash is an ordinary character for ``=``/``!=``/``<``...;
* in a ``like`` pattern ``%`` matches any run of characters and ``_`` any one character, and a
  backslash escapes ``%``, ``_`` and ``\\`` (a backslash before any other character makes that
  character literal; a pattern may not end with a lone backslash). ``like`` is case-sensitive.

Comparison semantics: integer columns (ids, counts, sizes of IPv4 networks) compare numerically
with an integer literal (``site_id='2'`` and ``site_id=2`` are the same test, like PostgreSQL
coercing a literal to the column type); with a non-integer literal they compare as text (and so
match nothing). Text columns compare as text. ``<``/``>``/``<=``/``>=`` compare numerically when
the literal is a number and as text otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .errors import ApiError, Errno

MAX_TERMS = 256
MAX_DEPTH = 64
MAX_LENGTH = 65536

_KEYWORDS = {"and", "or", "not", "like"}
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_INTEGER = re.compile(r"^-?\d+$")
_WORD = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.:\-]*")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\-]*$")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")


def _int64(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value <= 2**63 - 1:
        raise bad_query(f"integer {text[:30]} is out of range (64-bit)", value=text[:50])
    return value


def bad_query(message: str, parameter: str = "WHERE", value: str = "") -> ApiError:
    return ApiError(Errno.BAD_QUERY, message, parameters=parameter, param_value=value[:200])


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """How one output column is computed in SQL.

    ``kind`` is ``"int"`` (an integer SQL expression) or ``"text"``. ``index_eq``, when set, gives
    an equivalent but index-friendly SQL condition for ``column = <non-empty value>`` (used for
    ``tag_*`` columns, whose plain expression is a correlated sub-query).
    """

    expr: str
    kind: str = "text"
    index_eq: Callable[[str], str] | None = None


class Params:
    """Named SQL parameters (``:p0``, ``:p1``...) collected while compiling."""

    def __init__(self, prefix: str = "p") -> None:
        self.values: dict[str, object] = {}
        self._prefix = prefix

    def add(self, value: object) -> str:
        name = f"{self._prefix}{len(self.values)}"
        self.values[name] = value
        return f":{name}"


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # "(", ")", "op", "string", "number", "word", "kw"
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "()":
            tokens.append(Token(c, c, i))
            i += 1
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("op", op, i))
            i += len(op)
            continue
        if c == "'":
            j = i + 1
            chunks: list[str] = []
            while True:
                k = text.find("'", j)
                if k < 0:
                    raise bad_query(f"unterminated quoted string at position {i}", value=text)
                chunks.append(text[j:k])
                if k + 1 < n and text[k + 1] == "'":  # '' is one quote
                    chunks.append("'")
                    j = k + 2
                    continue
                i = k + 1
                break
            tokens.append(Token("string", "".join(chunks), i))
            continue
        m = _WORD.match(text, i)
        if m is None:
            raise bad_query(f"unexpected character {c!r} at position {i}", value=text)
        word = m.group(0)
        if word.lower() in _KEYWORDS:
            tokens.append(Token("kw", word.lower(), i))
        elif _NUMBER.match(word):
            tokens.append(Token("number", word, i))
        else:
            tokens.append(Token("word", word, i))
        i = m.end()
    return tokens


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Compare:
    column: str
    op: str  # = != < <= > >= like notlike
    value: str
    quoted: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | BoolOp | Not


@dataclass
class _Parser:
    tokens: list[Token]
    source: str
    pos: int = 0
    terms: int = 0
    depth: int = 0
    columns_seen: list[str] = field(default_factory=list)

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise bad_query("unexpected end of WHERE clause", value=self.source)
        self.pos += 1
        return tok

    def is_kw(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "kw" and tok.text == word

    def parse(self) -> Node:
        node = self.expr()
        tok = self.peek()
        if tok is not None:
            raise bad_query(f"unexpected {tok.text!r} at position {tok.pos}", value=self.source)
        return node

    def expr(self) -> Node:
        items = [self.and_expr()]
        while self.is_kw("or"):
            self.pos += 1
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.is_kw("and"):
            self.pos += 1
            items.append(self.unary())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def unary(self) -> Node:
        if self.is_kw("not"):
            self.pos += 1
            return Not(self._nested(self.unary))
        return self.primary()

    def _nested(self, fn: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise bad_query("WHERE clause nested too deeply", value=self.source)
        try:
            return fn()
        finally:
            self.depth -= 1

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "(":
            node = self._nested(self.expr)
            close = self.take()
            if close.kind != ")":
                raise bad_query(f"expected ')' at position {close.pos}", value=self.source)
            return node
        if tok.kind != "word" or not _IDENT.match(tok.text):
            raise bad_query(f"expected a column name at position {tok.pos}", value=self.source)
        column = tok.text
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise bad_query(f"WHERE clause has more than {MAX_TERMS} comparisons", value=self.source)
        negate = False
        if self.is_kw("not"):
            self.pos += 1
            negate = True
            if not self.is_kw("like"):
                raise bad_query("NOT after a column must be followed by LIKE", value=self.source)
        op_tok = self.take()
        if op_tok.kind == "kw" and op_tok.text == "like":
            op = "notlike" if negate else "like"
        elif op_tok.kind == "op":
            op = "!=" if op_tok.text == "<>" else op_tok.text
        else:
            raise bad_query(f"expected an operator at position {op_tok.pos}", value=self.source)
        value_tok = self.take()
        if value_tok.kind not in ("string", "number", "word"):
            raise bad_query(f"expected a value at position {value_tok.pos}", value=self.source)
        self.columns_seen.append(column)
        return Compare(column, op, value_tok.text, value_tok.kind == "string")


def parse_where(text: str) -> Node | None:
    """The AST of a WHERE clause, or None when it is empty."""
    if len(text) > MAX_LENGTH:
        raise bad_query(f"WHERE clause longer than {MAX_LENGTH} characters")
    tokens = tokenize(text)
    if not tokens:
        return None
    return _Parser(tokens, text).parse()


# --------------------------------------------------------------------------- SQL


def like_to_glob(pattern: str) -> str:
    """A LIKE pattern (``%``, ``_``, backslash escapes) as an equivalent, case-sensitive GLOB."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise bad_query("LIKE pattern must not end with an escape character", value=pattern)
            out.append(_glob_literal(pattern[i + 1]))
            i += 2
            continue
        if c == "%":
            out.append("*")
        elif c == "_":
            out.append("?")
        else:
            out.append(_glob_literal(c))
        i += 1
    return "".join(out)


def _glob_literal(c: str) -> str:
    return f"[{c}]" if c in "*?[" else c


def compile_where(
    node: Node, columns: Mapping[str, Column], params: Params, *, nocase_names: bool = False
) -> str:
    """SQL of a parsed WHERE. ``nocase_names``: ``=``/``!=`` on ``*_name`` columns ignore letter case
    (an appliance setting: :mod:`.profile`)."""
    if isinstance(node, BoolOp):
        joiner = " AND " if node.op == "and" else " OR "
        parts = (compile_where(item, columns, params, nocase_names=nocase_names) for item in node.items)
        return "(" + joiner.join(parts) + ")"
    if isinstance(node, Not):
        return f"(NOT {compile_where(node.item, columns, params, nocase_names=nocase_names)})"
    column = columns.get(node.column)
    if column is None:
        raise bad_query(f"unknown column {node.column!r} in WHERE clause", value=node.column)
    return _compile_compare(node, column, params, nocase=nocase_names and node.column.endswith("_name"))


def _compile_compare(node: Compare, column: Column, params: Params, nocase: bool = False) -> str:
    op, value = node.op, node.value
    if op in ("like", "notlike"):
        placeholder = params.add(like_to_glob(value))
        test = f"(CAST({column.expr} AS TEXT) GLOB {placeholder})"
        return f"(NOT {test})" if op == "notlike" else test
    if op in ("=", "!="):
        if column.kind == "int":
            if _INTEGER.match(value):
                lhs, placeholder = column.expr, params.add(_int64(value))
            else:
                lhs, placeholder = f"CAST({column.expr} AS TEXT)", params.add(value)
        else:
            if op == "=" and value != "" and column.index_eq is not None:
                return column.index_eq(params.add(value))
            lhs, placeholder = column.expr, params.add(value)
            if nocase:
                lhs = f"{lhs} COLLATE NOCASE"
        return f"({lhs} {op} {placeholder})"
    # ordering comparisons
    if _NUMBER.match(value):
        number: float | int = _int64(value) if _INTEGER.match(value) else float(value)
        lhs = column.expr if column.kind == "int" else f"CAST({column.expr} AS REAL)"
        return f"({lhs} {op} {params.add(number)})"
    return f"(CAST({column.expr} AS TEXT) {op} {params.add(value)})"


def parse_orderby(text: str, columns: Mapping[str, Column]) -> list[str]:
    """SQL ``ORDER BY`` items for ``col [ASC|DESC][, ...]``; unknown columns -> 400."""
    items: list[str] = []
    if text.strip() == "":
        return items
    for raw in text.split(","):
        parts = raw.split()
        if not parts or len(parts) > 2:
            raise bad_query(f"malformed ORDERBY item {raw.strip()!r}", parameter="ORDERBY", value=text)
        name = parts[0]
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise bad_query(f"bad ORDERBY direction {parts[1]!r}", parameter="ORDERBY", value=text)
        column = columns.get(name)
        if column is None:
            raise bad_query(f"unknown column {name!r} in ORDERBY", parameter="ORDERBY", value=name)
        items.append(f"{column.expr} {direction}")
    return items


_TAG_PARAM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]*$")


def parse_tags(
    text: str, allowed_types: Mapping[str, object], *, ignore_unknown: bool = False
) -> list[tuple[str, str]]:
    """``type.param&type2.param2`` -> [(type, param)...]; bad names -> 400; unknown types -> 400, or
    left out with ``ignore_unknown`` (no column: a WHERE naming it is then an unknown column)."""
    tags: list[tuple[str, str]] = []
    for raw in text.split("&"):
        item = raw.strip()
        if item == "":
            continue
        tag_type, dot, param = item.partition(".")
        if not dot or not param or not _TAG_PARAM.match(param):
            raise bad_query(f"malformed TAGS item {item!r} (expected <type>.<param>)", "TAGS", item)
        if tag_type not in allowed_types:
            if ignore_unknown:
                continue
            allowed = ", ".join(sorted(allowed_types))
            raise bad_query(f"tag type {tag_type!r} not available here (use {allowed})", "TAGS", item)
        if (tag_type, param) not in tags:
            tags.append((tag_type, param))
    return tags
