"""ingest_core: the ingest core (mspdesk.services.ingest.examine: parse, clean the reply,
classify, thread by token and Message-ID, match the sender) over every message of
../shared/data/mail against an in-memory directory, in seconds, beside a bare
`email.message_from_bytes(raw, policy=default)` of the same corpus in the same run.

Rounds alternate the two so that a noisy neighbour slows both; each side's figure is its
fastest round (the least disturbed one). The directory knows every sender's domain and a few
Message-IDs, so that each message runs the matching and threading it would in production.
"""

from __future__ import annotations

import email
import gc
import time
from collections.abc import Callable
from email.policy import default
from pathlib import Path

from benchmarks.report import REPO, Figure
from mspdesk.domain.mail import parse, thread_ids
from mspdesk.services.ingest import MemoryDirectory, examine
from mspdesk.store.dynamo import Principal

CORPUS = REPO.parent / "shared" / "data" / "mail"
ROUNDS = 7
QUICK_ROUNDS = 2
GOAL = "ratio <= 3"


def load_corpus(root: Path = CORPUS) -> list[bytes]:
    files = sorted(root.glob("*/*.eml"))
    if not files:
        raise FileNotFoundError(f"no mail corpus in {root}: ../shared/data/mail is needed")
    return [path.read_bytes() for path in files]


def directory_for(corpus: list[bytes]) -> MemoryDirectory:
    """Every sender's domain owned by a client, every other sender an end-user, and the ids
    that replies point at known (AP5 and AP8 hits as well as misses)."""
    found = MemoryDirectory()
    for index, raw in enumerate(corpus):
        parsed = parse(raw)
        sender = parsed.from_address
        if sender is not None and sender.domain:
            found.domains.setdefault(sender.domain, f"cl_{len(found.domains)}")
            if index % 2:
                found.people[sender.address.lower()] = Principal(
                    "end_user", f"eu_{index}", found.domains[sender.domain]
                )
        for message_id in thread_ids(parsed)[:1]:
            found.message_ids[message_id] = index + 1
    return found


def _timed(work: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def run(quick: bool) -> list[Figure]:
    corpus = load_corpus()
    directory = directory_for(corpus)

    def core() -> object:
        return [examine(raw, directory) for raw in corpus]

    def bare() -> object:
        return [email.message_from_bytes(raw, policy=default) for raw in corpus]

    core()  # the regular expressions and codecs are compiled once, as in a warm container
    ours: list[float] = []
    reference: list[float] = []
    for _ in range(QUICK_ROUNDS if quick else ROUNDS):
        reference.append(_timed(bare))
        ours.append(_timed(core))
    return [Figure("ingest_core", min(ours), "s", min(reference), GOAL)]
