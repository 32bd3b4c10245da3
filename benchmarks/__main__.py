"""Run every benchmark, print one table, write bench-results.json. `--smoke`: tiny sizes, no budget check."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import traceback
from pathlib import Path

from .framework import Figure, print_table, write_results

# Each module has run(smoke: bool) -> list[Figure] and states its method in its docstring.
BENCHMARKS = [
    "bench_server",
    "bench_share",
    "bench_git",
    "bench_experiments",
    "bench_cost",
    "bench_load",
    "bench_deploy",
    "bench_sync",
    "bench_provenance",
    "bench_panel",
]


def _exit_on_term(signum, _frame) -> None:
    # SIGTERM (a CI timeout, `kill`) as an exception: each benchmark's `finally` then stops the lab, world and
    # browser it started, which Python's default (die at once) would leave running.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_term)
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repetition, no budget check")
    parser.add_argument("--only", nargs="*", help="run only these benchmark modules")
    parser.add_argument("--output", default="bench-results.json")
    args = parser.parse_args(argv)
    figures: list[Figure] = []
    failed = False
    for name in args.only or BENCHMARKS:
        module = importlib.import_module(f"benchmarks.{name}")
        try:
            rows = module.run(args.smoke)
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            failed = True
            traceback.print_exc()
            rows = [Figure(name, None, "", None, None, "", False, "benchmark failed: see log")]
        figures += rows
        print_table(rows, flush=True)  # as each ends: a long run cut short still shows what it measured
        write_results(figures, Path(args.output))
    print_table(figures)
    write_results(figures, Path(args.output))
    if args.smoke:
        return 1 if failed else 0
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
