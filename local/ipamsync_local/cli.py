"""The ``ipamsync`` command: everything a person runs locally.

Each area registers its own sub-commands (``register(subparsers)``) and is imported only when
the command line needs it, so ``ipamsync emulator serve`` does not pay for moto's import.
"""

from __future__ import annotations

import argparse
import importlib
import re
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
    "console": (
        "ipamsync_local.console.cli",
        "a read-only web page: SOLIDserver's contents, the executions as graphs, dead letters",
    ),
}


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("ipamsync")
    except PackageNotFoundError:  # a source tree without an install
        return "unknown"


def invocation() -> str:
    """How to type ``ipamsync`` in this shell: ``ipamsync`` when the one on PATH is this
    environment's, else this environment's script as a path (``.venv/bin/ipamsync`` after
    ``make demo``, which does not activate the venv), so printed hints work as printed."""
    import os
    import shutil
    from pathlib import Path

    script = Path(sys.executable).parent / "ipamsync"
    on_path = shutil.which("ipamsync")
    if on_path and script.exists() and Path(on_path).resolve() == script.resolve():
        return "ipamsync"
    if not script.exists():
        return f"{sys.executable} -m ipamsync_local.cli"
    try:
        return os.path.relpath(script) if not os.path.relpath(script).startswith("..") else str(script)
    except ValueError:
        return str(script)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ipamsync",
        description="ipamsync's local tools: the SOLIDserver emulator, the local pipeline, the demo, "
        "the console, redrive and the benchmarks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
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
    _tidy(parser)
    return parser


def plain(text: str | None) -> str | None:
    """Help text as a terminal shows it: docstring markup (````x````, ``:class:`x```) as plain text."""
    if not text:
        return text
    return re.sub(r":\w+:`~?([^`]*)`", r"\1", re.sub(r"``([^`]*)``", r"\1", text))


def _tidy(parser: argparse.ArgumentParser) -> None:
    """Every command's description and every help without markup; a sub-command without a
    description of its own gets its one-line help as one."""
    parser.description, parser.epilog = plain(parser.description), plain(parser.epilog)
    for action in parser._actions:
        action.help = plain(action.help)
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for choice in action._choices_actions:
                choice.help = plain(choice.help)
            for name, sub in action.choices.items():
                if not sub.description and helps.get(name):
                    text = str(plain(helps[name]))
                    sub.description = text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
                _tidy(sub)


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
    except BrokenPipeError:  # `ipamsync local history --json | head`: the reader left, nothing to say
        _quiet_stdout()
        return 141


def _quiet_stdout() -> None:
    """stdout to /dev/null, so the flush at exit does not fail again on the closed pipe."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
