"""SOLIDserver REST v1 client: transport (:mod:`.client`), typed operations (:mod:`.api`),
configuration (:mod:`.config`), metadata (:mod:`.metadata`) and WHERE building (:mod:`.where`)."""

from ipamsync.solidserver.api import SolidServer
from ipamsync.solidserver.client import SolidServerClient
from ipamsync.solidserver.config import ClientConfig, Credentials, Secret

__all__ = ["ClientConfig", "Credentials", "Secret", "SolidServer", "SolidServerClient"]
