"""IPAM rules for spaces (``ip_site_*``).

Every function runs inside the request's transaction (see :meth:`Store.transaction`) and raises
:class:`ApiError` on a rule violation, which rolls the whole request back.
"""

from __future__ import annotations

import sqlite3

from .errors import ApiError, Errno, missing
from .request import Req, Result, apply_class, explicit_id, ret_oid, upsert
from .store import Store

# --------------------------------------------------------------------------- spaces

#: What a live appliance answers to an ``ip_site_add`` of an existing name (gregocgt/SOLIDserverRest
#: ``report.txt``: ``{"errno":"5061","errmsg":"Space name already exist",...,"site_name":...}``).
SPACE_EXISTS = ("5061", "Space name already exist")


def _site_by_name(store: Store, name: str) -> sqlite3.Row | None:
    """The space of that name (without letter case when the appliance compares names so)."""
    collate = " COLLATE NOCASE" if store.profile.case_insensitive_names else ""
    return store.one(f"SELECT * FROM site WHERE site_name = ?{collate} ORDER BY site_id LIMIT 1", (name,))


def _site_by_id(store: Store, site_id: int, param: str, what: str) -> sqlite3.Row:
    """The space ``site_id`` names in ``param`` (400 when it does not exist)."""
    row = store.one("SELECT * FROM site WHERE site_id = ?", (site_id,))
    if row is None:
        raise ApiError(
            Errno.NOT_FOUND, f"{what} {site_id} does not exist", parameters=param, param_value=str(site_id)
        )
    return row


def resolve_site(store: Store, req: Req, *, required: bool = True) -> sqlite3.Row | None:
    """The space named by ``site_id`` or ``site_name`` (400 when named but missing)."""
    site_id = req.oid("site_id")
    if site_id is not None:
        return _site_by_id(store, site_id, "site_id", "space")
    name = req.get("site_name")
    if name:
        row = _site_by_name(store, name)
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND, f"space {name!r} does not exist", parameters="site_name", param_value=name
            )
        return row
    if required:
        raise missing("site_id", "site_name")
    return None


def site_add(store: Store, req: Req) -> Result:
    existing = explicit_id(store, req, "site", "site_id", "space")
    if existing is None and req.get("site_name"):
        row = _site_by_name(store, req.text("site_name"))
        existing = row["site_id"] if row else None

    def create() -> int:
        name = req.required("site_name")
        parent = _parent_site(store, req)
        oid = store.insert(
            "site",
            {
                "site_name": name,
                "site_description": req.text("site_description"),
                "parent_site_id": parent["site_id"] if parent else 0,
                "tree_level": parent["tree_level"] + 1 if parent else 0,
            },
        )
        _refresh_site_paths(store, oid)
        _site_class(store, req, oid, "", created=True)
        return oid

    def edit(oid: int) -> None:
        row = store.one("SELECT * FROM site WHERE site_id = ?", (oid,))
        assert row is not None
        name = req.get("site_name")
        if name and name != row["site_name"]:
            other = _site_by_name(store, name)
            if other is not None and other["site_id"] != oid:
                raise ApiError(
                    Errno.ALREADY_EXISTS,
                    f"space {name!r} already exists",
                    parameters="site_name",
                    param_value=name,
                    real=SPACE_EXISTS,
                    extra={"site_name": name},
                )
            store.update("site", "site_id", oid, {"site_name": name})
            _refresh_site_paths(store, oid)
        if req.has("site_description"):
            store.update("site", "site_id", oid, {"site_description": req.text("site_description")})
        _site_class(store, req, oid, row["class_params"])

    return upsert(
        req,
        existing,
        create,
        edit,
        "space",
        real_exists=SPACE_EXISTS,
        exists_extra={"site_name": req.text("site_name")} if req.get("site_name") else None,
    )


def _site_class(store: Store, req: Req, oid: int, current: str, *, created: bool = False) -> None:
    apply_class(
        store,
        req,
        prefix_names=("site_class_parameters",),
        otype="site",
        table="site",
        id_column="site_id",
        oid=oid,
        current=current,
        class_name_param="site_class_name",
        created=created,
    )


def _parent_site(store: Store, req: Req) -> sqlite3.Row | None:
    parent_id = req.oid("parent_site_id")
    if parent_id is not None:
        return _site_by_id(store, parent_id, "parent_site_id", "parent space")
    parent_name = req.get("parent_site_name")
    if parent_name and parent_name != "#":
        row = store.one("SELECT * FROM site WHERE site_name = ?", (parent_name,))
        if row is None:
            raise ApiError(
                Errno.NOT_FOUND,
                f"parent space {parent_name!r} does not exist",
                parameters="parent_site_name",
                param_value=parent_name,
            )
        return row
    return None


def _refresh_site_paths(store: Store, site_id: int) -> None:
    """``tree_path``/``tree_id_path`` of a space and its descendants (``#Parent#Child#``)."""
    row = store.one("SELECT * FROM site WHERE site_id = ?", (site_id,))
    assert row is not None
    parent = store.one("SELECT * FROM site WHERE site_id = ?", (row["parent_site_id"],))
    base_path = parent["tree_path"] if parent else "#"
    base_ids = parent["tree_id_path"] if parent else "#"
    store.update(
        "site",
        "site_id",
        site_id,
        {
            "tree_path": f"{base_path}{row['site_name']}#",
            "tree_id_path": f"{base_ids}{site_id}#",
        },
    )
    for child in store.all("SELECT site_id FROM site WHERE parent_site_id = ?", (site_id,)):
        _refresh_site_paths(store, child["site_id"])


def site_delete(store: Store, req: Req) -> Result:
    site_id = req.oid("site_id")
    if site_id is not None:
        row = store.one("SELECT * FROM site WHERE site_id = ?", (site_id,))
    elif req.get("site_name"):
        row = _site_by_name(store, req.text("site_name"))
    else:
        raise missing("site_id", "site_name")
    if row is None:
        return Result()
    site_id = row["site_id"]
    for table, what in (("site", "spaces"), ("subnet4", "IPv4 networks"), ("subnet6", "IPv6 networks")):
        column = "parent_site_id" if table == "site" else "site_id"
        if store.one(f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1", (site_id,)):
            raise ApiError(
                Errno.IN_USE,
                f"space {row['site_name']!r} still holds {what}",
                parameters="site_id",
                param_value=str(site_id),
            )
    store.execute("DELETE FROM site WHERE site_id = ?", (site_id,))
    store.drop_meta("site", site_id)
    return ret_oid(site_id, created=False)
