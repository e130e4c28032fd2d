"""``ipamsync bench`` (``make bench``): every benchmark, its table, the command behind it, the targets.

Sections, in order (``--only`` picks some):

1. ``calls`` — SOLIDserver calls per event per scenario, warm and cold, next to the minimum
   (:mod:`.calls`). Targets: replay makes 0 writes; calls ≤ 1.5 x the minimum.
2. ``throughput`` — launches then terminations through the full local pipeline: events/s, latency,
   where the CPU goes (:mod:`.throughput`). Check: every event applied exactly once.
3. ``coldstart`` — handler import time from the ``sam build`` artifacts, first call, sizes
   (:mod:`.coldstart`). Targets: import ≤ 300 ms per handler; layer ≤ 10 MB unzipped.
4. ``cost`` — cost per million events from the measured throughput figures (:mod:`.cost`).
5. ``emulator`` — emulator lookup/insert latency at 100,000 addresses (:mod:`.emulator_bench`).
6. ``soak`` — the long run of the reliability suite (:mod:`.soak`). Check: nothing lost, wrong or
   duplicated.

Results go to ``bench/results.json`` and the generated part of ``docs/benchmarks.md`` (not with
``--quick`` or ``--no-save``). Exit status: 0 when every target is met, 1 when one is missed or a
benchmark failed.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ipamsync_local.bench import results as res

SECTIONS = ("calls", "throughput", "coldstart", "cost", "emulator", "soak")
TITLES = {
    "calls": "1. SOLIDserver calls per event",
    "throughput": "2. Throughput and latency through the full local pipeline",
    "coldstart": "3. Cold start",
    "cost": "4. Cost per million events",
    "emulator": "5. Emulator latency at scale",
    "soak": "6. Soak (nothing lost, wrong or duplicated)",
}
FULL = {
    "launches": 1000,
    "paced": 10,
    "coldstart_runs": 7,
    "addresses": 100_000,
    "samples": 200,
    "soak_events": 2000,
    "soak_instances": 200,
    "cost_launches": 100,
}
QUICK = {
    "launches": 50,
    "paced": 3,
    "coldstart_runs": 3,
    "addresses": 10_000,
    "samples": 50,
    "soak_events": 200,
    "soak_instances": 20,
    "cost_launches": 25,
}


def _sections(text: str) -> list[str]:
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"choose from {','.join(SECTIONS)} (got {text!r})")
    return [s for s in SECTIONS if s in wanted]


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=__doc__.split("\n\n")[0] if __doc__ else help_text
    )
    parser.add_argument(
        "--only",
        type=_sections,
        default=None,
        metavar="LIST",
        help=f"comma-separated sections: {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes for a fast sanity run (never saved)"
    )
    parser.add_argument(
        "--launches",
        type=int,
        default=None,
        help=f"throughput run size (default {FULL['launches']}, quick {QUICK['launches']})",
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


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda o: getattr(o, "__dict__", str(o))))


def _bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run_coldstart(runs: int) -> dict[str, Any]:
    """:func:`coldstart.measure` on a fresh ``sam build``, plus exact package and layer sizes."""
    from ipamsync_local.bench import coldstart

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ipamsync-build-") as tmp:
        out = Path(tmp) / "build"
        coldstart.sam_build(out)
        result = coldstart.measure(out, runs=runs)
        for logical, figures in result["functions"].items():
            figures["package_bytes"] = _bytes(out / logical)
        layer = out / "IpamsyncLayer"
        result["layer_bytes"] = _bytes(layer)
        packages: dict[str, int] = {}
        python_dir = layer / "python"
        for child in python_dir.iterdir() if python_dir.is_dir() else ():
            key = (
                child.name.split("-")[0]
                if child.name.endswith(".dist-info")
                else child.name.removesuffix(".py")
            )
            size = _bytes(child) if child.is_dir() else child.stat().st_size
            packages[key] = packages.get(key, 0) + size
        result["layer_top"] = sorted(packages.items(), key=lambda kv: -kv[1])[:8]
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def soak_checks(result: Any) -> dict[str, Any]:
    """``lost``/``wrong``/``duplicates`` wherever the soak result reports them (top level or one
    level down)."""
    found: dict[str, Any] = {}
    if not isinstance(result, dict):
        return found
    candidates = [result] + [v for v in result.values() if isinstance(v, dict)]
    for key in ("lost", "wrong", "duplicates"):
        for c in candidates:
            if key in c and isinstance(c[key], int | float | list):
                value = c[key]
                found[key] = len(value) if isinstance(value, list) else value
                break
    return found


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sizes = dict(QUICK if args.quick else FULL)
        if args.launches is not None:
            if args.launches < 1:
                raise SystemExit("--launches must be >= 1")
            self.sizes["launches"] = args.launches
        self.git = res.git_facts()
        self.sections: dict[str, Any] = {}
        self.targets: list[tuple[str, bool]] = []
        self.failures: list[str] = []
        self.notes: list[str] = []

    def command(self, section: str, *, launches: bool = False) -> str:
        cmd = f"ipamsync bench --only {section}"
        if self.args.quick:
            cmd += " --quick"
        if launches and self.args.launches is not None:
            cmd += f" --launches {self.args.launches}"
        return cmd

    def invocation(self, wanted: list[str]) -> str:
        if wanted == list(SECTIONS) and self.args.launches is None:
            return "make bench"
        cmd = "ipamsync bench"
        if wanted != list(SECTIONS):
            cmd += " --only " + ",".join(wanted)
        if self.args.launches is not None:
            cmd += f" --launches {self.args.launches}"
        return cmd

    def record(self, section: str, result: Any, seconds: float, command: str, **extra: Any) -> None:
        self.sections[section] = {
            "measured_at": res.now_iso(),
            "git_commit": self.git["git_commit"],
            "command": command,
            "seconds": round(seconds, 1),
            "quick": bool(self.args.quick),
            "result": _jsonable(result),
            **extra,
        }

    def target(self, name: str, ok: bool) -> None:
        self.targets.append((name, bool(ok)))

    # ------------------------------------------------------------------ sections

    def calls(self) -> None:
        from ipamsync_local.bench import calls

        started = time.monotonic()
        result = calls.run(log=_progress)
        command = self.command("calls")
        _out(calls.format_table(result))
        self.record("calls", result, time.monotonic() - started, command)
        replay = next(s for s in result["scenarios"] if s["scenario"] == "replay")
        self.target("calls: replay makes 0 writes", replay["writes"] == 0)
        for s in result["scenarios"]:
            self.target(
                f"calls: {s['label']} ≤ {result['ratio_target']} x minimum ({s['ratio']:.2f})",
                s["checks"]["ratio"],
            )

    def throughput(self) -> None:
        from ipamsync_local.bench import throughput

        started = time.monotonic()
        launches = self.sizes["launches"]
        _progress(f"  {launches} launches then {launches} terminations ({4 * launches} events)…")
        result = throughput.run(launches, paced=self.sizes["paced"], log=_progress)
        _out(throughput.format_table(result))
        self.record(
            "throughput", result, time.monotonic() - started, self.command("throughput", launches=True)
        )
        t = result["total"]
        self.target(
            f"throughput: every event applied exactly once ({t['applied']}/{t['events']}, "
            f"{t['duplicate_applications']} duplicates)",
            t["missing"] == 0 and t["duplicate_applications"] == 0,
        )

    def coldstart(self) -> None:
        from ipamsync_local.bench import coldstart

        started = time.monotonic()
        result = run_coldstart(self.sizes["coldstart_runs"])
        _out(coldstart.format_table(result))
        self.record("coldstart", result, time.monotonic() - started, self.command("coldstart"))
        for name, f in result["functions"].items():
            self.target(
                f"cold start: {name} imports in ≤ 300 ms ({f['import_ms_median']:.0f} ms)",
                f["meets_import_target"],
            )
        self.target(
            f"cold start: layer ≤ 10 MB unzipped ({result['layer_mb']} MB)", result["layer_meets_target"]
        )

    def cost(self) -> None:
        from ipamsync_local.bench import cost, throughput

        started = time.monotonic()
        tp_section = self.sections.get("throughput")
        source = "this run's throughput section"
        if tp_section is None:
            saved = (res.load(self.args.results).get("latest") or {}).get("sections", {}).get("throughput")
            if saved is not None and not self.args.quick:
                tp_section, source = saved, f"the saved throughput section of {saved.get('measured_at')}"
        if tp_section is None:
            launches = self.sizes["cost_launches"] if self.args.launches is None else self.sizes["launches"]
            _progress(f"  no throughput figures: measuring {launches} launches + terminations first…")
            tp = throughput.run(launches, paced=0, log=_progress, profile=False)
            source = f"a throughput run of {launches} launches made for the cost model"
        else:
            tp = tp_section["result"]
        result = cost.compute(tp)
        result["inputs_from"] = source
        _out(cost.format_table(result))
        _out(f"Inputs from {source}.")
        self.record("cost", result, time.monotonic() - started, self.command("cost"))

    def emulator(self) -> None:
        from ipamsync_local.bench import emulator_bench

        started = time.monotonic()
        result = emulator_bench.run(addresses=self.sizes["addresses"], samples=self.sizes["samples"])
        _out(emulator_bench.format_table(result))
        self.record("emulator", result, time.monotonic() - started, self.command("emulator"))

    def soak(self) -> None:
        soak = importlib.import_module("ipamsync_local.bench.soak")
        started = time.monotonic()
        kwargs: dict[str, Any] = {
            "events": self.sizes["soak_events"],
            "instances": self.sizes["soak_instances"],
        }
        if "log" in inspect.signature(soak.run).parameters:
            kwargs["log"] = _progress
        result = soak.run(**kwargs)
        table = soak.format_table(result)
        _out(table)
        checks = soak_checks(result)
        self.record(
            "soak", result, time.monotonic() - started, self.command("soak"), table=table, checks=checks
        )
        if not checks:
            self.target("soak: reports lost/wrong/duplicates", False)
        for key, value in checks.items():
            self.target(f"soak: {key} = 0 ({value})", value == 0)

    # ------------------------------------------------------------------ driver

    def run(self, wanted: list[str]) -> int:
        started = time.monotonic()
        runners: dict[str, Callable[[], None]] = {
            "calls": self.calls,
            "throughput": self.throughput,
            "coldstart": self.coldstart,
            "cost": self.cost,
            "emulator": self.emulator,
            "soak": self.soak,
        }
        for section in wanted:
            t0 = time.monotonic()
            load_before = os.getloadavg()[0]
            launches = section in ("throughput", "cost")
            _out("")
            _out(f"== {TITLES[section]} ==")
            _out(f"command: {self.command(section, launches=launches)}")
            try:
                runners[section]()
            except Exception as exc:  # a broken benchmark must not hide the others
                self.failures.append(f"{section}: {type(exc).__name__}: {exc}")
                _out(f"{section} FAILED: {type(exc).__name__}: {exc}")
                traceback.print_exc(file=sys.stderr)
            load_after = os.getloadavg()[0]
            if section in self.sections:
                self.sections[section]["load_average_1min"] = [round(load_before, 2), round(load_after, 2)]
            _out(
                f"({section}: {time.monotonic() - t0:.0f} s; 1-min load average {load_before:.1f} → "
                f"{load_after:.1f} on {os.cpu_count()} cores, other processes included)"
            )
        seconds = round(time.monotonic() - started, 1)
        self.summary(seconds)
        if self.args.quick or self.args.no_save:
            _out("Not saved (" + ("--quick" if self.args.quick else "--no-save") + ").")
        elif self.sections:
            run = {
                "date": res.now_iso(),
                "command": self.invocation(wanted),
                "seconds": seconds,
                "machine": res.machine_facts(),
                **self.git,
                "sections": self.sections,
            }
            data = res.save(run, self.args.results)
            res.update_docs(data["latest"], self.args.docs)
            _out(f"Saved {self.args.results} and the generated part of {self.args.docs}.")
            _out("")
            _out("README table:")
            _out(res.readme_table(data["latest"]))
        missed = [name for name, ok in self.targets if not ok]
        return 1 if missed or self.failures else 0

    def summary(self, seconds: float) -> None:
        _out("")
        _out("== Targets ==")
        for name, ok in self.targets:
            _out(f"{'✔' if ok else '✘'} {name}")
        for failure in self.failures:
            _out(f"✘ benchmark failed: {failure}")
        for note in self.notes:
            _out(f"! {note}")
        _out(f"Total: {seconds:.0f} s ({seconds / 60:.1f} min).")


def cmd_bench(args: argparse.Namespace) -> int:
    if args.table:
        latest = res.load(args.results).get("latest")
        if not latest:
            _out(f"no results in {args.results}: run `make bench` first")
            return 1
        _out(res.readme_table(latest))
        return 0
    wanted = args.only or list(SECTIONS)
    return Bench(args).run(wanted)
