"""The local AWS runtime: the whole ipamsync pipeline on one machine, in-process, on moto.

EC2 (moto) state change, or an EC2 call's CloudTrail event (:mod:`.cloudtrail`) → EventBridge
(moto, the template's rule patterns) → the enrich Lambda
(asynchronous invocation, retries, OnFailure destination) → SQS FIFO ``EventQueue`` (moto) → the
pipe (reproduced here: moto stores pipes but moves no messages) → the Express state machine (moto's
interpreter) → the sync Lambdas → SOLIDserver (the emulator or a real one).

Every resource property comes from ``template.yaml`` (:mod:`.template`); the Lambda code is the
real ``functions/<name>/app.py`` (:mod:`.lambdas`); moto's private seams are patched in one place
(:mod:`.motohook`, pinned to one moto version). Entry point: :class:`.runtime.LocalAws`.

Nothing here is imported by the Lambda code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .runtime import LocalAws

__all__ = ["LocalAws"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not import moto
    if name == "LocalAws":
        from .runtime import LocalAws

        return LocalAws
    raise AttributeError(name)
