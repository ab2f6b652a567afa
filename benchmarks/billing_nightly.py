"""billing_nightly: the nightly aggregation of a month's time entries (1,000,000 over 500
clients; --quick: 100,000) into each client's billed minutes per class and amount, against a
pandas groupby computing the same sums from the same entries, in the same run.

Each side runs in a fresh subprocess that generates the same entries (deterministic, in the
order the store reads them: by client, then start time and id), times only its aggregation,
and reports its peak resident memory; the totals must be equal, client by client.

- ours: per client, `mspdesk.domain.billing.classify` (the code of the nightly run) under the
  client's contract, then the sums per class;
- pandas: a DataFrame of the same entries, the same rules as vectorised columns (rounding,
  in-hours minutes from the same working-time table, scope, allowance by a grouped cumulative
  sum), then a groupby per client.

Both figures: billing_nightly (seconds, against pandas) and billing_nightly_memory (our peak
memory, against the 1 GiB budget).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.report import Figure
from mspdesk.domain.billing import (
    BillingClass,
    Row,
    Terms,
    WorkingTime,
    classify,
    period_bounds,
    totals_by_class,
)
from mspdesk.domain.enums import ContractKind
from mspdesk.domain.models import CalendarFields

ENTRIES = 1_000_000
QUICK_ENTRIES = 100_000
CLIENTS = 500
PERIOD = "2026-03"
ZONE = ZoneInfo("Europe/London")
WORK_TYPES = ("remote", "phone", "onsite", "internal")
CATEGORIES = ("cat_net", "cat_print", "cat_m365", "cat_server", "cat_project")
MINUTES = (5, 7, 10, 15, 20, 30, 45, 60, 75, 90, 120, 180)
GIB = 1024**3
CALENDAR = CalendarFields(name="Office hours", holidays=[date(2026, 3, 17)])
CLASSES = tuple(BillingClass)


@dataclass(frozen=True)
class Data:
    terms: list[Terms]
    allowance: list[int]
    rows: list[list[Row]]  # per client, in store order


def contract_terms(client: int, rng: random.Random) -> Terms:
    """Managed (an allowance, some all-inclusive), prepaid, time and materials, or none."""
    kind = rng.choices(("managed", "prepaid", "tm", "none"), weights=(40, 20, 25, 15), k=1)[0]
    if kind == "none":
        return Terms.none()
    tm = kind == "tm"
    rate = Decimal(rng.choice(("75.00", "85.00", "90.00")))
    work_types = ("remote", "phone", "onsite") if tm or rng.random() < 0.3 else ("remote", "phone")
    return Terms(
        contract_id=f"con_{client:03d}",
        name=f"Contract {client}",
        kind=ContractKind.TIME_AND_MATERIALS if tm else ContractKind.MANAGED,
        # Around what a client of this size works in a month: some run out, some do not.
        allowance_minutes=0 if tm else rng.choice((0, 600, 1200, 1800, 2400)) * 60,
        unlimited=kind == "managed" and rng.random() < 0.1,
        allowance_period="monthly",
        rates={w: int(rate * 100) for w in work_types},
        adhoc=int(Decimal(rng.choice(("95.00", "110.00", "120.00"))) * 100),
        uplift=rng.choice((0, 50, 100)),
        rounding=rng.choice((1, 6, 15)),
        minimum=rng.choice((0, 15, 30)),
        work_types=frozenset(work_types),
        categories=frozenset(CATEGORIES[:4]) if rng.random() < 0.3 else None,
        covers_out_of_hours=rng.random() < 0.25,
        non_billable=frozenset({"internal", "goodwill"}),
    )


def generate(entries: int, seed: int = 6) -> Data:
    rng = random.Random(seed)
    start, end = (int(t.timestamp()) for t in period_bounds(PERIOD, ZONE))
    weights = [1 / (c + 10) for c in range(CLIENTS)]
    scale = entries / sum(weights)
    counts = [int(w * scale) for w in weights]
    counts[0] += entries - sum(counts)
    terms = [contract_terms(c, rng) for c in range(CLIENTS)]
    rows: list[list[Row]] = []
    for client, count in enumerate(counts):
        # Working days mostly, some evenings and weekends; minute-aligned starts, as timers stop.
        mine: list[Row] = []
        for number in range(count):
            started = start + rng.randrange((end - start - 4 * 3600) // 60) * 60
            mine.append(
                (
                    started,
                    f"te_{client:03d}{number:07d}",
                    rng.choice(MINUTES),
                    rng.choices(WORK_TYPES, weights=(60, 25, 10, 5), k=1)[0],
                    rng.choice(CATEGORIES),
                )
            )
        mine.sort()
        rows.append(mine)
    return Data(terms, [t.allowance_minutes for t in terms], rows)


def hours_table() -> WorkingTime:
    start, end = period_bounds(PERIOD, ZONE)
    return WorkingTime(CALENDAR, start, end)


# --- the two sides -------------------------------------------------------------------------

Totals = list[tuple[int, ...]]  # per client: billed minutes per class, then pence


def ours(data: Data, hours: WorkingTime) -> Totals:
    out: Totals = []
    for terms, allowance, rows in zip(data.terms, data.allowance, data.rows, strict=True):
        by_class = totals_by_class(classify(rows, terms, hours, allowance).parts)
        out.append((*(by_class[c][0] for c in CLASSES), sum(by_class[c][1] for c in CLASSES)))
    return out


def by_pandas(data: Data, hours: WorkingTime) -> tuple[Totals, float]:
    """The sums and the seconds they took (the columns are laid out before the clock)."""
    import numpy as np
    import pandas as pd

    # The entry ids only order ties, and the entries arrive in that order: a stable sort on
    # (client, start) keeps it, so the frame does without them.
    columns: dict[str, list[Any]] = {
        "client": [],
        "started": [],
        "minutes": [],
        "work_type": [],
        "category": [],
    }
    for client, rows in enumerate(data.rows):
        columns["client"].extend([client] * len(rows))
        started, _, minutes, work_types, categories = zip(*rows, strict=True)
        columns["started"].extend(started)
        columns["minutes"].extend(minutes)
        columns["work_type"].extend(work_types)
        columns["category"].extend(categories)
    began = time.perf_counter()
    frame = pd.DataFrame(columns)
    result = _pandas_sums(frame, data, hours, np, pd)
    elapsed = time.perf_counter() - began
    return result, elapsed


def _pandas_sums(frame: Any, data: Data, hours: WorkingTime, np: Any, pd: Any) -> Totals:
    terms = data.terms
    n_clients = len(terms)
    wt_codes = {w: i for i, w in enumerate(WORK_TYPES)}
    cat_codes = {c: i for i, c in enumerate(CATEGORIES)}
    # Per client (and work type, category): the contract's terms as lookup arrays.
    in_scope_wt = np.zeros((n_clients, len(WORK_TYPES)), dtype=bool)
    non_billable = np.zeros((n_clients, len(WORK_TYPES)), dtype=bool)
    rate = np.zeros((n_clients, len(WORK_TYPES)), dtype=np.int64)
    in_scope_cat = np.zeros((n_clients, len(CATEGORIES)), dtype=bool)
    for c, t in enumerate(terms):
        for w, code in wt_codes.items():
            in_scope_wt[c, code] = t.contract_id is not None and (
                t.work_types is None or w in t.work_types
            )
            non_billable[c, code] = w in t.non_billable
            rate[c, code] = t.rates.get(w, t.adhoc)
        for k, code in cat_codes.items():
            in_scope_cat[c, code] = t.categories is None or k in t.categories
    per_client = pd.DataFrame(
        {
            "allowance": [t.allowance_minutes for t in terms],
            "unlimited": [t.unlimited for t in terms],
            "covers": [t.covers_out_of_hours for t in terms],
            "rounding": [t.rounding for t in terms],
            "minimum": [t.minimum for t in terms],
            "adhoc": [t.adhoc for t in terms],
            "uplift": [t.uplift for t in terms],
        }
    )

    frame = frame.sort_values(["client", "started"], kind="stable", ignore_index=True)
    client = frame["client"].to_numpy()
    started = frame["started"].to_numpy(dtype=np.int64)
    minutes = frame["minutes"].to_numpy(dtype=np.int64)
    wt = pd.Categorical(frame["work_type"], categories=WORK_TYPES).codes
    cat = pd.Categorical(frame["category"], categories=CATEGORIES).codes
    pc = {name: per_client[name].to_numpy()[client] for name in per_client.columns}

    # In-hours minutes from the same working-time table (its cells are whole here).
    table = np.asarray(hours.worked, dtype=np.int64)
    before = np.asarray(hours.before, dtype=np.int64)
    end = started + minutes * 60
    i = (started - hours.origin) // 900
    j = (end - hours.origin) // 900
    if not np.isin(table[np.concatenate([i, j])], (0, 900)).all():
        raise RuntimeError("the reference expects whole cells")
    seconds = before[j] - before[i] + np.where(table[j] > 0, end - hours.origin - j * 900, 0)
    seconds -= np.where(table[i] > 0, started - hours.origin - i * 900, 0)
    in_min = (seconds + 30) // 60
    ooh_min = minutes - in_min

    billed = np.maximum(pc["minimum"], -(-minutes // pc["rounding"]) * pc["rounding"])
    extra = billed - minutes
    nb = non_billable[client, wt]
    out = ~(in_scope_wt[client, wt] & in_scope_cat[client, cat])
    b_ooh = np.where(in_min > 0, ooh_min, ooh_min + extra)
    b_in = np.where(in_min > 0, in_min + extra, 0)
    elig_ooh = ~nb & ~out & pc["covers"]
    elig_in = ~nb & ~out
    use = np.where(elig_ooh, b_ooh, 0) + np.where(elig_in, b_in, 0)
    used_before = pd.Series(use).groupby(client).cumsum().to_numpy() - use
    allowance = np.where(pc["unlimited"], np.iinfo(np.int64).max // 4, pc["allowance"])
    left = np.maximum(allowance - used_before, 0)
    cov_ooh = np.where(elig_ooh, np.minimum(left, b_ooh), 0)
    cov_in = np.where(elig_in, np.minimum(np.maximum(left - cov_ooh, 0), b_in), 0)
    bill_ooh = np.where(elig_ooh, b_ooh - cov_ooh, 0)
    bill_in = np.where(elig_in, b_in - cov_in, 0)
    chg_ooh = np.where(~nb & ~elig_ooh, b_ooh, 0)
    chg_in = np.where(~nb & ~elig_in, b_in, 0)
    r = rate[client, wt]
    amount = (
        (bill_ooh * r + 30) // 60
        + (bill_in * r + 30) // 60
        + (chg_ooh * pc["adhoc"] * (100 + pc["uplift"]) + 3000) // 6000
        + (chg_in * pc["adhoc"] + 30) // 60
    )
    sums = (
        pd.DataFrame(
            {
                "client": client,
                "covered": cov_ooh + cov_in,
                "billable": bill_ooh + bill_in,
                "chargeable": chg_ooh + chg_in,
                "non_billable": np.where(nb, minutes, 0),
                "amount": amount,
            }
        )
        .groupby("client")
        .sum()
        .reindex(range(n_clients), fill_value=0)
    )
    return [tuple(int(v) for v in row) for row in sums.itertuples(index=False)]


# --- the harness -------------------------------------------------------------------------


def _worker(side: str, entries: int) -> dict[str, Any]:
    data = generate(entries)
    hours = hours_table()
    gc.collect()
    gc.freeze()  # the generated entries are input, not garbage to look through
    if side == "ours":
        began = time.perf_counter()
        totals = ours(data, hours)
        elapsed = time.perf_counter() - began
    else:
        totals, elapsed = by_pandas(data, hours)
    gc.unfreeze()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    digest = hashlib.sha256(json.dumps(totals).encode()).hexdigest()
    grand = [sum(column) for column in zip(*totals, strict=True)]
    return {"seconds": elapsed, "peak_bytes": peak, "digest": digest, "grand": grand}


def _run_side(side: str, entries: int) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.billing_nightly",
            "--side",
            side,
            "--entries",
            str(entries),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool) -> list[Figure]:
    entries = QUICK_ENTRIES if quick else ENTRIES
    mine = _run_side("ours", entries)
    reference = _run_side("pandas", entries)
    if mine["digest"] != reference["digest"]:
        raise RuntimeError(
            f"totals differ from pandas: ours {mine['grand']}, pandas {reference['grand']}"
        )
    if mine["peak_bytes"] >= GIB:
        raise RuntimeError(f"peak memory {mine['peak_bytes'] / 2**20:.0f} MiB is over 1 GiB")
    return [
        Figure(
            "billing_nightly",
            mine["seconds"],
            "seconds",
            reference["seconds"],
            "ratio <= 2, equal totals, peak memory < 1 GiB",
        ),
        Figure(
            "billing_nightly_memory",
            mine["peak_bytes"] / 2**20,
            "MiB",
            GIB / 2**20,
            "ratio <= 1",
        ),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.billing_nightly")
    parser.add_argument("--side", choices=("ours", "pandas"))
    parser.add_argument("--entries", type=int, default=QUICK_ENTRIES)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(_worker(args.side, args.entries)))
        return
    for figure in run(args.quick):
        print(figure.line())


if __name__ == "__main__":
    main()
