"""`python -m benchmarks [--quick] [--only NAME ...]`: run the figures, print one BENCH line
each on stdout (progress goes to stderr) and write them to .local/bench.json."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from benchmarks.registry import BENCHMARKS, select
from benchmarks.report import JSON_PATH, Figure, write_json


def main(argv: list[str] | None = None) -> int:
    names = [b.module for b in BENCHMARKS]
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes for development; make bench runs full"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        action="extend",
        metavar="NAME",
        help=f"benchmark modules or figure names to run (modules: {', '.join(names)})",
    )
    parser.add_argument("--json", type=Path, default=JSON_PATH, help="where to write the figures")
    args = parser.parse_args(argv)
    try:
        chosen = select(args.only)
    except KeyError as unknown:
        parser.error(f"unknown benchmark or figure: {unknown.args[0]}")

    started = time.perf_counter()
    figures: list[Figure] = []
    failed: list[str] = []
    for benchmark in chosen:
        began = time.perf_counter()
        _note(f"{benchmark.module}: running{' (quick)' if args.quick else ''}")
        try:
            got = benchmark.load()(args.quick)
            names_got = tuple(f.name for f in got)
            if names_got != benchmark.figures:
                raise RuntimeError(f"printed {names_got}, registered {benchmark.figures}")
        except Exception:
            traceback.print_exc()
            failed.append(benchmark.module)
            continue
        for figure in got:
            print(figure.line(), flush=True)
        figures.extend(got)
        _note(f"{benchmark.module}: {time.perf_counter() - began:.1f} s")

    path = write_json(figures, args.json)
    missed = [f.name for f in figures if f.meets_goal() is False]
    _note(
        f"{len(figures)} figures in {time.perf_counter() - started:.1f} s, written to {path}"
        + (f"; goal missed: {', '.join(missed)}" if missed else "")
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


def _note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
