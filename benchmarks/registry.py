"""Every benchmark of `make bench`, in the order they run. A new figure is one module beside
this one, exposing `run(quick: bool) -> list[Figure]`, and one entry here.

Modules are imported only when they run, so a figure's dependencies never slow or break the
others, and `--only` can pick a module by its name or by any figure it prints.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

from benchmarks.report import Figure

Run = Callable[[bool], list[Figure]]


@dataclass(frozen=True)
class Benchmark:
    module: str  # benchmarks/<module>.py
    figures: tuple[str, ...]  # the names it prints, in order

    def load(self) -> Run:
        module = importlib.import_module(f"benchmarks.{self.module}")
        return cast(Run, module.run)


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("api_import", ("api_import",)),
    Benchmark("api_get_ticket", ("api_get_ticket", "api_get_ticket_p99")),
    Benchmark("queue_first_page", ("queue_first_page", "queue_first_page_client")),
    Benchmark("billing_nightly", ("billing_nightly", "billing_nightly_memory")),
    Benchmark("business_time", ("business_time", "business_time_add", "business_time_diff")),
    Benchmark("sla_sweep_reads", ("sla_sweep_reads",)),
    Benchmark("lateral_update", ("lateral_update",)),
    Benchmark("ingest_core", ("ingest_core",)),
    Benchmark(
        "triage_accuracy",
        ("triage_accuracy", "triage_accuracy_tfidf_knn", "triage_accuracy_lsa_knn"),
    ),
    Benchmark("knn_latency", ("knn_latency", "knn_latency_local")),
    Benchmark("triage_import", ("triage_import",)),
    Benchmark("web_bundle", ("web_bundle_kb",)),
    Benchmark("web_queue_render", ("web_queue_render",)),
)


def select(names: Iterable[str] | None) -> list[Benchmark]:
    """The benchmarks to run for `--only`: all of them when no name is given."""
    if not names:
        return list(BENCHMARKS)
    wanted = set(names)
    known = {b.module for b in BENCHMARKS} | {f for b in BENCHMARKS for f in b.figures}
    unknown = sorted(wanted - known)
    if unknown:
        raise KeyError(", ".join(unknown))
    return [b for b in BENCHMARKS if b.module in wanted or wanted & set(b.figures)]
