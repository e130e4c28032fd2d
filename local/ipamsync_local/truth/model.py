"""The truth's objects (what SOLIDserver must hold), a difference, and one comparison's shared state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ipamsync.settings import Settings
from ipamsync_local.inventory import Inventory

from .rules import GONE, Items, mine, resource_of

# --------------------------------------------------------------------------- expected objects


@dataclass(frozen=True)
class ExpectedInterface:
    eni_id: str
    name: str
    mac: str
    device_index: int
    #: its ``aws_*``/``ipamsync_*`` metadata, exactly
    metadata: Items


@dataclass(frozen=True)
class ExpectedAddress:
    version: int
    address: str
    space: str
    name: str
    mac: str
    kind: str  # primary | secondary | ipv6 | public
    eni_id: str
    public_kind: str | None  # elastic | ephemeral (public addresses)
    #: its ``aws_*``/``ipamsync_*`` metadata, exactly
    metadata: Items

    @property
    def key(self) -> tuple[str, str]:
        return (self.space, self.address)


@dataclass(frozen=True)
class ExpectedRecord:
    fqdn: str
    type: str
    value: str


@dataclass
class InstanceTruth:
    instance_id: str
    owner: str
    state: str
    known: bool
    hostname: str | None
    device_name: str
    #: metadata values the device must carry (exact), and keys it must not carry
    device_metadata: dict[str, str] = field(default_factory=dict)
    device_absent_keys: tuple[str, ...] = ()
    tombstone: bool = False
    #: the device's ``aws_*``/``ipamsync_*`` keys are exactly the expected ones (an instance EC2
    #: describes; of one it does not know only some keys can be told)
    exact: bool = False
    #: expected ``aws_tag_*`` values (the device may leave some out, counted in aws_tags_omitted)
    tags: dict[str, str] = field(default_factory=dict)
    #: whether the device carries the tags (not a tombstone's)
    tagged: bool = True
    interfaces: dict[str, ExpectedInterface] = field(default_factory=dict)
    addresses: list[ExpectedAddress] = field(default_factory=list)
    records: set[ExpectedRecord] = field(default_factory=set)
    #: the ``aws_*``/``ipamsync_*`` metadata of each of its DNS records, exactly
    record_metadata: dict[str, str] = field(default_factory=dict)
    #: why records are missing on purpose (no zone, no reverse zone...): for the report
    notes: list[str] = field(default_factory=list)

    @property
    def gone(self) -> bool:
        return self.state in GONE


@dataclass(frozen=True)
class ExpectedNetwork:
    space: str
    cidr: str
    terminal: bool
    owner: str
    #: name, ``aws_*``/``ipamsync_*`` metadata and parent CIDR, checked when the network is owned
    #: by ``owner`` (someone else's network, or an earlier VPC's, is used as it is)
    name: str
    metadata: Items
    parent: str | None  # None: not checked (a block, or inside whatever block exists)


@dataclass
class Truth:
    settings: Settings
    account: str
    region: str
    instances: dict[str, InstanceTruth] = field(default_factory=dict)
    #: networks that must exist (the live instances' VPC CIDRs, subnets, public /16 and /24)
    networks: set[ExpectedNetwork] = field(default_factory=set)
    #: VPC/subnet id → its CIDRs in EC2 (an ipamsync network for an unknown id or CIDR is unexpected)
    known_network_cidrs: dict[str, set[str]] = field(default_factory=dict)
    #: True when the truth describes only some instances (see :meth:`restrict`)
    restricted: bool = False
    #: the appliance keeps address names unique: an address may carry the documented distinct name
    #: (README, "Names") instead of the instance's
    unique_address_names: bool = False

    def owners(self) -> dict[str, InstanceTruth]:
        return {t.owner: t for t in self.instances.values()}

    def restrict(self, instance_ids: Iterable[str]) -> Truth:
        """The same truth about a subset of the instances (tests sharing one EC2 between scenarios)."""
        keep = set(instance_ids)
        out = Truth(
            self.settings,
            self.account,
            self.region,
            known_network_cidrs=self.known_network_cidrs,
            restricted=True,
            unique_address_names=self.unique_address_names,
        )
        out.instances = {k: v for k, v in self.instances.items() if k in keep}
        out.networks = set(self.networks)
        return out

    def summary(self) -> dict[str, int]:
        live = [t for t in self.instances.values() if not t.gone]
        return {
            "instances": len(self.instances),
            "live": len(live),
            "terminated": len(self.instances) - len(live),
            "interfaces": sum(len(t.interfaces) for t in live),
            "addresses": sum(len(t.addresses) for t in live),
            "records": sum(len(t.records) for t in live),
            "networks": len(self.networks),
        }


# --------------------------------------------------------------------------- differences


@dataclass(frozen=True)
class Difference:
    kind: str  # missing | unexpected | wrong | duplicate | foreign
    object_type: str  # device | interface | address | record | network | space | <foreign type>
    key: str
    field: str | None = None
    expected: object = None
    actual: object = None
    instance_id: str | None = None

    def __str__(self) -> str:
        who = f" [{self.instance_id}]" if self.instance_id else ""
        if self.kind == "wrong":
            return (
                f"wrong      {self.object_type} {self.key}{who}: "
                f"{self.field} = {self.actual!r}, expected {self.expected!r}"
            )
        extra = f" ({self.actual})" if self.actual not in (None, "") else ""
        return f"{self.kind:<10} {self.object_type} {self.key}{who}{extra}"


def metadata_diffs(
    object_type: str, key: str, want: Mapping[str, str], got: Mapping[str, str], instance_id: str | None
) -> list[Difference]:
    """Every ``aws_*``/``ipamsync_*`` key whose value is not the expected one (missing, extra, other)."""
    return [
        Difference("wrong", object_type, key, k, want.get(k), got.get(k), instance_id)
        for k in sorted(set(want) | {k for k in got if mine(k)})
        if want.get(k) != got.get(k)
    ]


@dataclass
class Comparison:
    """One comparison of an inventory with the truth: what every kind's check reads, the links the
    device and interface checks find (the address check verifies them), and the differences."""

    inv: Inventory
    truth: Truth
    ignored: set[str]
    diffs: list[Difference] = field(default_factory=list)
    #: instance owner → the id of its device; (owner, ENI id) → the id of its interface
    device_id_of: dict[str, str] = field(default_factory=dict)
    iface_id_of: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_owner = self.truth.owners()
        self.space_ids = {s.name: s.id for s in self.inv.spaces}
        self.space_names = {s.id: s.name for s in self.inv.spaces}

    def space_name(self, space_id: str) -> str:
        return self.space_names.get(space_id, space_id)

    def checked(self) -> Iterator[tuple[str, InstanceTruth]]:
        """``(owner, InstanceTruth)`` of every instance of the truth that is not ignored."""
        for owner, t in self.by_owner.items():
            if t.instance_id not in self.ignored:
                yield owner, t

    def out_of_scope(self, owner: str | None) -> bool:
        """Objects of an owner the truth does not describe are not judged: ignored instances, and
        everybody else's in a restricted truth (someone else's scenario)."""
        if owner is None:
            return True
        return resource_of(owner) in self.ignored or (self.truth.restricted and owner not in self.by_owner)

    def strangers(self, found: Mapping[str, list[Any]]) -> Iterator[tuple[str, list[Any]]]:
        """``(owner, objects)`` of owners the truth does not describe and that are in scope:
        everything they own is unexpected."""
        for owner, items in found.items():
            if owner not in self.by_owner and not self.out_of_scope(owner):
                yield owner, items
