"""lateral_update: one lateral-analysis update (a new report enters, the oldest leaves) with
10,000 reports in the 20-minute window, against recomputing the window's hot keywords from
scratch. The reference is generous to the recount: it counts the reports' keyword sets as
stored, without extracting them again, while each update extracts its own report's keywords.
Both answers are compared at the end: the figure is void if they differ.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from statistics import median

from benchmarks.report import Figure
from mspdesk.domain.lateral import LateralItem, LateralWindow, hot_from_scratch, keywords

WINDOW_ITEMS = 10_000
QUICK_ITEMS = 2_000
UPDATES = 2_000
RECOUNTS = 7
CLIENTS = 500
WINDOW = timedelta(minutes=20)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_SUBJECTS = (
    "outlook",
    "exchange",
    "teams",
    "sharepoint",
    "onedrive",
    "printer",
    "scanner",
    "vpn",
    "wifi",
    "firewall",
    "laptop",
    "monitor",
    "docking station",
    "password",
    "mfa",
    "payroll",
    "sage",
    "xero",
    "backup",
    "server",
    "citrix",
    "remote desktop",
    "phone system",
    "headset",
    "mailbox",
    "calendar",
    "invoice",
    "website",
    "dns",
    "certificate",
)
_SYMPTOMS = (
    "cannot connect",
    "keeps crashing",
    "very slow",
    "asks for the password again",
    "shows a blank screen",
    "will not open",
    "is offline",
    "lost its settings",
    "prints nothing",
    "sync fails",
    "times out",
    "licence expired",
    "error 0x80070005 on start",
    "disconnects every few minutes",
)
_CONTEXT = (
    "since this morning",
    "after the update last night",
    "for everyone in accounts",
    "on the second floor",
    "only for the new starter",
    "when working from home",
    "at the Leeds office",
    "for the directors",
)


def report_text(rng: random.Random) -> str:
    """A ticket subject and first line, or an agent's call notes."""
    words = [
        rng.choice(_SUBJECTS),
        rng.choice(_SYMPTOMS),
        rng.choice(_CONTEXT),
        f"ref {rng.randrange(10**6)}",
    ]
    if rng.random() < 0.5:
        words.append(f"also {rng.choice(_SUBJECTS)} {rng.choice(_SYMPTOMS)}")
    return "Hi team, " + " ".join(words) + ". Thanks"


def _items(count: int, start: datetime, rng: random.Random) -> list[LateralItem]:
    step = WINDOW / count
    return [
        LateralItem(
            key=f"ticket:{index}",
            client_id=f"cl_{rng.randrange(CLIENTS):04d}",
            at=start + step * index,
            keywords=keywords(report_text(rng)),
        )
        for index in range(count)
    ]


def run(quick: bool) -> list[Figure]:
    count = QUICK_ITEMS if quick else WINDOW_ITEMS
    rng = random.Random(20_260_302)
    window = LateralWindow(WINDOW, min_clients=3)
    reports = _items(count, T0, rng)
    for report in reports:
        window.add(report)
    step = WINDOW / count
    # New reports arrive at the window's pace: each update lets one in and one out.
    texts = [report_text(rng) for _ in range(UPDATES)]
    clients = [f"cl_{rng.randrange(CLIENTS):04d}" for _ in range(UPDATES)]
    samples = []
    for index in range(UPDATES):
        at = T0 + WINDOW + step * (index + 1)
        began = time.perf_counter_ns()
        report = LateralItem(f"call:{index}", clients[index], at, keywords(texts[index]))
        window.add(report)
        samples.append(time.perf_counter_ns() - began)
        reports.append(report)
    if len(window) != count:
        raise RuntimeError(f"the window holds {len(window)} reports, expected {count}")
    now = window.latest
    if now is None:
        raise RuntimeError("the window saw no report")
    in_window = [r for r in reports if r.at >= now - WINDOW]
    recounts = []
    for _ in range(RECOUNTS):
        began = time.perf_counter_ns()
        expected = hot_from_scratch(in_window, now, WINDOW, 3)
        recounts.append(time.perf_counter_ns() - began)
    if expected != window.hot():
        raise RuntimeError("the incremental window and the recount disagree")
    return [
        Figure(
            "lateral_update",
            median(samples) / 1000,
            "us",
            median(recounts) / 1000,
            "ratio <= 0.01",
        )
    ]
