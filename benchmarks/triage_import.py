"""triage_import: import time of functions/triage's handler module against a bare Powertools +
boto3 handler, median of 7 fresh processes each."""

from __future__ import annotations

from benchmarks.imports import median_import_seconds
from benchmarks.report import Figure

HANDLER = "functions.triage.handler"
BARE = "benchmarks.bare_handler"
RUNS = 7
QUICK_RUNS = 3


def run(quick: bool) -> list[Figure]:
    medians = median_import_seconds((HANDLER, BARE), QUICK_RUNS if quick else RUNS)
    return [Figure("triage_import", medians[HANDLER], "s", medians[BARE], "ratio <= 1.5")]
