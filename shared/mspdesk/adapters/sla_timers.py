"""The SLA timer port: wait until a clock's warning instant, check, wait until its breach
instant, check. Step Functions in AWS (the state machine of infra/components/sla_monitor.py),
a scheduler thread locally; both call the same check (functions/sla_monitor, `sla_check`).

A timer is named after its ticket, clock and SLA version, so starting one twice is refused by
name, and a timer of an older version finds itself stale when it checks.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from mspdesk.domain.models import utcnow
from mspdesk.domain.sla import SlaTimer

WARNING_STAGE = "warning"
BREACH_STAGE = "breach"
# What a check answers; the state machine's Choice states read these.
CONTINUE = "continue"  # the warning stage is done: wait for the breach
EARLY = "early"  # woken before the instant (clock skew): wait again
DONE = "done"
STALE = "stale"
PAUSED = "paused"
MET = "met"

log = logging.getLogger(__name__)


class TimerPort(Protocol):
    def start(self, timer: SlaTimer) -> bool:
        """Start `timer` unless a timer of its name was ever started; True when started."""
        ...

    def ensure(self, timer: SlaTimer, now: datetime) -> bool:
        """Make sure a timer of this clock and version is waiting: start it if it never was,
        replace it if it was lost or ended. True when a lost or ended one was replaced (the
        local timers also count a first start)."""
        ...


class NoTimers:
    """No timers at all: the sweep alone keeps the clocks (a desk without a state machine)."""

    def start(self, timer: SlaTimer) -> bool:
        return False

    def ensure(self, timer: SlaTimer, now: datetime) -> bool:
        return False


def timestamp(at: datetime) -> str:
    """RFC 3339 in UTC, whole seconds rounded up: a Wait never ends before the instant."""
    utc = at.astimezone(UTC)
    whole = utc.replace(microsecond=0) + timedelta(seconds=math.ceil(utc.microsecond / 1e6))
    return whole.strftime("%Y-%m-%dT%H:%M:%SZ")


def execution_input(timer: SlaTimer) -> dict[str, Any]:
    return {
        "number": timer.number,
        "clock": timer.clock,
        "version": timer.version,
        "warn_at": timestamp(timer.warn_at),
        "breach_at": timestamp(timer.breach_at),
    }


class StepFunctionsTimers:
    """A standard state machine execution per timer, named after it.

    StartExecution alone tells what a timer's name holds, so the function needs no other
    permission: the same name and input as a running execution is accepted (and starts
    nothing), a name whose execution has ended is refused with ExecutionAlreadyExists.
    """

    def __init__(self, client: Any | Callable[[], Any], state_machine_arn: str) -> None:
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None
        self._arn = state_machine_arn

    def _sfn(self) -> Any:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        return self._client

    def _start(self, timer: SlaTimer, name: str) -> bool:
        """True when an execution of that name runs now; False when the name's has ended."""
        from botocore.exceptions import ClientError

        try:
            self._sfn().start_execution(
                stateMachineArn=self._arn,
                name=name,
                input=json.dumps(execution_input(timer)),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return False
            raise
        return True

    def start(self, timer: SlaTimer) -> bool:
        return self._start(timer, timer.name)

    def ensure(self, timer: SlaTimer, now: datetime) -> bool:
        if self._start(timer, timer.name):
            return False  # running, or started now: either way it waits
        # It ended (failed, aborted, timed out) while the clock still needs it, and its name
        # stays taken: a repair runs under a name of its own. The markers keep announcements
        # single if the first one was somehow still about.
        return self._start(timer, f"{timer.name}-r{int(now.timestamp())}")


Check = Callable[[SlaTimer, str], str]


class LocalTimers:
    """The state machine's behaviour on a heap: each due (instant, timer, stage) calls
    `check`, whose answer decides the next wait, as the Choice states do in AWS.

    `run_due(now)` does the work of one tick and is what the tests drive; `start_thread()`
    ticks at the computed instants for `make dev`.
    """

    def __init__(self, check: Check, clock: Callable[[], datetime] = utcnow) -> None:
        self._check = check
        self._clock = clock
        self._heap: list[tuple[datetime, int, SlaTimer, str, str]] = []
        self._order = itertools.count()
        self._started: set[str] = set()
        self._waiting: set[str] = set()
        self._wake = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []

    def _push(self, at: datetime, timer: SlaTimer, stage: str, name: str) -> None:
        heapq.heappush(self._heap, (at, next(self._order), timer, stage, name))
        self._waiting.add(name)
        self._wake.notify_all()

    def start(self, timer: SlaTimer) -> bool:
        with self._wake:
            if timer.name in self._started:
                return False
            self._started.add(timer.name)
            self._push(timer.warn_at, timer, WARNING_STAGE, timer.name)
            return True

    def ensure(self, timer: SlaTimer, now: datetime) -> bool:
        with self._wake:
            if timer.name in self._waiting:
                return False
            self._started.add(timer.name)
            self._push(timer.warn_at, timer, WARNING_STAGE, timer.name)
            return True

    @property
    def waiting(self) -> set[str]:
        with self._wake:
            return set(self._waiting)

    def next_instant(self) -> datetime | None:
        with self._wake:
            return self._heap[0][0] if self._heap else None

    def run_due(self, now: datetime | None = None) -> int:
        """Run every wait that has ended by `now`; returns the checks made."""
        now = now or self._clock()
        ran = 0
        while True:
            with self._wake:
                if not self._heap or self._heap[0][0] > now:
                    return ran
                _, _, timer, stage, name = heapq.heappop(self._heap)
                self._waiting.discard(name)
            ran += 1
            try:
                outcome = self._check(timer, stage)
            except Exception as exc:
                # A failed task fails the execution in AWS too; the sweep repairs it.
                self.errors.append(f"{name} {stage}: {exc!r}")
                log.exception("SLA check failed for %s", name)
                continue
            with self._wake:
                if outcome == CONTINUE:
                    self._push(timer.breach_at, timer, BREACH_STAGE, name)
                elif outcome == EARLY:
                    instant = timer.warn_at if stage == WARNING_STAGE else timer.breach_at
                    self._push(max(instant, now + timedelta(seconds=1)), timer, stage, name)

    # --- the thread of `make dev` ----------------------------------------------------------

    def start_thread(self) -> threading.Thread:
        def loop() -> None:
            while True:
                with self._wake:
                    if self._stop:
                        return
                    upcoming = self._heap[0][0] if self._heap else None
                    wait = 60.0
                    if upcoming is not None:
                        wait = max(0.0, (upcoming - self._clock()).total_seconds())
                    if wait > 0:
                        self._wake.wait(min(wait, 60.0))
                    if self._stop:
                        return
                self.run_due()

        self._thread = threading.Thread(target=loop, name="sla-timers", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)


_local_timers: TimerPort | None = None


def use_local_timers(timers: TimerPort | None) -> None:
    """The local runtime's timers, for every sla_monitor it runs in-process."""
    global _local_timers
    _local_timers = timers


def local_timers() -> TimerPort | None:
    return _local_timers
