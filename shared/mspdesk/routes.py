"""The event route table: event type -> the functions that consume it.

Written once, read by the CDK app (one EventBridge rule per consumer) and by the local
runtime (in-process delivery), so the two cannot drift apart. A consumer is the name of a
folder under functions/ whose handler takes an EventBridge event.
"""

from __future__ import annotations

from collections.abc import Mapping

# Consumers join as their capability lands: SLA timers (issue 4), triage (issue 5), time
# capture (issue 6), lateral analysis (issue 7). Scheduled functions are not routed here.
ROUTES: Mapping[str, tuple[str, ...]] = {
    # SLA timers follow the ticket's targets; announcements are notified and escalated.
    # Triage reads new tickets, learns from resolved ones and records agents' overrides.
    "TicketCreated": ("sla_monitor", "cti_events", "mail_outbound", "triage"),
    "TicketUpdated": ("sla_monitor", "cti_events", "triage"),
    "ActionAdded": ("sla_monitor", "cti_events", "mail_outbound"),
    "SlaWarning": ("sla_monitor",),
    "SlaBreached": ("sla_monitor",),
    # Phone: lateral analysis, a Problem's updates and resolution, the main-number index.
    "CallEnded": ("cti_events",),
    "CallNoted": ("cti_events",),
    "ClientCreated": ("cti_events",),
    "ClientUpdated": ("cti_events",),
    "SiteCreated": ("cti_events",),
    "SiteUpdated": ("cti_events",),
}


def consumers_of(
    event_type: str, routes: Mapping[str, tuple[str, ...]] = ROUTES
) -> tuple[str, ...]:
    return routes.get(event_type, ())


def event_types_of(consumer: str, routes: Mapping[str, tuple[str, ...]] = ROUTES) -> list[str]:
    """The event types a consumer's EventBridge rule matches."""
    return sorted(t for t, consumers in routes.items() if consumer in consumers)
