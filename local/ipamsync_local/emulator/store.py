"""SQLite storage of the emulator: schema, transactions, class parameters and generic queries.

One connection (a file or ``:memory:``) guarded by a re-entrant lock: every REST request runs
inside :meth:`Store.transaction`, so it is atomic (a request that fails changes nothing) and
requests are serialized. Business rules live in :mod:`.ipam`, :mod:`.devices` and :mod:`.dns`;
output columns in :mod:`.views`.

Identifiers come from ``AUTOINCREMENT`` tables: an id is never reused, not even after the object
was deleted or after :meth:`Store.reset` (which keeps ``sqlite_sequence``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode

from . import addr
from .errors import ApiError, Errno
from .profile import DEFAULT, Appliance
from .where import Column, Params, bad_query, compile_where, parse_orderby, parse_tags, parse_where

#: page size when a list request has no (or a zero) ``limit``; a larger ``limit`` is a 400
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000

MEMBER_VERSION = "8.4.0"

SCHEMA = """
CREATE TABLE IF NOT EXISTS site (
    site_id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_name TEXT NOT NULL UNIQUE,
    site_description TEXT NOT NULL DEFAULT '',
    parent_site_id INTEGER NOT NULL DEFAULT 0,
    tree_level INTEGER NOT NULL DEFAULT 0,
    tree_path TEXT NOT NULL DEFAULT '',
    tree_id_path TEXT NOT NULL DEFAULT '',
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS subnet4 (
    subnet_id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id INTEGER NOT NULL,
    start_addr INTEGER NOT NULL,
    end_addr INTEGER NOT NULL,
    start_host TEXT NOT NULL,
    end_host TEXT NOT NULL,
    prefix INTEGER NOT NULL,
    subnet_name TEXT NOT NULL DEFAULT '',
    subnet_level INTEGER NOT NULL,
    is_terminal INTEGER NOT NULL,
    parent_subnet_id INTEGER NOT NULL DEFAULT 0,
    subnet_path TEXT NOT NULL,
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT '',
    lock_network_broadcast INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS subnet4_range ON subnet4 (site_id, start_addr, end_addr);
CREATE INDEX IF NOT EXISTS subnet4_parent ON subnet4 (parent_subnet_id);
CREATE TABLE IF NOT EXISTS subnet6 (
    subnet6_id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id INTEGER NOT NULL,
    start_hex TEXT NOT NULL,
    end_hex TEXT NOT NULL,
    start_host TEXT NOT NULL,
    end_host TEXT NOT NULL,
    prefix INTEGER NOT NULL,
    size_text TEXT NOT NULL,
    subnet6_name TEXT NOT NULL DEFAULT '',
    subnet_level INTEGER NOT NULL,
    is_terminal INTEGER NOT NULL,
    parent_subnet6_id INTEGER NOT NULL DEFAULT 0,
    subnet_path TEXT NOT NULL,
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS subnet6_range ON subnet6 (site_id, start_hex, end_hex);
CREATE INDEX IF NOT EXISTS subnet6_parent ON subnet6 (parent_subnet6_id);
CREATE TABLE IF NOT EXISTS ip4 (
    ip_id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id INTEGER NOT NULL,
    subnet_id INTEGER NOT NULL,
    addr INTEGER NOT NULL,
    hostaddr TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    mac_addr TEXT NOT NULL DEFAULT '',
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT '',
    hostdev_id INTEGER NOT NULL DEFAULT 0,
    hostiface_id INTEGER NOT NULL DEFAULT 0,
    UNIQUE (site_id, addr)
);
CREATE INDEX IF NOT EXISTS ip4_hostaddr ON ip4 (hostaddr);
CREATE INDEX IF NOT EXISTS ip4_subnet ON ip4 (subnet_id);
CREATE INDEX IF NOT EXISTS ip4_hostdev ON ip4 (hostdev_id);
CREATE INDEX IF NOT EXISTS ip4_hostiface ON ip4 (hostiface_id);
CREATE TABLE IF NOT EXISTS ip6 (
    ip6_id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id INTEGER NOT NULL,
    subnet6_id INTEGER NOT NULL,
    addr_hex TEXT NOT NULL,
    hostaddr TEXT NOT NULL,
    ip6_name TEXT NOT NULL DEFAULT '',
    ip6_mac_addr TEXT NOT NULL DEFAULT '',
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT '',
    hostdev_id INTEGER NOT NULL DEFAULT 0,
    hostiface_id INTEGER NOT NULL DEFAULT 0,
    UNIQUE (site_id, addr_hex)
);
CREATE INDEX IF NOT EXISTS ip6_hostaddr ON ip6 (hostaddr);
CREATE INDEX IF NOT EXISTS ip6_subnet ON ip6 (subnet6_id);
CREATE INDEX IF NOT EXISTS ip6_hostdev ON ip6 (hostdev_id);
CREATE INDEX IF NOT EXISTS ip6_hostiface ON ip6 (hostiface_id);
CREATE TABLE IF NOT EXISTS hostdev (
    hostdev_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hostdev_name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    hostdev_site_id INTEGER NOT NULL DEFAULT 0,
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS hostiface (
    hostiface_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hostdev_id INTEGER NOT NULL,
    hostiface_name TEXT NOT NULL,
    hostiface_type TEXT NOT NULL DEFAULT 'interface',
    hostiface_mac TEXT NOT NULL DEFAULT '',
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT '',
    add_time INTEGER NOT NULL,
    modify_time INTEGER NOT NULL,
    UNIQUE (hostdev_id, hostiface_name)
);
CREATE TABLE IF NOT EXISTS dns_server (
    dns_id INTEGER PRIMARY KEY AUTOINCREMENT,
    dns_name TEXT NOT NULL UNIQUE,
    ip_addr INTEGER NOT NULL DEFAULT 0,
    dns_type TEXT NOT NULL DEFAULT 'ipm',
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS dns_zone (
    dnszone_id INTEGER PRIMARY KEY AUTOINCREMENT,
    dns_id INTEGER NOT NULL,
    dnszone_name TEXT NOT NULL,
    dnszone_is_reverse INTEGER NOT NULL,
    dnszone_type TEXT NOT NULL DEFAULT 'master',
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT '',
    UNIQUE (dns_id, dnszone_name)
);
CREATE TABLE IF NOT EXISTS dns_rr (
    rr_id INTEGER PRIMARY KEY AUTOINCREMENT,
    dns_id INTEGER NOT NULL,
    dnszone_id INTEGER NOT NULL,
    rr_full_name TEXT NOT NULL,
    rr_glue TEXT NOT NULL DEFAULT '',
    rr_type TEXT NOT NULL,
    value1 TEXT NOT NULL DEFAULT '',
    value2 TEXT NOT NULL DEFAULT '',
    value3 TEXT NOT NULL DEFAULT '',
    value4 TEXT NOT NULL DEFAULT '',
    value5 TEXT NOT NULL DEFAULT '',
    value6 TEXT NOT NULL DEFAULT '',
    value7 TEXT NOT NULL DEFAULT '',
    rr_all_value TEXT NOT NULL DEFAULT '',
    rr_name_ip_addr TEXT NOT NULL DEFAULT '',
    rr_value_ip_addr TEXT NOT NULL DEFAULT '',
    ttl INTEGER NOT NULL DEFAULT 3600,
    class_name TEXT NOT NULL DEFAULT '',
    class_params TEXT NOT NULL DEFAULT '',
    last_update INTEGER NOT NULL DEFAULT 0,
    deleted_at REAL,
    ipam_link TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS dns_rr_name ON dns_rr (rr_full_name);
CREATE INDEX IF NOT EXISTS dns_rr_zone ON dns_rr (dnszone_id);
CREATE TABLE IF NOT EXISTS meta (
    otype TEXT NOT NULL,
    oid INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (otype, oid, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS meta_lookup ON meta (otype, key, value);
CREATE TABLE IF NOT EXISTS member (
    member_id INTEGER PRIMARY KEY,
    member_name TEXT NOT NULL,
    member_version TEXT NOT NULL
);
"""

#: columns added after the first release: (table, column, definition), added to older database files
_ADDED_COLUMNS = (
    ("subnet4", "lock_network_broadcast", "INTEGER NOT NULL DEFAULT 1"),
    ("dns_rr", "deleted_at", "REAL"),
    ("dns_rr", "ipam_link", "TEXT NOT NULL DEFAULT ''"),
)


def _hex6_add(value: str | None, delta: int) -> str | None:
    """32 hex digits of an IPv6 address plus ``delta`` (None outside the address space)."""
    if value is None:
        return None
    number = int(value, 16) + int(delta)
    return addr.hex6(number) if 0 <= number < 1 << 128 else None


def _hex6_text(value: str | None) -> str | None:
    return None if value is None else addr.expanded6(int(value, 16))


def _hex6_count(start: str | None, end: str | None) -> str | None:
    return None if start is None or end is None else str(int(end, 16) - int(start, 16) + 1)


#: SQL functions the views use (IPv6 arithmetic on the 32-hex-digit text form)
_SQL_FUNCTIONS = (
    ("emu_hex6_add", 2, _hex6_add),
    ("emu_hex6_text", 1, _hex6_text),
    ("emu_hex6_count", 2, _hex6_count),
)

#: tables wiped by reset(), children first
DATA_TABLES = (
    "dns_rr",
    "dns_zone",
    "dns_server",
    "ip6",
    "ip4",
    "hostiface",
    "hostdev",
    "subnet6",
    "subnet4",
    "site",
    "meta",
)


# --------------------------------------------------------------------------- class parameters


def decode_class_params(text: str) -> dict[str, str]:
    """``k=v&k2=v2`` (url-encoded) -> ordered dict; the last of repeated keys wins."""
    return dict(parse_qsl(text, keep_blank_values=True))


def encode_class_params(params: Mapping[str, str]) -> str:
    """Ordered dict -> ``k=v&k2=v2`` with RFC 3986 percent-encoding (space -> ``%20``)."""
    return urlencode(list(params.items()), quote_via=quote)


def keys_to_delete(text: str) -> list[str]:
    """``class_parameters_to_delete=k1&k2`` -> [k1, k2] (each item may itself be percent-encoded)."""
    return [unquote(item) for item in text.split("&") if item != ""]


@dataclass(frozen=True)
class View:
    """A list/info/count family: the SQL ``FROM``, the column map and the tag types."""

    name: str
    from_sql: str
    id_column: str
    columns: Mapping[str, Column]
    #: tag type -> (meta otype, SQL expression of that object's id in from_sql)
    tag_types: Mapping[str, tuple[str, str]]
    #: output column -> constant value (filled in Python, not selected)
    constants: Mapping[str, str]
    order: tuple[str, ...]
    #: tie-breakers after the id (rows that share an id: the free ranges of an address list)
    order_tail: tuple[str, ...] = ()


class Store:
    """The emulator's database. Thread-safe; one transaction per request."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA foreign_keys = OFF")
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        self._depth = 0
        self._profile: Appliance = DEFAULT
        for name, nargs, fn in _SQL_FUNCTIONS:
            self._conn.create_function(name, nargs, fn, deterministic=True)
        with self._lock:  # executescript commits on its own: run it outside a transaction
            self._conn.executescript(SCHEMA)
            for table, column, ddl in _ADDED_COLUMNS:  # database files from before these columns
                columns = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
            self._conn.execute("CREATE INDEX IF NOT EXISTS dns_rr_link ON dns_rr (ipam_link)")
            pending = self._conn.execute(
                "SELECT 1 FROM dns_rr WHERE deleted_at IS NOT NULL LIMIT 1"
            ).fetchone()
        #: records are pending deletion (``delayed_delete_seconds``): checked before every request
        self.pending_deletions = pending is not None
        with self.transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO member (member_id, member_name, member_version) VALUES (1, ?, ?)",
                ("ipamsync-emulator", MEMBER_VERSION),
            )

    # ------------------------------------------------------------------ plumbing

    @property
    def profile(self) -> Appliance:
        """The appliance's behaviours (:mod:`.profile`): replaced as a whole, read by every request."""
        return self._profile

    @profile.setter
    def profile(self, value: Appliance) -> None:
        with self.transaction():
            self._conn.execute("UPDATE member SET member_version = ? WHERE member_id = 1", (value.version,))
            self._profile = value

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Serialize and make atomic: commit on success, roll back on any exception."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def reset(self) -> None:
        """Delete every object (ids keep counting up: ``sqlite_sequence`` is kept)."""
        with self.transaction() as conn:
            for table in DATA_TABLES:
                conn.execute(f"DELETE FROM {table}")
            self.pending_deletions = False

    def one(self, sql: str, params: Mapping[str, object] | tuple[object, ...] = ()) -> sqlite3.Row | None:
        cur = self._conn.execute(sql, params)
        cur.row_factory = sqlite3.Row
        row: sqlite3.Row | None = cur.fetchone()
        return row

    def all(self, sql: str, params: Mapping[str, object] | tuple[object, ...] = ()) -> list[sqlite3.Row]:
        cur = self._conn.execute(sql, params)
        cur.row_factory = sqlite3.Row
        return list(cur.fetchall())

    def execute(self, sql: str, params: Mapping[str, object] | tuple[object, ...] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def insert(self, table: str, values: Mapping[str, object]) -> int:
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        cur = self._conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", dict(values))
        return int(cur.lastrowid or 0)

    def update(self, table: str, id_column: str, oid: int, values: Mapping[str, object]) -> None:
        if not values:
            return
        sets = ", ".join(f"{k} = :{k}" for k in values)
        self._conn.execute(f"UPDATE {table} SET {sets} WHERE {id_column} = :_oid", {**values, "_oid": oid})

    @staticmethod
    def now() -> int:
        return int(time.time())

    # ------------------------------------------------------------------ class parameters

    def set_class_params(
        self, otype: str, table: str, id_column: str, oid: int, params: dict[str, str]
    ) -> None:
        """Store the encoded string on the object and mirror the keys in ``meta`` (TAGS lookups)."""
        self._conn.execute(
            f"UPDATE {table} SET class_params = ? WHERE {id_column} = ?", (encode_class_params(params), oid)
        )
        self._conn.execute("DELETE FROM meta WHERE otype = ? AND oid = ?", (otype, oid))
        self._conn.executemany(
            "INSERT INTO meta (otype, oid, key, value) VALUES (?, ?, ?, ?)",
            [(otype, oid, k, v) for k, v in params.items()],
        )

    def drop_meta(self, otype: str, oid: int) -> None:
        self._conn.execute("DELETE FROM meta WHERE otype = ? AND oid = ?", (otype, oid))

    # ------------------------------------------------------------------ generic reads

    def _columns_with_tags(
        self, view: View, tags_text: str, params: Params
    ) -> tuple[dict[str, Column], list[str]]:
        columns = dict(view.columns)
        names: list[str] = []
        profile = self.profile
        missing = set(profile.missing_tag_types) | (set() if profile.record_metadata else {"rr"})
        available = {t: v for t, v in view.tag_types.items() if t not in missing}
        ignore = profile.unknown_tag_types == "ignore"
        for tag_type, key in parse_tags(tags_text, available, ignore_unknown=ignore):
            otype, id_expr = view.tag_types[tag_type]
            name = f"tag_{tag_type}_{key}"
            columns[name] = _tag_column(otype, id_expr, params.add(key))
            names.append(name)
        return columns, names

    def _where_sql(self, view: View, columns: Mapping[str, Column], where_text: str, params: Params) -> str:
        node = parse_where(where_text)
        if node is None:
            return ""
        return " WHERE " + compile_where(
            node, columns, params, nocase_names=self.profile.case_insensitive_names
        )

    def list_rows(
        self,
        view: View,
        *,
        where: str = "",
        orderby: str = "",
        tags: str = "",
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
    ) -> list[dict[str, str]]:
        params = Params()
        columns, tag_names = self._columns_with_tags(view, tags, params)
        where_sql = self._where_sql(view, columns, where, params)
        order = parse_orderby(orderby, columns)
        order.append(f"{view.id_column} ASC")
        order.extend(view.order_tail)
        selected = [name for name in view.order if name not in view.constants] + tag_names
        select = ", ".join(columns[name].expr for name in selected)
        sql = (
            f"SELECT {select} FROM {view.from_sql}{where_sql} ORDER BY {', '.join(order)}"
            f" LIMIT {params.add(limit)} OFFSET {params.add(offset)}"
        )
        with self._lock:
            raw = self._run(sql, params.values)
        return [self._row(view, selected, values, tag_names) for values in raw]

    def count_rows(self, view: View, *, where: str = "", tags: str = "") -> int:
        params = Params()
        columns, _ = self._columns_with_tags(view, tags, params)
        where_sql = self._where_sql(view, columns, where, params)
        with self._lock:
            raw = self._run(f"SELECT COUNT(*) FROM {view.from_sql}{where_sql}", params.values)
        return int(raw[0][0])

    def info_row(self, view: View, oid: int) -> dict[str, str] | None:
        params = Params()
        selected = [name for name in view.order if name not in view.constants]
        select = ", ".join(view.columns[name].expr for name in selected)
        sql = f"SELECT {select} FROM {view.from_sql} WHERE {view.id_column} = {params.add(oid)}"
        with self._lock:
            raw = self._run(sql, params.values)
        return self._row(view, selected, raw[0], []) if raw else None

    def _run(self, sql: str, params: Mapping[str, object]) -> list[tuple[object, ...]]:
        try:
            return list(self._conn.execute(sql, params).fetchall())
        except sqlite3.OperationalError as exc:  # e.g. an expression tree SQLite finds too deep
            if "too many" in str(exc) or "too large" in str(exc) or "depth" in str(exc):
                raise bad_query(f"query too complex: {exc}") from exc
            raise

    @staticmethod
    def _row(
        view: View, selected: list[str], values: tuple[object, ...], tag_names: list[str]
    ) -> dict[str, str]:
        got = dict(zip(selected, values, strict=True))
        row = {"errno": "0"}
        for name in view.order:
            row[name] = view.constants[name] if name in view.constants else _text(got[name])
        for name in tag_names:
            row[name] = _text(got[name])
        return row


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value)


def _tag_column(otype: str, id_expr: str, key_placeholder: str) -> Column:
    expr = (
        f"COALESCE((SELECT m.value FROM meta m WHERE m.otype = '{otype}' AND m.oid = {id_expr}"
        f" AND m.key = {key_placeholder}), '')"
    )

    def index_eq(value_placeholder: str) -> str:
        return (
            f"({id_expr} IN (SELECT m.oid FROM meta m WHERE m.otype = '{otype}'"
            f" AND m.key = {key_placeholder} AND m.value = {value_placeholder}))"
        )

    return Column(expr, "text", index_eq)


def parse_paging(value: str | None, name: str, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    text = value.strip()
    if not text.isdigit():
        raise ApiError(
            Errno.BAD_QUERY,
            f"{name} must be a non-negative integer",
            parameters=name,
            param_format=">=0",
            param_value=text[:50],
        )
    if int(text) > 2**63 - 1:
        raise ApiError(
            Errno.BAD_QUERY,
            f"{name} is out of range",
            parameters=name,
            param_format=">=0",
            param_value=text[:50],
        )
    return int(text)
