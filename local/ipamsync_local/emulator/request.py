"""Typed access to a REST call's query-string parameters, and the result of a call."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import ApiError, Errno, int64, invalid, missing
from .store import Store, decode_class_params, keys_to_delete

_UINT = re.compile(r"^\d+$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class AddFlag(StrEnum):
    NEW_EDIT = "new_edit"
    NEW_ONLY = "new_only"
    EDIT_ONLY = "edit_only"


@dataclass
class Result:
    """What a service answers: rows (an empty list means 204) and the HTTP status."""

    rows: list[dict[str, str]] = field(default_factory=list)
    status: int = 200


def ret_oid(oid: int, *, created: bool) -> Result:
    return Result([{"ret_oid": str(oid)}], 201 if created else 200)


class Req:
    """The parameters of one call (names are case-sensitive, as documented by SOLIDserver)."""

    def __init__(self, params: Mapping[str, str], method: str = "GET") -> None:
        self.params = dict(params)
        self.method = method

    def has(self, *names: str) -> bool:
        return any(name in self.params for name in names)

    def get(self, *names: str) -> str | None:
        for name in names:
            if name in self.params:
                return self.params[name]
        return None

    def name_of(self, *names: str) -> str:
        for name in names:
            if name in self.params:
                return name
        return names[0]

    def text(self, *names: str, default: str = "") -> str:
        value = self.get(*names)
        return default if value is None else value

    def required(self, *names: str) -> str:
        value = self.get(*names)
        if value is None or value.strip() == "":
            raise missing(*names)
        return value

    def uint(self, *names: str) -> int | None:
        """A non-negative integer parameter; absent or empty -> None."""
        value = self.get(*names)
        if value is None or value.strip() == "":
            return None
        text = value.strip()
        if not _UINT.match(text):
            raise invalid(self.name_of(*names), value, ">=0", "not a non-negative integer")
        return int64(text, self.name_of(*names))

    def link(self, name: str) -> int | None:
        """A link id (``hostdev_id``/``hostiface_id``): absent -> None, empty -> 0 (the service
        descriptions say "can be empty", and the Terraform provider unlinks by sending it empty)."""
        value = self.get(name)
        if value is not None and value.strip() == "":
            return 0
        return self.uint(name)

    def oid(self, *names: str) -> int | None:
        """An object id: a positive integer; absent, empty or ``0`` -> None."""
        value = self.uint(*names)
        return value if value else None

    def flag(self, *names: str) -> bool | None:
        value = self.get(*names)
        if value is None or value.strip() == "":
            return None
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise invalid(self.name_of(*names), value, "bool")

    def add_flag(self) -> AddFlag:
        value = self.get("add_flag")
        if value is None or value == "":
            return AddFlag.NEW_EDIT
        try:
            return AddFlag(value)
        except ValueError:
            raise invalid("add_flag", value, "enum", "expected new_edit, new_only or edit_only") from None


def upsert(
    req: Req,
    existing: int | None,
    create: Callable[[], int],
    edit: Callable[[int], int | None],
    what: str,
    *,
    real_exists: tuple[str, str] | None = None,
    exists_extra: dict[str, str] | None = None,
) -> Result:
    """Apply ``add_flag``: create, edit, or refuse (``new_only`` on an existing object, ...).

    ``edit`` may answer the object's new id (records whose id changes when edited).
    ``real_exists``/``exists_extra``: the (errno, errmsg) and fields a live appliance answers when
    the object already exists, where known (:mod:`.errors`)."""
    flag = req.add_flag()
    if existing is None:
        if flag is AddFlag.EDIT_ONLY:
            raise ApiError(Errno.DOES_NOT_EXIST, f"{what} does not exist (add_flag=edit_only)")
        return ret_oid(create(), created=True)
    if flag is AddFlag.NEW_ONLY:
        raise ApiError(
            Errno.ALREADY_EXISTS,
            f"{what} already exists (id {existing}, add_flag=new_only)",
            param_value=str(existing),
            real=real_exists,
            extra=exists_extra,
        )
    new_id = edit(existing)
    return ret_oid(new_id or existing, created=False)


def explicit_id(store: Store, req: Req, table: str, id_column: str, what: str) -> int | None:
    """The object named by its id parameter (it must exist), or None when no id was given."""
    oid = req.oid(id_column)
    if oid is None:
        return None
    if store.one(f"SELECT 1 FROM {table} WHERE {id_column} = ?", (oid,)) is None:
        raise ApiError(
            Errno.DOES_NOT_EXIST, f"{what} {oid} does not exist", parameters=id_column, param_value=str(oid)
        )
    return oid


def apply_class(
    store: Store,
    req: Req,
    *,
    prefix_names: tuple[str, ...],
    otype: str,
    table: str,
    id_column: str,
    oid: int,
    current: str,
    class_name_param: str,
    max_length: int | None = None,
    created: bool = False,
) -> None:
    """Class name and parameters of an object. ``prefix_names`` are the accepted names of the
    ``*_class_parameters`` input; ``class_parameters_to_delete`` removes keys.

    How an edit treats the stored set is an appliance setting (:mod:`.profile`): ``merge`` adds the
    keys sent to it (and keeps it when none are sent); ``replace`` makes the keys sent the new set,
    and an edit sending none clears it unless it says ``keep_class_parameters=1`` (what the
    Terraform provider sends when it leaves the class parameters out: ``resource_ip_mac.go``)."""
    if req.has(class_name_param):
        store.execute(
            f"UPDATE {table} SET class_name = ? WHERE {id_column} = ?", (req.text(class_name_param), oid)
        )
    replace = store.profile.replace_class_parameters and not created
    sent = [name for name in prefix_names if req.get(name) is not None]
    if replace and not sent and not req.flag("keep_class_parameters"):
        params: dict[str, str] = {}
        changed = bool(current)
    else:
        params = {} if replace and sent else decode_class_params(current)
        changed = created or (replace and bool(sent))
    for name in sent:
        raw = req.text(name)
        if max_length is not None and len(raw) > max_length:
            raise ApiError(
                Errno.TOO_LONG,
                f"{name} is longer than {max_length} characters",
                parameters=name,
                param_format=f"string, max length: {max_length}",
                param_value=str(len(raw)),
            )
        params.update(decode_class_params(raw))
        changed = True
    to_delete = req.get("class_parameters_to_delete")
    if to_delete:
        for key in keys_to_delete(to_delete):
            params.pop(key, None)
        changed = True
    if changed:
        store.set_class_params(otype, table, id_column, oid, params)
