"""``ipamsync demo`` (``make demo``): a fleet of EC2 instances through the whole local pipeline.

A SOLIDserver emulator runs as a separate HTTPS process (or a real appliance is used); the local
AWS (:class:`~ipamsync_local.aws.LocalAws`: moto, the real handlers, the real state machine) is
built from ``template.yaml``; a fleet is launched in moto's EC2 and taken through its lifecycle
(launch, stop, start under a SOLIDserver brownout, changes on running instances and their undoing,
a rename by tag, terminate) phase by phase. Every EC2 state change, and every EC2 call ipamsync
follows (its CloudTrail event, emitted by the local runtime), becomes an EventBridge event →
enrich → FIFO queue → pipe → state machine → SOLIDserver. At the end: what SOLIDserver holds
(IPAM tree, devices, DNS), every execution, the totals, and a consistency check of SOLIDserver
against EC2. See ``docs/demo.md``.

* :mod:`.command`: the command line and the exit status;
* :mod:`.run`: one run, in order (SOLIDserver, the local AWS, the network, the phases, the end);
* :mod:`.target`: SOLIDserver: the emulator (the shared
  :class:`~ipamsync_local.emulator.process.EmulatorProcess`) or an appliance; its calls counted;
* :mod:`.fleet`: the demo's network, instances, and which instances each phase touches;
* :mod:`.phases`: one phase (act, wait, counters, brownout) and the lifecycle;
* :mod:`.consistency`: what SOLIDserver must hold (:mod:`ipamsync_local.truth`), what earlier
  runs left;
* :mod:`.final`: the final screen (its views are :mod:`ipamsync_local.report`'s);
* :mod:`.screen`: output, durations, the executions table (the one mapping of state names);
* :mod:`.keep_running`: ``--keep-running``.
"""

from .command import main, register

__all__ = ["main", "register"]
