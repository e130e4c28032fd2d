"""SOLIDserver's Device Manager operations: devices and their interfaces.

Every method is one REST call (lists: one call per page)."""

from __future__ import annotations

from collections.abc import Iterable

from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.base import Operations, metadata_edit, tag_column
from ipamsync.solidserver.rows import Device, Interface, Metadata
from ipamsync.solidserver.where import Where


class DeviceOperations(Operations):
    # ------------------------------------------------------------------ devices
    def find_devices(self, key: str, value: str, limit: int | None = None) -> list[Device]:
        col = tag_column("hostdev", key)
        rows = self.client.list(
            "hostdev_list",
            where=Where.eq(col, value),
            tags=[f"hostdev.{key}"],
            orderby="hostdev_id",
            max_rows=limit,
        )
        return [Device.from_row(r) for r in rows]

    def list_devices(
        self,
        *,
        where: Where | None,
        tags: list[str] | None = None,
        orderby: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> list[Device]:
        rows = self.client.list(
            "hostdev_list", where=where, tags=tags, orderby=orderby, max_rows=limit, page_size=page_size
        )
        return [Device.from_row(r) for r in rows]

    def create_device(self, name: str, metadata: Metadata, class_name: str = "") -> str:
        params: dict[str, object] = {"hostdev_name": name, "hostdev_class_parameters": md.encode(metadata)}
        if class_name:
            params["hostdev_class_name"] = class_name
        return self.client.add("hostdev_add", params)

    def update_device(
        self, device_id: str, *, name: str | None, metadata: Metadata, delete_keys: Iterable[str] = ()
    ) -> None:
        params: dict[str, object] = {"hostdev_id": device_id}
        if name is not None:
            params["hostdev_name"] = name
        metadata_edit(params, "hostdev_class_parameters", metadata, delete_keys)
        self.client.edit("hostdev_add", params)

    def delete_device(self, device_id: str) -> None:
        self.client.delete("hostdev_delete", {"hostdev_id": device_id})

    # ------------------------------------------------------------------ interfaces
    def list_interfaces(self, device_id: str) -> list[Interface]:
        rows = self.client.list(
            "hostiface_list", where=Where.eq("hostdev_id", device_id), orderby="hostiface_id"
        )
        return [Interface.from_row(r) for r in rows]

    def create_interface(self, device_id: str, name: str, *, mac: str, metadata: Metadata) -> str:
        params: dict[str, object] = {
            "hostdev_id": device_id,
            "hostiface_name": name,
            "hostiface_type": "interface",
            "hostiface_class_parameters": md.encode(metadata),
        }
        if mac:
            params["hostiface_mac"] = mac
        return self.client.add("hostiface_add", params)

    def update_interface(
        self,
        iface_id: str,
        device_id: str,
        *,
        name: str | None,
        mac: str | None,
        metadata: Metadata,
        delete_keys: Iterable[str] = (),
    ) -> None:
        params: dict[str, object] = {"hostiface_id": iface_id, "hostdev_id": device_id}
        if name is not None:
            params["hostiface_name"] = name
        if mac is not None:
            params["hostiface_mac"] = mac
        metadata_edit(params, "hostiface_class_parameters", metadata, delete_keys)
        self.client.edit("hostiface_add", params)

    def delete_interface(self, iface_id: str) -> None:
        self.client.delete("hostiface_delete", {"hostiface_id": iface_id})
