"""A SOLIDserver (EfficientIP IPAM / Device Manager / DNS) emulator speaking the REST v1 API.

``EmulatorServer`` runs it in-process (tests, benchmarks); ``ipamsync emulator serve`` runs it
as a process; ``EmulatorAdmin`` drives its admin endpoints (faults, counters, seeding).
See ``docs/solidserver.md`` for what it models and the choices it makes.
"""

from .admin import EmulatorAdmin, EmulatorAdminError
from .server import EmulatorServer

__all__ = ["EmulatorAdmin", "EmulatorAdminError", "EmulatorServer"]
