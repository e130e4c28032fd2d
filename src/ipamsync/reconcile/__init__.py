"""Reconcile: the existing estate on day one, drift and orphans repaired, a plan before any write.

:mod:`.listing` lists SOLIDserver and EC2 in full (or fails), :mod:`.plan` classifies every
instance (pure), :mod:`.run` queues the plan on the live path's FIFO queue. README, "Reconcile".
"""

from ipamsync.reconcile.plan import (
    CLASSES,
    DRIFTED,
    IN_SYNC,
    MISSING,
    ORPHANED,
    Owned,
    Plan,
    PlanItem,
    classify,
)
from ipamsync.reconcile.run import Outcome, Target, plan_target, reconcile

__all__ = [
    "CLASSES",
    "DRIFTED",
    "IN_SYNC",
    "MISSING",
    "ORPHANED",
    "Outcome",
    "Owned",
    "Plan",
    "PlanItem",
    "Target",
    "classify",
    "plan_target",
    "reconcile",
]
