"""The SLA timers of `make dev`: a scheduler thread in place of Step Functions, calling
functions/sla_monitor's check at the computed instants exactly as the state machine does.
Notification emails go to moto's SES from a verified local sender."""

from __future__ import annotations

import os
from datetime import timedelta

from mspdesk.adapters.sla_timers import LocalTimers, use_local_timers
from mspdesk.domain.sla import SlaTimer
from mspdesk.local.stack import LocalStack, invoke
from mspdesk.runtime import aws_client
from mspdesk.services.sla import SlaMonitor

LOCAL_SENDER = "sla-alerts@mspdesk.localhost"
# Timers a restarted desk arms at once; later ones are armed by the sweep as they come due.
REARM_AHEAD = timedelta(days=2)


def _check(timer: SlaTimer, stage: str) -> str:
    answer = invoke(
        "sla_monitor",
        {
            "sla_check": {
                "number": timer.number,
                "clock": timer.clock,
                "version": timer.version,
                "stage": stage,
            }
        },
    )
    return str(answer["outcome"])


def start_local_timers(stack: LocalStack) -> LocalTimers:
    """Register the local timers for every in-process sla_monitor and start their thread.
    Call it after the stack has started and before anything invokes sla_monitor."""
    os.environ.setdefault("MSPDESK_SLA_SENDER", LOCAL_SENDER)
    aws_client("ses", stack.settings).verify_email_identity(
        EmailAddress=os.environ["MSPDESK_SLA_SENDER"]
    )
    timers = LocalTimers(_check)
    use_local_timers(timers)
    timers.start_thread()
    return timers


def arm_open_tickets(stack: LocalStack, timers: LocalTimers) -> int:
    """Timers for the open tickets of a restored or freshly seeded desk (AP7 ahead of now)."""
    monitor = SlaMonitor(stack.deps, timers)
    return monitor.arm_due_before(stack.deps.clock() + REARM_AHEAD)
