"""How fast the SOLIDserver emulator answers at scale (``ipamsync bench --only emulator``).

A space with one /8 block and as many /24 subnets as needed is filled with ``addresses`` IPv4
addresses (each with a name and an ``aws_instance_id`` class parameter) through the store's bulk
loader, which stores exactly what ``ip_add`` stores. The emulator is then served over HTTP on
loopback and a pooled ``requests.Session`` measures, one call at a time:

* ``ip_address_list?WHERE=hostaddr='…' and site_id='…'`` — the lookup a sync client does;
* ``ip_address_list?TAGS=ip.aws_instance_id&WHERE=tag_ip_aws_instance_id='…'`` — a metadata lookup;
* ``ip_add`` POSTs of new addresses.

Figures are wall-clock milliseconds on this machine; nothing here is a pass/fail check.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from ipamsync_local.bench.fmt import Block, Table
from ipamsync_local.bench.sections import Context
from ipamsync_local.emulator import EmulatorServer
from ipamsync_local.emulator.ipam import V4, bulk_add_ipv4, network_add, site_add
from ipamsync_local.emulator.request import Req
from ipamsync_local.emulator.store import Store

SPACE = "BENCH"
BLOCK = "10.0.0.0"
HOSTS_PER_SUBNET = 254  # .1 to .254 of each /24 (network and broadcast are locked)
WRITE_SUBNET = "11.0.0.0"  # a /22 kept empty for the ip_add samples
ADDRESSES = (100_000, 10_000)  # full run, --quick
SAMPLES = (200, 50)
CALLS = (
    ("lookup_ms", "`ip_address_list` WHERE hostaddr=… and site_id=…", "lookup"),
    ("tag_lookup_ms", "`ip_address_list` TAGS=ip.aws_instance_id WHERE tag…", "tag lookup"),
    ("ip_add_ms", "`ip_add` (POST, new address)", "ip_add"),
)


def _addresses(count: int) -> Iterator[tuple[int, str, dict[str, str]]]:
    base = int.from_bytes(bytes([10, 0, 0, 0]), "big")
    for i in range(count):
        subnet, host = divmod(i, HOSTS_PER_SUBNET)
        value = base + subnet * 256 + host + 1
        yield value, f"host-{i}", {"aws_instance_id": f"i-{i:017x}"}


def populate(store: Store, addresses: int) -> int:
    """Create the space, block, subnets and addresses; returns the space id."""
    with store.transaction():
        site_id = int(site_add(store, Req({"site_name": SPACE}, "POST")).rows[0]["ret_oid"])

        def network(addr: str, prefix: int, **fields: str) -> None:
            params = {"site_id": str(site_id), "subnet_addr": addr, "subnet_prefix": str(prefix), **fields}
            network_add(store, Req(params, "POST"), V4)

        network(BLOCK, 8, subnet_level="0", is_terminal="0", subnet_name="bench")
        network(WRITE_SUBNET, 22, subnet_level="0", is_terminal="0")
        network(WRITE_SUBNET, 22, is_terminal="1", subnet_name="writes")
        for n in range(-(-addresses // HOSTS_PER_SUBNET)):
            network(f"10.{n // 256}.{n % 256}.0", 24, is_terminal="1")
    bulk_add_ipv4(store, site_id, _addresses(addresses))
    return site_id


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
    }


def _timed(calls: list[Callable[[], requests.Response]], expect: int) -> list[float]:
    out: list[float] = []
    for call in calls:
        start = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - start) * 1000.0
        if response.status_code != expect:
            raise RuntimeError(f"benchmark call answered {response.status_code}: {response.text[:200]}")
        out.append(elapsed)
    return out


def run(addresses: int = 100_000, samples: int = 200, seed: int = 1) -> dict[str, Any]:
    """Populate, serve and measure; returns the figures (milliseconds, seconds for setup)."""
    if addresses < 1 or samples < 1 or samples > 1000:
        raise ValueError("addresses must be >= 1 and samples between 1 and 1000")
    rng = random.Random(seed)
    started = time.perf_counter()
    server = EmulatorServer(port=0)
    server.start()
    try:
        assert server.store is not None
        site_id = populate(server.store, addresses)
        setup_s = time.perf_counter() - started
        session = requests.Session()
        session.trust_env = False
        session.auth = ("ipmadmin", "admin")
        url = server.url + "/rest/"
        picks = [rng.randrange(addresses) for _ in range(samples)]
        hosts = {i: value for i, (value, _, _) in enumerate(_addresses(addresses)) if i in set(picks)}

        def lookup(i: int) -> Callable[[], requests.Response]:
            host = ".".join(str(b) for b in hosts[i].to_bytes(4, "big"))
            where = f"hostaddr='{host}' and site_id='{site_id}'"
            return lambda: session.get(url + "ip_address_list", params={"WHERE": where})

        def tag_lookup(i: int) -> Callable[[], requests.Response]:
            where = f"tag_ip_aws_instance_id='i-{i:017x}'"
            return lambda: session.get(
                url + "ip_address_list", params={"TAGS": "ip.aws_instance_id", "WHERE": where}
            )

        write_base = int.from_bytes(bytes([11, 0, 0, 1]), "big")

        def add(n: int) -> Callable[[], requests.Response]:
            host = ".".join(str(b) for b in (write_base + n).to_bytes(4, "big"))
            return lambda: session.post(
                url + "ip_add",
                params={
                    "site_id": str(site_id),
                    "hostaddr": host,
                    "name": f"new-{n}",
                    "add_flag": "new_only",
                },
            )

        _timed([lookup(picks[0]) for _ in range(5)], 200)  # warm the connection and caches
        lookups = _timed([lookup(i) for i in picks], 200)
        tag_lookups = _timed([tag_lookup(i) for i in picks], 200)
        adds = _timed([add(n) for n in range(samples)], 201)
        session.close()
        return {
            "addresses": addresses,
            "samples": samples,
            "setup_s": round(setup_s, 2),
            "lookup_ms": _summary(lookups),
            "tag_lookup_ms": _summary(tag_lookups),
            "ip_add_ms": _summary(adds),
        }
    finally:
        server.stop()


# --------------------------------------------------------------------------- the section


def measure(ctx: Context) -> dict[str, Any]:
    return run(addresses=ctx.size(*ADDRESSES), samples=ctx.size(*SAMPLES))


def report(result: Mapping[str, Any]) -> list[Block]:
    rows = [(label, result[key]["median"], result[key]["p95"], result[key]["max"]) for key, label, _ in CALLS]
    return [
        Table(("call", "median ms", "p95 ms", "max ms"), rows),
        f"{result['addresses']:,} addresses; {result['samples']} sequential calls each over one pooled "
        f"session on loopback; setup {result['setup_s']} s.",
    ]


def summary(result: Mapping[str, Any]) -> tuple[str, str, str]:
    medians = ", ".join(f"{short} {result[key]['median']} ms" for key, _, short in CALLS)
    return (f"Emulator at {result['addresses']:,} addresses", f"{medians} (median)", "")
