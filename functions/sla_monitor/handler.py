"""SLA monitor: one function for the SLA clocks' four kinds of work.

- a Step Functions timer's check at a warning or breach instant (`{"sla_check": {...}}`),
  answered with the timer's next step;
- TicketCreated, TicketUpdated, ActionAdded: start the timers the ticket's clocks need;
- SlaWarning, SlaBreached: notify the assignee or team and apply the plan's escalation;
- anything else (the EventBridge schedule, or `{}` locally): the sweep over AP7.
"""

from __future__ import annotations

from typing import Any

from functions.sla_monitor.settings import SlaSettings
from mspdesk.adapters.notifications import SesEmailSender, WebhookPoster
from mspdesk.adapters.sla_timers import NoTimers, StepFunctionsTimers, TimerPort, local_timers
from mspdesk.config import settings
from mspdesk.observability import logger, metrics
from mspdesk.runtime import aws_client, build_deps
from mspdesk.services.sla import ANNOUNCEMENTS, Announcement, SlaCheck, SlaMonitor, SlaNotifier

TICKET_EVENTS = ("TicketCreated", "TicketUpdated", "ActionAdded")

_services: tuple[SlaMonitor, SlaNotifier] | None = None


def _build() -> tuple[SlaMonitor, SlaNotifier]:
    config = settings()
    sla = SlaSettings()
    deps = build_deps(config)
    timers: TimerPort = local_timers() or NoTimers()
    if local_timers() is None and sla.sla_state_machine_arn:
        timers = StepFunctionsTimers(
            lambda: aws_client("stepfunctions", config), sla.sla_state_machine_arn
        )
    email = (
        SesEmailSender(lambda: aws_client("ses", config), sla.sla_sender)
        if sla.sla_sender
        else None
    )
    chat = WebhookPoster(sla.webhook_timeout_seconds)
    return SlaMonitor(deps, timers), SlaNotifier(deps, email, chat, sla.desk_url)


def _get() -> tuple[SlaMonitor, SlaNotifier]:
    global _services
    if _services is None:
        _services = _build()
    return _services


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    monitor, notifier = _get()
    if "sla_check" in event:
        check = SlaCheck.model_validate(event["sla_check"])
        outcome = monitor.check(check)
        metrics.add_metric(name="SlaChecks", unit="Count", value=1)
        logger.info(
            "sla check",
            number=check.number,
            clock=check.clock,
            sla_version=check.version,
            stage=check.stage,
            outcome=outcome,
        )
        return {"outcome": outcome}
    kind = event.get("detail-type")
    detail = event.get("detail") or {}
    if detail.get("client_id"):
        logger.append_keys(client_id=detail["client_id"])
    if kind in ANNOUNCEMENTS:
        announced = Announcement.model_validate(detail)
        result = notifier.notify(announced)
        metrics.add_metric(name=str(kind), unit="Count", value=1)
        logger.info(
            "sla notification",
            number=announced.number,
            clock=announced.clock,
            level=announced.level,
            emailed=len(result.emailed),
            posted=result.posted,
            escalated=bool(result.escalated),
        )
        return {
            "emailed": len(result.emailed),
            "posted": result.posted,
            "escalated": result.escalated,
            "recorded": result.recorded,
        }
    if kind in TICKET_EVENTS:
        started = monitor.arm(int(detail["number"]))
        metrics.add_metric(name="SlaTimersStarted", unit="Count", value=started)
        return {"timers_started": started}
    swept = monitor.sweep()
    metrics.add_metric(name="SlaTicketsChanged", unit="Count", value=swept.changed)
    metrics.add_metric(name="SlaAnnouncedBySweep", unit="Count", value=swept.announced)
    metrics.add_metric(name="SlaTimersRestarted", unit="Count", value=swept.timers_started)
    logger.info(
        "sla sweep",
        examined=swept.examined,
        changed=swept.changed,
        announced=swept.announced,
        timers_started=swept.timers_started,
    )
    return {
        "examined": swept.examined,
        "changed": swept.changed,
        "announced": swept.announced,
        "timers_started": swept.timers_started,
    }
