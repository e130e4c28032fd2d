"""IPAM rules for IPv4/IPv6 networks, blocks and subnets (``ip_subnet_*``, ``ip6_subnet6_*``).

Every function runs inside the request's transaction (see :meth:`Store.transaction`) and raises
:class:`ApiError` on a rule violation, which rolls the whole request back.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from . import addr
from .errors import ApiError, Errno, invalid, missing
from .ipam_spaces import resolve_site
from .request import Req, Result, apply_class, explicit_id, ret_oid, upsert
from .store import Store

# --------------------------------------------------------------------------- networks


@dataclass(frozen=True)
class Family:
    """The column names and address forms of IPv4 or IPv6 IPAM objects."""

    version: int
    bits: int
    table: str
    id_col: str
    parent_col: str
    name_col: str
    start_col: str
    end_col: str
    p: str  # parameter prefix: subnet / subnet6
    class_inputs: tuple[str, ...]
    ip_table: str
    ip_id_col: str
    ip_subnet_col: str
    ip_addr_col: str

    def store_addr(self, value: int) -> int | str:
        return value if self.version == 4 else addr.hex6(value)

    def load_addr(self, stored: int | str) -> int:
        return int(stored) if self.version == 4 else int(str(stored), 16)

    def host(self, value: int) -> str:
        return addr.dotted4(value) if self.version == 4 else addr.expanded6(value)

    def parse(self, name: str, text: str) -> int:
        return addr.parse_v4(name, text) if self.version == 4 else addr.parse_v6(name, text)

    @property
    def what(self) -> str:
        return f"IPv{self.version} network"


V4 = Family(
    4,
    32,
    "subnet4",
    "subnet_id",
    "parent_subnet_id",
    "subnet_name",
    "start_addr",
    "end_addr",
    "subnet",
    ("network_class_parameters", "subnet_class_parameters"),
    "ip4",
    "ip_id",
    "subnet_id",
    "addr",
)
V6 = Family(
    6,
    128,
    "subnet6",
    "subnet6_id",
    "parent_subnet6_id",
    "subnet6_name",
    "start_hex",
    "end_hex",
    "subnet6",
    ("network6_class_parameters", "subnet6_class_parameters"),
    "ip6",
    "ip6_id",
    "subnet6_id",
    "addr_hex",
)


def _range(fam: Family, req: Req) -> tuple[int, int] | None:
    """(start, end) from the address and one of prefix / size / mask / end address, or None."""
    addr_name = f"{fam.p}_addr"
    if not req.get(addr_name):
        return None
    start = fam.parse(addr_name, req.text(addr_name))
    sizes: list[tuple[str, int]] = []
    prefix = req.uint(f"{fam.p}_prefix")
    if prefix is not None:
        if prefix > fam.bits:
            raise invalid(f"{fam.p}_prefix", prefix, f"ipv{fam.version}_prefix")
        sizes.append((f"{fam.p}_prefix", 1 << (fam.bits - prefix)))
    if fam.version == 4:
        size = req.uint("subnet_size")
        if size is not None:
            if size == 0 or size & (size - 1) or size > (1 << 32):
                raise invalid("subnet_size", size, ">0", "the size of a network is a power of two")
            sizes.append(("subnet_size", size))
        mask_text = req.get("subnet_mask")
        if mask_text:
            mask = addr.parse_v4("subnet_mask", mask_text)
            inverted = (~mask) & 0xFFFFFFFF
            if inverted & (inverted + 1):
                raise invalid("subnet_mask", mask_text, "ipv4_addr", "not a contiguous netmask")
            sizes.append(("subnet_mask", inverted + 1))
    end_text = req.get(f"{fam.p}_end_addr")
    if end_text:
        end = fam.parse(f"{fam.p}_end_addr", end_text)
        size = end - start + 1
        if end < start or size & (size - 1):
            raise invalid(
                f"{fam.p}_end_addr", end_text, f"ipv{fam.version}_addr", "the range is not a CIDR network"
            )
        sizes.append((f"{fam.p}_end_addr", size))
    if not sizes:
        return None
    if len({size for _, size in sizes}) > 1:
        names = ", ".join(name for name, _ in sizes)
        raise invalid(sizes[1][0], req.text(sizes[1][0]), "", f"{names} disagree on the network size")
    size = sizes[0][1]
    if start % size:
        raise invalid(
            addr_name,
            req.text(addr_name),
            f"ipv{fam.version}_addr",
            f"not aligned on a /{fam.bits - size.bit_length() + 1} boundary",
        )
    return start, start + size - 1


def _prefix_of(fam: Family, start: int, end: int) -> int:
    return fam.bits - (end - start + 1).bit_length() + 1


def _net(store: Store, fam: Family, oid: int) -> sqlite3.Row | None:
    return store.one(f"SELECT * FROM {fam.table} WHERE {fam.id_col} = ?", (oid,))


def containing(
    store: Store, fam: Family, site_id: int, start: int, end: int, *, terminal: int
) -> list[sqlite3.Row]:
    """Networks of a space with the given terminal flag that contain [start, end], deepest first."""
    return store.all(
        f"SELECT * FROM {fam.table} WHERE site_id = ? AND is_terminal = ? AND {fam.start_col} <= ?"
        f" AND {fam.end_col} >= ? ORDER BY subnet_level DESC",
        (site_id, terminal, fam.store_addr(start), fam.store_addr(end)),
    )


def network_add(store: Store, req: Req, fam: Family) -> Result:
    existing = explicit_id(store, req, fam.table, fam.id_col, fam.what)
    plan: _Placement | None = None
    if existing is None:
        plan = _place(store, req, fam)
        if plan is not None:
            row = store.one(
                f"SELECT {fam.id_col} FROM {fam.table} WHERE site_id = ? AND {fam.start_col} = ?"
                f" AND {fam.end_col} = ? AND is_terminal = ? AND {fam.parent_col} = ?",
                (
                    plan.site_id,
                    fam.store_addr(plan.start),
                    fam.store_addr(plan.end),
                    plan.terminal,
                    plan.parent_id,
                ),
            )
            existing = row[fam.id_col] if row else None

    def create() -> int:
        if plan is None:
            raise missing(f"{fam.p}_addr", f"{fam.p}_prefix")
        return _create_network(store, req, fam, plan)

    def edit(oid: int) -> None:
        _edit_network(store, req, fam, oid)

    return upsert(req, existing, create, edit, fam.what)


@dataclass(frozen=True)
class _Placement:
    site_id: int
    start: int
    end: int
    terminal: int
    parent_id: int
    level: int
    path: str


def _place(store: Store, req: Req, fam: Family) -> _Placement | None:
    """Where a new network goes: its space, parent, level and terminal flag (rules checked)."""
    bounds = _range(fam, req)
    if bounds is None:
        if req.get(f"{fam.p}_addr"):
            raise missing(
                f"{fam.p}_prefix",
                f"{fam.p}_end_addr",
                *(("subnet_size", "subnet_mask") if fam.version == 4 else ()),
            )
        return None
    start, end = bounds
    terminal_flag = req.flag("is_terminal")
    level = req.uint("subnet_level")
    parent_id = req.oid(fam.parent_col)
    site = resolve_site(store, req, required=parent_id is None)
    parent: sqlite3.Row | None = None
    if parent_id is not None:
        parent = _net(store, fam, parent_id)
        if parent is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"parent {fam.what} {parent_id} does not exist",
                parameters=fam.parent_col,
                param_value=str(parent_id),
            )
        if site is not None and site["site_id"] != parent["site_id"]:
            raise invalid("site_id", site["site_id"], ">0", "the parent network is in another space")
    elif level == 0:
        parent = None
    elif terminal_flag or (level is not None and level > 0):
        assert site is not None
        candidates = containing(store, fam, site["site_id"], start, end, terminal=0)
        if level is not None:
            candidates = [row for row in candidates if row["subnet_level"] == level - 1]
        if not candidates:
            raise ApiError(
                Errno.OUTSIDE_PARENT,
                f"no {fam.what} block of the space contains {fam.host(start)}/{_prefix_of(fam, start, end)}",
                parameters=f"{fam.p}_addr",
                param_value=fam.host(start),
            )
        parent = candidates[0]
    terminal = int(terminal_flag) if terminal_flag is not None else (1 if parent is not None else 0)
    if parent is None and terminal:
        raise ApiError(
            Errno.OUTSIDE_PARENT,
            "a terminal network needs a parent block",
            parameters="is_terminal",
            param_value="1",
        )
    site_id = parent["site_id"] if parent is not None else (site["site_id"] if site is not None else 0)
    if parent is not None:
        if parent["is_terminal"]:
            raise ApiError(
                Errno.OUTSIDE_PARENT,
                f"parent network {parent[fam.id_col]} is terminal",
                parameters=fam.parent_col,
                param_value=str(parent[fam.id_col]),
            )
        p_start, p_end = fam.load_addr(parent[fam.start_col]), fam.load_addr(parent[fam.end_col])
        if not (p_start <= start and end <= p_end):
            raise ApiError(
                Errno.OUTSIDE_PARENT,
                f"{fam.host(start)}/{_prefix_of(fam, start, end)} is not inside its parent "
                f"{fam.host(p_start)}/{_prefix_of(fam, p_start, p_end)}",
                parameters=f"{fam.p}_addr",
                param_value=fam.host(start),
            )
    parent_key = parent[fam.id_col] if parent is not None else 0
    return _Placement(
        site_id=site_id,
        start=start,
        end=end,
        terminal=terminal,
        parent_id=parent_key,
        level=parent["subnet_level"] + 1 if parent is not None else 0,
        path=f"{parent['subnet_path']}{parent_key}#" if parent is not None else "#",
    )


def _create_network(store: Store, req: Req, fam: Family, plan: _Placement) -> int:
    clash = store.one(
        f"SELECT {fam.id_col}, {fam.start_col}, {fam.end_col} FROM {fam.table}"
        f" WHERE site_id = ? AND {fam.parent_col} = ? AND {fam.start_col} <= ? AND {fam.end_col} >= ?"
        " LIMIT 1",
        (plan.site_id, plan.parent_id, fam.store_addr(plan.end), fam.store_addr(plan.start)),
    )
    if clash is not None:
        c_start, c_end = fam.load_addr(clash[fam.start_col]), fam.load_addr(clash[fam.end_col])
        raise ApiError(
            Errno.OVERLAP,
            f"{fam.host(plan.start)}/{_prefix_of(fam, plan.start, plan.end)} overlaps network "
            f"{clash[fam.id_col]} ({fam.host(c_start)}/{_prefix_of(fam, c_start, c_end)})",
            parameters=f"{fam.p}_addr",
            param_value=fam.host(plan.start),
        )
    values: dict[str, object] = {
        "site_id": plan.site_id,
        fam.start_col: fam.store_addr(plan.start),
        fam.end_col: fam.store_addr(plan.end),
        "start_host": fam.host(plan.start),
        "end_host": fam.host(plan.end),
        "prefix": _prefix_of(fam, plan.start, plan.end),
        fam.name_col: req.text(fam.name_col),
        "subnet_level": plan.level,
        "is_terminal": plan.terminal,
        fam.parent_col: plan.parent_id,
        "subnet_path": plan.path,
    }
    if fam.version == 6:
        values["size_text"] = str(plan.end - plan.start + 1)
    else:
        lock = req.flag("lock_network_broadcast")
        values["lock_network_broadcast"] = 1 if lock is None else int(lock)
    oid = store.insert(fam.table, values)
    if plan.terminal and store.profile.attach_orphans:
        # orphan addresses of the space in its range now belong to it [guess: no public source]
        store.execute(
            f"UPDATE {fam.ip_table} SET {fam.ip_subnet_col} = ? WHERE site_id = ? AND {fam.ip_subnet_col} = 0"
            f" AND {fam.ip_addr_col} BETWEEN ? AND ?",
            (oid, plan.site_id, fam.store_addr(plan.start), fam.store_addr(plan.end)),
        )
    _network_class(store, req, fam, oid, "", created=True)
    return oid


def _edit_network(store: Store, req: Req, fam: Family, oid: int) -> None:
    row = _net(store, fam, oid)
    assert row is not None
    start, end = fam.load_addr(row[fam.start_col]), fam.load_addr(row[fam.end_col])
    if req.get(f"{fam.p}_addr"):
        new_start = fam.parse(f"{fam.p}_addr", req.text(f"{fam.p}_addr"))
        bounds = _range(fam, req)
        if new_start != start or (bounds is not None and bounds != (start, end)):
            raise ApiError(
                Errno.IMMUTABLE,
                f"the address and size of a network cannot be edited "
                f"(network {oid} is {fam.host(start)}/{_prefix_of(fam, start, end)})",
                parameters=f"{fam.p}_addr",
                param_value=req.text(f"{fam.p}_addr"),
            )
    terminal = req.flag("is_terminal")
    if terminal is not None and int(terminal) != row["is_terminal"]:
        raise ApiError(
            Errno.IMMUTABLE,
            f"network {oid} cannot change between block/network and terminal subnet",
            parameters="is_terminal",
            param_value=req.text("is_terminal"),
        )
    parent_id = req.oid(fam.parent_col)
    if parent_id is not None and parent_id != row[fam.parent_col]:
        raise ApiError(
            Errno.IMMUTABLE,
            f"network {oid} cannot be moved to another parent",
            parameters=fam.parent_col,
            param_value=str(parent_id),
        )
    if req.has(fam.name_col):
        store.update(fam.table, fam.id_col, oid, {fam.name_col: req.text(fam.name_col)})
    lock = req.flag("lock_network_broadcast") if fam.version == 4 else None
    if lock is not None:
        store.update(fam.table, fam.id_col, oid, {"lock_network_broadcast": int(lock)})
    _network_class(store, req, fam, oid, row["class_params"])


def _network_class(
    store: Store, req: Req, fam: Family, oid: int, current: str, *, created: bool = False
) -> None:
    apply_class(
        store,
        req,
        prefix_names=fam.class_inputs,
        otype=fam.table,
        table=fam.table,
        id_column=fam.id_col,
        oid=oid,
        current=current,
        class_name_param=f"{fam.p}_class_name",
        created=created,
    )


def network_delete(store: Store, req: Req, fam: Family) -> Result:
    oid = req.oid(fam.id_col)
    row: sqlite3.Row | None
    if oid is not None:
        row = _net(store, fam, oid)
    else:
        if not req.get(f"{fam.p}_addr"):
            raise missing(fam.id_col, f"{fam.p}_addr")
        site = resolve_site(store, req)
        assert site is not None
        start = fam.parse(f"{fam.p}_addr", req.text(f"{fam.p}_addr"))
        bounds = _range(fam, req)
        sql = f"SELECT * FROM {fam.table} WHERE site_id = ? AND {fam.start_col} = ?"
        args: list[object] = [site["site_id"], fam.store_addr(start)]
        if bounds is not None:
            sql += f" AND {fam.end_col} = ?"
            args.append(fam.store_addr(bounds[1]))
        rows = store.all(sql, tuple(args))
        if len(rows) > 1:
            raise ApiError(
                Errno.INVALID_PARAMETER,
                f"{len(rows)} networks start at {fam.host(start)}: give {fam.id_col} or the prefix",
                parameters=f"{fam.p}_addr",
                param_value=fam.host(start),
            )
        row = rows[0] if rows else None
    if row is None:
        return Result()
    oid = row[fam.id_col]
    if store.one(f"SELECT 1 FROM {fam.table} WHERE {fam.parent_col} = ? LIMIT 1", (oid,)):
        raise ApiError(
            Errno.IN_USE, f"network {oid} still holds networks", parameters=fam.id_col, param_value=str(oid)
        )
    if store.one(f"SELECT 1 FROM {fam.ip_table} WHERE {fam.ip_subnet_col} = ? LIMIT 1", (oid,)):
        raise ApiError(
            Errno.IN_USE, f"network {oid} still holds addresses", parameters=fam.id_col, param_value=str(oid)
        )
    store.execute(f"DELETE FROM {fam.table} WHERE {fam.id_col} = ?", (oid,))
    store.drop_meta(fam.table, oid)
    return ret_oid(oid, created=False)
