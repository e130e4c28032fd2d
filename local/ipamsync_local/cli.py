"""The ``ipamsync`` command: everything a person runs locally.

Each area registers its own sub-commands (``register(subparsers)``) and is imported only when
the command line needs it, so ``ipamsync emulator serve`` does not pay for moto's import.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# sub-command -> module that provides ``register(subparsers)``
COMMANDS: dict[str, tuple[str, str]] = {
    "emulator": ("ipamsync_local.emulator.cli", "run, seed and control the SOLIDserver emulator"),
    "demo": ("ipamsync_local.demo", "launch/stop/start/rename/terminate a fleet through the local pipeline"),
    "local": ("ipamsync_local.aws.cli", "inspect and drive the local pipeline (executions, history, replay)"),
    "reconcile": (
        "ipamsync_local.reconcile",
        "compare EC2 with SOLIDserver and repair (plan with --dry-run)",
    ),
    "redrive": ("ipamsync_local.redrive", "replay dead-lettered events (local or AWS)"),
    "bench": ("ipamsync_local.bench.cli", "benchmarks: calls per event, throughput, cold start, cost"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ipamsync", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text)
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:  # an area not built yet must not break the others
            if exc.name and exc.name.startswith("ipamsync_local"):
                sub.add_parser(name, help=f"{help_text} (not available: {exc.name})")
                continue
            raise
        mod.register(sub, name, help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(only)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
