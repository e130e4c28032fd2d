"""The truth: what SOLIDserver must hold, computed from EC2, and a comparison with what it holds.

ipamsync's promise is that SOLIDserver ends up describing EC2 as EC2 is *now*, whatever happened on
the way (duplicates, disorder, faults, outages, redrives). This package states that end state
independently of the sync code: it reads EC2 (``DescribeInstances``, ``DescribeVpcs``,
``DescribeSubnets``, ``DescribeAddresses``) and the settings in force, applies the documented rules
(README, ``docs/message-schema.md``, ``docs/solidserver.md``), and yields the objects SOLIDserver
must hold; :func:`compare` lists every difference with an :class:`~ipamsync_local.inventory.Inventory`
read from SOLIDserver.

Rules, per instance EC2 describes:

* **live** (``pending``/``running``/``stopping``/``stopped``): one device named
  ``<hostname>-<instance id>`` (or the instance id without a hostname); one interface
  ``eth<device index>`` per ENI (MAC), on that device and on no other; every private IPv4
  (``primary`` / ``secondary``), IPv6 (``ipv6``) and public IPv4 (``public``,
  ``elastic``/``ephemeral``) as an address in its space, in the smallest terminal network there
  that holds it, named after the FQDN (or hostname, or instance id), with the ENI's MAC (not for
  public ones), linked to the device and the ENI's interface; DNS (when a DNS server is configured,
  the instance has a hostname and a forward zone): ``A`` = primary private IPv4 of the primary ENI,
  ``AAAA`` = its first IPv6, a ``PTR`` for each when a reverse zone of the server holds it, all with
  the configured TTL; none while stopped under ``remove-dns``. Instances sharing a hostname each own
  their own records. The networks its addresses need exist: its VPC's CIDRs, its subnets (terminal,
  inside the VPC's network) and, per public IPv4, ``AWS public a.b.c.0/24`` under ``a.b.0.0/16``;
  those ipamsync owns are named ``<Name tag> (<id>)`` with their metadata (someone else's network,
  or an earlier VPC's, is used as it is).
* **terminated / shutting-down**: a tombstone device (``TerminatedPolicy=delete``: it keeps only
  who the instance was, :data:`TOMBSTONE_KEYS`) or the device marked terminated and otherwise
  described by EC2's last answer (``retain``), and nothing else: no interface, address or record.
* every object owned by an instance's owner value that is not listed above is *unexpected*; two
  objects for one key are a *duplicate*.

Metadata is exact within ipamsync's namespaces (``aws_*``, ``ipamsync_*``: a missing, extra or other
value is a difference; keys a person added are kept and not checked): the device's (README's table,
tags as ``aws_tag_<key>`` with ``aws_tags_omitted``, ``ipamsync_observed_at``/``ipamsync_event_id``
set), the interfaces', addresses', records' and networks'.

Hostnames are sanitised as documented: lower case, accents folded to ASCII, every run of other
characters → ``-``, ``-`` trimmed at both ends, at most 63 characters; nothing left → no hostname.

Usage::

    truth = compute_truth(ec2_client, settings, zones=zones_of(ss, settings.dns_server))
    diffs = compare(read_inventory(ss, settings.dns_server), truth)
    assert not diffs, format_differences(diffs)

Objects SOLIDserver holds that ipamsync does not own can be checked too: take
:func:`foreign_snapshot` before the run and pass it to :func:`compare` (``foreign_before=``).

One module per kind of object, each with its rules, what EC2 makes of them and their check:
:mod:`.devices` (devices and interfaces), :mod:`.addresses`, :mod:`.dns` (records),
:mod:`.networks`; :mod:`.rules` (names, metadata values, owners, settings), :mod:`.ec2` (what is
read of EC2), :mod:`.model` (the objects, a difference), :mod:`.compute` (EC2 → truth),
:mod:`.compare` (truth ↔ inventory, objects ipamsync does not own). It reads ipamsync's settings
(the configuration), never its sync code.
"""

from .compare import compare, foreign_snapshot, format_differences
from .compute import compute_truth
from .dns import zones_of
from .model import (
    Difference,
    ExpectedAddress,
    ExpectedInterface,
    ExpectedNetwork,
    ExpectedRecord,
    InstanceTruth,
    Truth,
)
from .rules import (
    EVENT_ID,
    OBSERVED,
    OWNER,
    PUBLIC_OWNER,
    TOMBSTONE,
    TOMBSTONE_KEYS,
    clip,
    hostname_label,
    owner_of,
    settings_from_parameters,
    tag_key,
)

__all__ = [
    "EVENT_ID",
    "OBSERVED",
    "OWNER",
    "PUBLIC_OWNER",
    "TOMBSTONE",
    "TOMBSTONE_KEYS",
    "Difference",
    "ExpectedAddress",
    "ExpectedInterface",
    "ExpectedNetwork",
    "ExpectedRecord",
    "InstanceTruth",
    "Truth",
    "clip",
    "compare",
    "compute_truth",
    "foreign_snapshot",
    "format_differences",
    "hostname_label",
    "owner_of",
    "settings_from_parameters",
    "tag_key",
    "zones_of",
]
