"""``lock_network_broadcast`` (ip_subnet_add, default 1): whether an IPv4 subnet's first and last
addresses may hold addresses — off for containers of scattered addresses such as public IPs."""

from __future__ import annotations

from local.tests.helpers import Api


def test_lock_network_broadcast(api: Api) -> None:
    site = api.add("ip_site_add", site_name="P")
    block = api.add(
        "ip_subnet_add",
        site_id=site,
        subnet_addr="54.210.0.0",
        subnet_prefix="16",
        subnet_level="0",
        is_terminal="0",
    )
    locked = api.add(
        "ip_subnet_add",
        site_id=site,
        subnet_addr="54.210.1.0",
        subnet_prefix="24",
        parent_subnet_id=block,
        is_terminal="1",
    )
    open_ = api.add(
        "ip_subnet_add",
        site_id=site,
        subnet_addr="54.210.2.0",
        subnet_prefix="24",
        parent_subnet_id=block,
        is_terminal="1",
        lock_network_broadcast="0",
    )
    rows = {r["subnet_id"]: r for r in api.rows("ip_block_subnet_list", WHERE=f"site_id='{site}'")}
    assert rows[locked]["lock_network_broadcast"] == "1" and rows[open_]["lock_network_broadcast"] == "0"
    assert rows[locked]["subnet_ip_free_size"] == "254" and rows[open_]["subnet_ip_free_size"] == "256"
    for end in ("54.210.1.0", "54.210.1.255"):
        api.error("POST", "ip_add", site_id=site, hostaddr=end)
    for end in ("54.210.2.0", "54.210.2.255"):
        api.add("ip_add", site_id=site, hostaddr=end)
    api.edit("ip_subnet_add", subnet_id=locked, lock_network_broadcast="0")
    api.add("ip_add", site_id=site, hostaddr="54.210.1.255")
