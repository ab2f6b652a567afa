from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    END_USER = "end-user"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    WAITING_ON_SUPPLIER = "waiting_on_supplier"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """Open tickets sit in the queue; resolved and closed ones do not."""
        return self not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class SlaState(StrEnum):
    RUNNING = "running"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    PAUSED = "paused"


class TicketSource(StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    PHONE = "phone"
    AGENT = "agent"


class RequestType(StrEnum):
    """ITIL's kinds of request: routing rules and reports tell them apart."""

    INCIDENT = "incident"  # something is broken
    SERVICE_REQUEST = "service_request"  # something is wanted (a new starter, a licence)
    CHANGE = "change"
    QUESTION = "question"


class TriageMode(StrEnum):
    """How new tickets are triaged (DESIGN section 7)."""

    AUTO = "auto"  # vector once the index has enough history; else LLM if keyed; else vector
    VECTOR = "vector"
    LLM = "llm"


class ActionKind(StrEnum):
    NOTE = "note"
    EMAIL_IN = "email_in"
    EMAIL_OUT = "email_out"
    CALL = "call"
    STATUS_CHANGE = "status_change"
    FIELD_CHANGE = "field_change"
    # An SLA warning or breach announced to people (email, team webhook), or an escalation.
    SLA_NOTIFICATION = "sla_notification"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class ContractKind(StrEnum):
    MANAGED = "managed"
    PREPAID_BLOCK = "prepaid_block"
    TIME_AND_MATERIALS = "time_and_materials"


class TimerMode(StrEnum):
    VIEWING = "viewing"
    DOING = "doing"


class PresenceActivity(StrEnum):
    VIEWING = "viewing"
    REPLYING = "replying"
    EDITING = "editing"


class RemoteAccessKind(StrEnum):
    SPLASHTOP = "splashtop"
    TEAMVIEWER = "teamviewer"
    RDP = "rdp"
    ANYDESK = "anydesk"
    OTHER = "other"
