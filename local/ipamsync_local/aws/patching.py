"""Patch bookkeeping and locking wrappers used by :mod:`.motohook` (generic: nothing here knows moto)."""

from __future__ import annotations

import inspect
import threading
import time as _time
import types
from collections.abc import Callable, Iterator
from typing import Any


class Patch:
    def __init__(self, owner: Any, name: str, new: Any) -> None:
        self.owner, self.name, self.new = owner, name, new
        self.had = name in vars(owner)
        self.old = vars(owner).get(name)

    def apply(self) -> None:
        setattr(self.owner, self.name, self.new)

    def restore(self) -> None:
        if self.had:
            setattr(self.owner, self.name, self.old)
        else:
            delattr(self.owner, self.name)


def public_methods(cls: type) -> Iterator[str]:
    for name in dir(cls):
        if name.startswith("_"):
            continue
        if isinstance(inspect.getattr_static(cls, name), types.FunctionType):
            yield name


def locked(method: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    def locked_call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    locked_call.__name__ = getattr(method, "__name__", "locked")
    locked_call.__wrapped__ = method  # type: ignore[attr-defined]
    return locked_call


def locked_receive(method: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    def receive_message(
        backend: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> Any:
        deadline = _time.monotonic() + float(wait_seconds_timeout or 0)
        while True:
            with lock:
                found = method(backend, queue_name, count, 0, visibility_timeout, message_attribute_names)
            remaining = deadline - _time.monotonic()
            if found or remaining <= 0:
                return found
            _time.sleep(min(0.02, remaining))

    receive_message.__wrapped__ = method  # type: ignore[attr-defined]
    return receive_message
