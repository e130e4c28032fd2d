"""SOLIDserver REST v1 client: transport (:mod:`.client`), typed operations (:mod:`.api`),
configuration (:mod:`.config`), metadata (:mod:`.metadata`) and WHERE building (:mod:`.where`)."""

from typing import Any

from ipamsync.solidserver.api import SolidServer
from ipamsync.solidserver.config import ClientConfig, Credentials, Secret

__all__ = ["ClientConfig", "Credentials", "Secret", "SolidServer", "SolidServerClient"]


def __getattr__(name: str) -> Any:  # the client module is imported on first use (cold start)
    if name == "SolidServerClient":
        from ipamsync.solidserver.client import SolidServerClient

        return SolidServerClient
    raise AttributeError(name)
