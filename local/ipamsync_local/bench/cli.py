"""``ipamsync bench`` (``make bench``): every benchmark, its table, the command behind it, the targets.

The sections and what each measures: :mod:`.sections` (``--only`` picks some). Results go to
``bench/results.json`` and the generated part of ``docs/benchmarks.md`` (not with ``--quick`` or
``--no-save``). Exit status: 0 when every target is met, 1 when one is missed or a benchmark failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from ipamsync_local.bench import fmt
from ipamsync_local.bench import results as res
from ipamsync_local.bench import sections as reg
from ipamsync_local.bench.throughput import LAUNCHES


def _sections(text: str) -> list[str]:
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in reg.all_keys()]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"choose from {','.join(reg.all_keys())} (got {text!r})")
    return [k for k in reg.all_keys() if k in wanted]


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=__doc__.split("\n\n")[0] if __doc__ else help_text
    )
    parser.add_argument(
        "--only",
        type=_sections,
        default=None,
        metavar="LIST",
        help=f"comma-separated sections: {','.join(reg.all_keys())} (default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes for a fast sanity run (never saved)"
    )
    parser.add_argument(
        "--launches",
        type=int,
        default=None,
        help=f"throughput run size (default {LAUNCHES[0]}, quick {LAUNCHES[1]})",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results.json or docs")
    parser.add_argument("--results", type=Path, default=res.RESULTS_PATH, help=argparse.SUPPRESS)
    parser.add_argument("--docs", type=Path, default=res.DOCS_PATH, help=argparse.SUPPRESS)
    parser.add_argument(
        "--table", action="store_true", help="print the README table of the saved results and exit"
    )
    parser.set_defaults(func=cmd_bench)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _out(text: str = "") -> None:
    print(text, flush=True)


class Bench:
    """One ``ipamsync bench`` run: the sections it measures, their targets and failures."""

    def __init__(self, args: argparse.Namespace) -> None:
        if args.launches is not None and args.launches < 1:
            raise SystemExit("--launches must be >= 1")
        self.args = args
        self.git = res.git_facts()
        self.saved: dict[str, Any] = {}
        self.targets: list[tuple[str, bool]] = []
        self.failures: list[str] = []
        latest = res.load(args.results).get("latest") or {}
        self.ctx = reg.Context(
            quick=bool(args.quick),
            launches=args.launches,
            log=_progress,
            saved=latest.get("sections") or {},
        )

    def command(self, section: reg.Section) -> str:
        cmd = f"ipamsync bench --only {section.key}"
        if self.args.quick:
            cmd += " --quick"
        if "launches" in section.options and self.args.launches is not None:
            cmd += f" --launches {self.args.launches}"
        return cmd

    def invocation(self, wanted: list[str]) -> str:
        if wanted == list(reg.all_keys()) and self.args.launches is None:
            return "make bench"
        cmd = "ipamsync bench"
        if wanted != list(reg.all_keys()):
            cmd += " --only " + ",".join(wanted)
        if self.args.launches is not None:
            cmd += f" --launches {self.args.launches}"
        return cmd

    def measure(self, section: reg.Section) -> None:
        """Run one section, print its report, record its result and targets (a failure is recorded,
        not raised: a broken benchmark must not hide the others)."""
        started, load_before = time.monotonic(), os.getloadavg()[0]
        _out(f"\n== {reg.SECTIONS.index(section) + 1}. {section.title} ==")
        _out(f"command: {self.command(section)}")
        try:
            module = section.load()
            result = module.measure(self.ctx)
            self.ctx.measured[section.key] = result
            _out(fmt.as_text(module.report(result)))
            self.targets += section.targets(result)
        except Exception as exc:
            self.failures.append(f"{section.key}: {type(exc).__name__}: {exc}")
            _out(f"{section.key} FAILED: {type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
            return
        finally:
            seconds, load_after = time.monotonic() - started, os.getloadavg()[0]
            _out(
                f"({section.key}: {seconds:.0f} s; 1-min load average {load_before:.1f} → "
                f"{load_after:.1f} on {os.cpu_count()} cores, other processes included)"
            )
        self.saved[section.key] = {
            "measured_at": res.now_iso(),
            "git_commit": self.git["git_commit"],
            "command": self.command(section),
            "seconds": round(seconds, 1),
            "load_average_1min": [round(load_before, 2), round(load_after, 2)],
            "result": result,
        }

    def run(self, wanted: list[str]) -> int:
        started = time.monotonic()
        for key in wanted:
            self.measure(reg.get(key))
        seconds = round(time.monotonic() - started, 1)
        _out("\n== Targets ==")
        for name, met in self.targets:
            _out(f"{fmt.ok(met)} {name}")
        for failure in self.failures:
            _out(f"✘ benchmark failed: {failure}")
        _out(f"Total: {seconds:.0f} s ({seconds / 60:.1f} min).")
        if self.args.quick or self.args.no_save:
            _out("Not saved (" + ("--quick" if self.args.quick else "--no-save") + ").")
        elif self.saved:
            self.save(wanted, seconds)
        missed = [name for name, met in self.targets if not met]
        return 1 if missed or self.failures else 0

    def save(self, wanted: list[str], seconds: float) -> None:
        run = {
            "date": res.now_iso(),
            "command": self.invocation(wanted),
            "seconds": seconds,
            "machine": res.machine_facts(),
            **self.git,
            "sections": self.saved,
        }
        data = res.save(run, self.args.results)
        res.update_docs(data["latest"], self.args.docs)
        _out(f"Saved {self.args.results} and the generated part of {self.args.docs}.\n\nREADME table:")
        _out(res.readme_table(data["latest"]))


def cmd_bench(args: argparse.Namespace) -> int:
    if args.table:
        latest = res.load(args.results).get("latest")
        if not latest:
            _out(f"no results in {args.results}: run `make bench` first")
            return 1
        _out(res.readme_table(latest))
        return 0
    return Bench(args).run(args.only or list(reg.all_keys()))
