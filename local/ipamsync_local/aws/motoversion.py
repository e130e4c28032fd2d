"""The one moto version whose internals :mod:`.motohook` and :mod:`.motoquirks` were written against."""

from __future__ import annotations

import moto

REQUIRED_MOTO_VERSION = "5.2.5"


class MotoVersionError(RuntimeError):
    """The installed moto is not the version whose internals this module was written against."""


def check_moto_version() -> None:
    if moto.__version__ != REQUIRED_MOTO_VERSION:
        raise MotoVersionError(
            f"ipamsync's local AWS runtime patches moto {REQUIRED_MOTO_VERSION} internals, but moto "
            f"{moto.__version__} is installed. Install the pinned version (make install) or re-check "
            "every seam in local/ipamsync_local/aws/motohook.py (and motoquirks.py, motoec2.py) against "
            "the new moto and update REQUIRED_MOTO_VERSION (local/tests/aws/test_moto_canary.py shows "
            "what moved)."
        )
