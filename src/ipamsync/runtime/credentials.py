"""SOLIDserver credentials and CA bundle, read through Powertools Parameters.

* ``SOLIDSERVER_SECRET_ARN``: a Secrets Manager secret (JSON ``{"username","password"}`` or
  ``{"token_id","token_secret"}``), cached :data:`SECRET_MAX_AGE` seconds. After SOLIDserver refused
  the credentials (:func:`refetch_secret`) the next read bypasses the cache: a rotated secret is
  picked up at once.
* ``SOLIDSERVER_CA_BUNDLE_PARAMETER``: an SSM parameter holding a PEM bundle, written once to
  ``/tmp`` (Lambda's only writable directory) for ``requests``.

Without a secret ARN, :meth:`ipamsync.solidserver.config.ClientConfig.from_env` reads
``SOLIDSERVER_USERNAME``/``SOLIDSERVER_PASSWORD`` (or the token pair): the documented way to run a
handler with ``sam local invoke --env-vars``. A secret that is not what is expected is a
:class:`~ipamsync.errors.ConfigurationError` whose text never contains the secret.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ipamsync.errors import ConfigurationError

if TYPE_CHECKING:
    from ipamsync.solidserver.config import Credentials

SECRET_MAX_AGE = 300
#: Secrets Manager answers that a person has to fix (wrong ARN, missing permission or key).
_CONFIGURATION_CODES = frozenset(
    {"ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure", "InvalidRequestException"}
)
_refetch = False


def refetch_secret() -> None:
    """The next :func:`credentials` call reads Secrets Manager, not the cache."""
    global _refetch
    _refetch = True


def credentials(env: Mapping[str, str]) -> Credentials | None:
    """Credentials from the secret named by ``SOLIDSERVER_SECRET_ARN``, or None when it is unset."""
    arn = (env.get("SOLIDSERVER_SECRET_ARN") or "").strip()
    if not arn:
        return None
    from aws_lambda_powertools.utilities import parameters

    from ipamsync.solidserver.config import credentials_from_secret_string

    global _refetch
    try:
        text = parameters.get_secret(arn, max_age=SECRET_MAX_AGE, force_fetch=_refetch)
    except parameters.GetParameterError as exc:
        origin = exc.__cause__ or exc.__context__  # Powertools wraps the botocore error
        code = getattr(origin, "response", {}).get("Error", {}).get("Code", "")
        if code in _CONFIGURATION_CODES:
            raise ConfigurationError(f"the SOLIDserver secret cannot be read: {code}") from None
        raise  # throttling, network: not ipamsync's to name (Lambda's retries apply)
    _refetch = False
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigurationError("the SOLIDserver secret is not UTF-8 text") from None
    return credentials_from_secret_string(str(text))


def ca_bundle(env: Mapping[str, str]) -> str | None:
    """Path of the PEM CA bundle: from the SSM parameter when named, else ``SOLIDSERVER_CA_BUNDLE``."""
    name = (env.get("SOLIDSERVER_CA_BUNDLE_PARAMETER") or "").strip()
    if not name:
        return (env.get("SOLIDSERVER_CA_BUNDLE") or "").strip() or None
    from aws_lambda_powertools.utilities import parameters

    pem = str(parameters.get_parameter(name, max_age=3600))
    digest = hashlib.sha256(pem.encode()).hexdigest()[:12]
    path = f"/tmp/ipamsync-ca-{digest}.pem"  # noqa: S108  # Lambda's only writable dir
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(pem)
    return path
