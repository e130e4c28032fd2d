"""The REST v1 services the emulator answers at ``/rest/<service>``, and their dispatch.

=======================  ==========================================  ==============================
family                   services                                    verbs
=======================  ==========================================  ==============================
lists                    ``*_list`` (WHERE, ORDERBY, TAGS, paging)   GET
info                     ``*_info`` (by id)                          GET
count                    ``*_count`` (WHERE, TAGS)                   GET
add                      ``*_add``                                   POST creates, PUT edits
delete                   ``*_delete``                                DELETE
=======================  ==========================================  ==============================

``dns_server_info``, ``dns_server_count``, ``dns_zone_info`` and ``dns_zone_count`` are not in
the project's service table; they are here because EfficientIP's own client (``adv.DNS`` and
``adv.DNS_zone``) reads them. DNS servers and zones are created through the admin endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import devices, dns, ipam, views
from .errors import ApiError, Errno, missing
from .request import Req, Result
from .store import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Store, View, parse_paging

READ_METHODS = frozenset({"GET"})
ADD_METHODS = frozenset({"POST", "PUT"})
DELETE_METHODS = frozenset({"DELETE"})


@dataclass(frozen=True)
class Service:
    name: str
    methods: frozenset[str]
    run: Callable[[Store, Req], Result]

    @property
    def writes(self) -> bool:
        return self.methods != READ_METHODS


def _special(params: Mapping[str, str], name: str) -> str | None:
    """``WHERE``/``ORDERBY``/``TAGS``/``limit``/``offset`` in any letter case (documented case first)."""
    if name in params:
        return params[name]
    lowered = name.lower()
    for key, value in params.items():
        if key.lower() == lowered:
            return value
    return None


def _list(view: View) -> Callable[[Store, Req], Result]:
    def run(store: Store, req: Req) -> Result:
        limit = parse_paging(_special(req.params, "limit"), "limit", DEFAULT_PAGE_SIZE)
        if limit == 0:
            limit = DEFAULT_PAGE_SIZE
        if limit > MAX_PAGE_SIZE:
            raise ApiError(
                Errno.BAD_QUERY,
                f"limit is at most {MAX_PAGE_SIZE}",
                parameters="limit",
                param_format=f"1..{MAX_PAGE_SIZE}",
                param_value=str(limit),
            )
        offset = parse_paging(_special(req.params, "offset"), "offset", 0)
        rows = store.list_rows(
            views.for_profile(view, store.profile),
            where=_special(req.params, "WHERE") or "",
            orderby=_special(req.params, "ORDERBY") or "",
            tags=_special(req.params, "TAGS") or "",
            limit=limit,
            offset=offset,
        )
        return Result(rows)

    return run


def _count(view: View) -> Callable[[Store, Req], Result]:
    def run(store: Store, req: Req) -> Result:
        total = store.count_rows(
            view, where=_special(req.params, "WHERE") or "", tags=_special(req.params, "TAGS") or ""
        )
        return Result([{"total": str(total)}])

    return run


def _info(view: View, id_param: str) -> Callable[[Store, Req], Result]:
    def run(store: Store, req: Req) -> Result:
        oid = req.oid(id_param)
        if oid is None:
            raise missing(id_param)
        row = store.info_row(view, oid)
        return Result([row] if row is not None else [])

    return run


def _write(fn: Callable[[Store, Req], Result]) -> Callable[[Store, Req], Result]:
    def run(store: Store, req: Req) -> Result:
        with store.transaction():
            return fn(store, req)

    return run


def _registry() -> dict[str, Service]:
    services: dict[str, Service] = {}

    def add(name: str, methods: frozenset[str], run: Callable[[Store, Req], Result]) -> None:
        services[name] = Service(name, methods, run)

    families: list[tuple[str, View, str]] = [
        ("ip_site", views.SITE, "site_id"),
        ("ip_block_subnet", views.SUBNET, "subnet_id"),
        ("ip6_block6_subnet6", views.SUBNET6, "subnet6_id"),
        ("ip_address", views.ADDRESS, "ip_id"),
        ("ip6_address6", views.ADDRESS6, "ip6_id"),
        ("hostdev", views.HOSTDEV, "hostdev_id"),
        ("hostiface", views.HOSTIFACE, "hostiface_id"),
        ("dns_server", views.DNS_SERVER, "dns_id"),
        ("dns_zone", views.DNS_ZONE, "dnszone_id"),
        ("dns_rr", views.DNS_RR, "rr_id"),
    ]
    for prefix, view, id_param in families:
        add(f"{prefix}_list", READ_METHODS, _list(view))
        add(f"{prefix}_info", READ_METHODS, _info(view, id_param))
        add(f"{prefix}_count", READ_METHODS, _count(view))
    add("member_list", READ_METHODS, _list(views.MEMBER))

    add("ip_site_add", ADD_METHODS, _write(ipam.site_add))
    add("ip_site_delete", DELETE_METHODS, _write(ipam.site_delete))
    add("ip_subnet_add", ADD_METHODS, _write(lambda s, r: ipam.network_add(s, r, ipam.V4)))
    add("ip_subnet_delete", DELETE_METHODS, _write(lambda s, r: ipam.network_delete(s, r, ipam.V4)))
    add("ip6_subnet6_add", ADD_METHODS, _write(lambda s, r: ipam.network_add(s, r, ipam.V6)))
    add("ip6_subnet6_delete", DELETE_METHODS, _write(lambda s, r: ipam.network_delete(s, r, ipam.V6)))
    add("ip_add", ADD_METHODS, _write(lambda s, r: ipam.address_add(s, r, ipam.A4)))
    add("ip_delete", DELETE_METHODS, _write(lambda s, r: ipam.address_delete(s, r, ipam.A4)))
    add("ip6_address6_add", ADD_METHODS, _write(lambda s, r: ipam.address_add(s, r, ipam.A6)))
    add("ip6_address6_delete", DELETE_METHODS, _write(lambda s, r: ipam.address_delete(s, r, ipam.A6)))
    add("hostdev_add", ADD_METHODS, _write(devices.device_add))
    add("hostdev_delete", DELETE_METHODS, _write(devices.device_delete))
    add("hostiface_add", ADD_METHODS, _write(devices.iface_add))
    add("hostiface_delete", DELETE_METHODS, _write(devices.iface_delete))
    add("dns_rr_add", ADD_METHODS, _write(dns.rr_add))
    add("dns_rr_delete", DELETE_METHODS, _write(dns.rr_delete))
    return services


SERVICES: dict[str, Service] = _registry()


def lookup(name: str, method: str) -> Service:
    """The service, or 404 (unknown service) / 405 (known service, wrong verb)."""
    service = SERVICES.get(name)
    if service is None:
        raise ApiError(
            Errno.UNKNOWN_SERVICE,
            f"unknown service {name!r}",
            status=404,
            parameters="service",
            param_value=name,
        )
    if method not in service.methods:
        allowed = ", ".join(sorted(service.methods))
        raise ApiError(
            Errno.METHOD_NOT_ALLOWED,
            f"{name} answers {allowed}, not {method}",
            status=405,
            parameters="method",
            param_value=method,
            headers={"Allow": allowed},
        )
    return service


def dispatch(store: Store, service: Service, method: str, params: Mapping[str, str]) -> Result:
    dns.apply_due_deletions(store)  # the DNS server applied what was due (delayed deletion)
    return service.run(store, Req(params, method))
