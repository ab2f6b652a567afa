"""The entities of DESIGN section 4, as pydantic v2 models.

Each admin-managed entity has a `...Fields` model (what an admin may set, used to validate a
create body and a merged update) and the stored entity adding id, version and timestamps.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

from mspdesk.domain.enums import (
    ActionKind,
    ContractKind,
    PresenceActivity,
    Priority,
    RemoteAccessKind,
    RequestType,
    Role,
    SlaState,
    TicketSource,
    TicketStatus,
    TimerMode,
    TriageMode,
    Visibility,
)

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """Short, URL-safe, unguessable ids with a readable kind prefix."""
    return f"{prefix}_{secrets.token_hex(6)}"


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


def _domain(value: str) -> str:
    value = value.strip().lower().rstrip(".")
    if not _DOMAIN.match(value):
        raise ValueError("not a domain name")
    return value


def _e164(value: str) -> str:
    if not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        raise ValueError("phone numbers are stored in E.164 form, like +441623123456")
    return value


Email = Annotated[str, AfterValidator(_email)]
Domain = Annotated[str, AfterValidator(_domain)]
E164 = Annotated[str, AfterValidator(_e164)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=100_000)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Stored(Model):
    """What every stored entity carries besides its fields."""

    id: Id
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# --- MSP and clients -----------------------------------------------------------------------


class TriageSettings(Model):
    """Per MSP, in the admin settings."""

    mode: TriageMode = TriageMode.AUTO
    # Results at or above it are applied; below it they are shown as a suggestion.
    confidence_threshold: float = Field(default=0.6, ge=0, le=1)
    # "auto" prefers the vector method once this many resolved tickets are indexed.
    min_history: int = Field(default=200, ge=1, le=1_000_000)
    # The Anthropic model; empty: the deployment's default (MSPDESK_ANTHROPIC_MODEL).
    llm_model: str | None = Field(default=None, max_length=100)


class MspSettings(Model):
    name: Name = "Our MSP"
    time_zone: str = "Europe/London"
    phone_region: str = Field(default="GB", min_length=2, max_length=2)
    ticket_token_prefix: str = Field(default="#", max_length=10)
    triage: TriageSettings = Field(default_factory=TriageSettings)
    version: int = 1


class PortalBranding(Model):
    display_name: str | None = Field(default=None, max_length=200)
    logo_url: str | None = Field(default=None, max_length=2000)
    primary_colour: str = "#1f6feb"
    accent_colour: str = "#0d1117"
    # The portal's own host name (support.client.example): the portal brands itself by it.
    host: Domain | None = None

    @field_validator("primary_colour", "accent_colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError("a colour is written #rrggbb")
        return value


class ClientFields(Model):
    name: Name
    email_domains: list[Domain] = Field(default_factory=list, max_length=50)
    main_phone: E164 | None = None
    popup_notes: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=20
    )
    unsupported: bool = False
    auto_create_end_users: bool = True
    branding: PortalBranding = Field(default_factory=PortalBranding)
    active: bool = True


class Client(Stored, ClientFields):
    pass


class SiteFields(Model):
    client_id: Id
    name: Name
    address: str | None = Field(default=None, max_length=1000)
    main_phone: E164 | None = None
    time_zone: str | None = None


class Site(Stored, SiteFields):
    pass


class EndUserFields(Model):
    client_id: Id
    name: Name
    emails: list[Email] = Field(default_factory=list, max_length=20)
    phones: list[E164] = Field(default_factory=list, max_length=20)
    site_id: Id | None = None
    job_title: str | None = Field(default=None, max_length=200)
    vip: bool = False
    unsupported: bool = False
    popup_notes: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=20
    )
    active: bool = True

    @model_validator(mode="after")
    def _dedupe(self) -> Self:
        self.emails = list(dict.fromkeys(self.emails))
        self.phones = list(dict.fromkeys(self.phones))
        return self


class EndUser(Stored, EndUserFields):
    pass


# --- the MSP's people ----------------------------------------------------------------------


class AgentFields(Model):
    name: Name
    email: Email
    role: Role = Role.AGENT
    team_ids: list[Id] = Field(default_factory=list)
    skills: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    active: bool = True
    # Away (leave, off shift): skill-based routing passes them over; they keep their tickets.
    available: bool = True

    @field_validator("role")
    @classmethod
    def _staff_role(cls, role: Role) -> Role:
        if role is Role.END_USER:
            raise ValueError("an agent's role is admin or agent")
        return role


class Agent(Stored, AgentFields):
    pass


class TeamFields(Model):
    name: Name
    email: Email | None = None
    timer_mode: TimerMode = TimerMode.VIEWING
    webhook_url: str | None = Field(default=None, max_length=2000)


class Team(Stored, TeamFields):
    pass


class CategoryFields(Model):
    name: Name
    parent_id: Id | None = None
    default_team_id: Id | None = None


class Category(Stored, CategoryFields):
    pass


# --- contracts, SLA plans, calendars -------------------------------------------------------


class WorkingInterval(Model):
    """A working interval on one weekday; `end` at or before `start` crosses midnight."""

    start: time
    end: time


class CalendarFields(Model):
    name: Name
    time_zone: str = "Europe/London"
    # ISO weekday (1 = Monday .. 7 = Sunday) -> working intervals of that day.
    week: dict[Annotated[int, Field(ge=1, le=7)], list[WorkingInterval]] = Field(
        default_factory=lambda: {
            d: [WorkingInterval(start=time(9), end=time(17, 30))] for d in range(1, 6)
        }
    )
    holidays: list[date] = Field(default_factory=list)
    # A country's public holidays (ISO 3166 code; subdivision such as "ENG") from the
    # `holidays` package, for whatever years a computation touches, besides `holidays`.
    holiday_country: str | None = Field(default=None, pattern="^[A-Z]{2}$")
    holiday_subdivision: str | None = Field(default=None, max_length=10)

    @model_validator(mode="after")
    def _known_holidays(self) -> Self:
        if self.holiday_country is not None:
            import holidays

            supported = holidays.list_supported_countries()
            if self.holiday_country not in supported:
                raise ValueError(f"no public holidays known for {self.holiday_country}")
            subdivision = self.holiday_subdivision
            if subdivision and subdivision not in supported[self.holiday_country]:
                raise ValueError(f"{self.holiday_country} has no subdivision {subdivision}")
        return self

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, time_zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {time_zone!r}") from exc
        return time_zone


class Calendar(Stored, CalendarFields):
    pass


class SlaTarget(Model):
    response_minutes: int = Field(gt=0, le=60 * 24 * 365)
    resolution_minutes: int = Field(gt=0, le=60 * 24 * 365)
    business_hours: bool = True


SlaClockName = Annotated[str, Field(pattern="^(response|resolution)$")]


class SlaEscalation(Model):
    """What a breach does to the ticket, besides the notifications: raise its priority and/or
    reassign it. A rule applies to the clocks and priorities it names (none named: all)."""

    clocks: list[SlaClockName] = Field(default_factory=list)
    priorities: list[Priority] = Field(default_factory=list)
    raise_priority_to: Priority | None = None  # never lowers a ticket's priority
    assign_agent_id: Id | None = None
    assign_team_id: Id | None = None

    @model_validator(mode="after")
    def _does_something(self) -> Self:
        if not (self.raise_priority_to or self.assign_agent_id or self.assign_team_id):
            raise ValueError("an escalation raises the priority or reassigns the ticket")
        return self

    def applies_to(self, clock: str, priority: Priority) -> bool:
        return (not self.clocks or clock in self.clocks) and (
            not self.priorities or priority in self.priorities
        )


class SlaPlanFields(Model):
    name: Name
    targets: dict[Priority, SlaTarget]
    warning_percent: int = Field(default=75, ge=1, le=99)
    pause_statuses: list[TicketStatus] = Field(
        default_factory=lambda: [
            TicketStatus.WAITING_ON_CUSTOMER,
            TicketStatus.WAITING_ON_SUPPLIER,
        ]
    )
    escalations: list[SlaEscalation] = Field(default_factory=list, max_length=20)

    @field_validator("targets")
    @classmethod
    def _every_priority(cls, targets: dict[Priority, SlaTarget]) -> dict[Priority, SlaTarget]:
        missing = [p.value for p in Priority if p not in targets]
        if missing:
            raise ValueError(f"targets missing for {', '.join(missing)}")
        return targets


class SlaPlan(Stored, SlaPlanFields):
    pass


Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class ContractScope(Model):
    """What the contract covers; work outside it is chargeable."""

    category_ids: list[Id] = Field(default_factory=list)  # empty: every category
    work_types: list[str] = Field(default_factory=lambda: ["remote", "phone"])
    covers_out_of_hours: bool = False


class ContractFields(Model):
    client_id: Id
    name: Name
    kind: ContractKind = ContractKind.MANAGED
    starts_on: date
    ends_on: date | None = None
    sla_plan_id: Id
    calendar_id: Id
    allowance_hours: Decimal = Field(default=Decimal(0), ge=0, max_digits=8, decimal_places=2)
    allowance_period: str = Field(default="monthly", pattern="^(monthly|quarterly|block)$")
    rates: dict[str, Money] = Field(default_factory=dict)
    adhoc_rate: Money = Decimal("95.00")
    out_of_hours_uplift_percent: int = Field(default=50, ge=0, le=500)
    rounding_minutes: int = Field(default=15, ge=1, le=240)
    minimum_charge_minutes: int = Field(default=15, ge=0, le=480)
    scope: ContractScope = Field(default_factory=ContractScope)
    # Invoiced every billing period (a "block" allowance: once, in the period it starts).
    fixed_fee: Money = Decimal("0.00")
    # In-scope time is covered without limit (a managed all-inclusive contract).
    allowance_unlimited: bool = False
    # A "block" allowance lasts until then (else until ends_on).
    block_expires_on: date | None = None
    # Work of these types is recorded and never invoiced (internal, goodwill).
    non_billable_work_types: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=lambda: ["internal", "goodwill"]
    )
    currency: str = Field(default="GBP", pattern="^[A-Z]{3}$")

    @field_validator("ends_on")
    @classmethod
    def _dates(cls, ends_on: date | None, info: ValidationInfo) -> date | None:
        starts_on = info.data.get("starts_on")  # absent when starts_on itself was refused
        if ends_on is not None and starts_on is not None and ends_on < starts_on:
            raise ValueError("ends_on is before starts_on")
        return ends_on

    def in_force_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class Contract(Stored, ContractFields):
    pass


# --- assets --------------------------------------------------------------------------------


class RemoteAccess(Model):
    # launch_url is derived: ignore it when a client echoes an asset back.
    model_config = ConfigDict(extra="ignore")

    kind: RemoteAccessKind
    target: str = Field(min_length=1, max_length=500)  # device id, host name or full URL
    label: str | None = Field(default=None, max_length=200)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def launch_url(self) -> str:
        """The link an agent clicks to start a remote session."""
        if self.target.startswith(("http://", "https://", "splashtop://", "rdp://")):
            return self.target
        if self.kind is RemoteAccessKind.SPLASHTOP:
            return f"st-business://com.splashtop.business?account=&uuid={self.target}"
        if self.kind is RemoteAccessKind.TEAMVIEWER:
            return f"teamviewer10://control?device={self.target}"
        if self.kind is RemoteAccessKind.ANYDESK:
            return f"anydesk:{self.target}"
        if self.kind is RemoteAccessKind.RDP:
            return f"rdp://full%20address=s:{self.target}"
        return self.target


class AssetFields(Model):
    client_id: Id
    name: Name
    kind: str = Field(default="workstation", max_length=100)
    end_user_id: Id | None = None
    site_id: Id | None = None
    serial_number: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)
    remote_access: list[RemoteAccess] = Field(default_factory=list, max_length=10)


class Asset(Stored, AssetFields):
    pass


# --- tickets -------------------------------------------------------------------------------


class SlaClock(Model):
    """One SLA clock of a ticket (response or resolution)."""

    state: SlaState
    due_at: datetime | None = None
    warn_at: datetime | None = None
    stopped_at: datetime | None = None
    business_minutes_left: int | None = None
    # Bumped each time the clock's targets move (a priority change, a pause or its end, a
    # reopen): a timer armed for an older version is stale and exits.
    version: int = 1
    # The furthest the clock had got (warning or breached) when it was computed.
    reached: SlaState | None = None
    # How far it had already got when its current version began: announced under the earlier
    # version, so not announced again.
    inherited: SlaState | None = None


class TicketSla(Model):
    plan_id: str | None = None
    response: SlaClock | None = None
    resolution: SlaClock | None = None


class StatusChange(Model):
    status: TicketStatus
    at: datetime


class Ticket(Model):
    number: int
    client_id: Id
    end_user_id: Id | None = None
    subject: Annotated[str, Field(min_length=1, max_length=500)]
    status: TicketStatus = TicketStatus.NEW
    priority: Priority = Priority.P3
    category_id: Id | None = None
    team_id: Id | None = None
    agent_id: Id | None = None
    source: TicketSource = TicketSource.AGENT
    request_type: RequestType = RequestType.INCIDENT
    contract_id: Id | None = None
    sla: TicketSla = Field(default_factory=TicketSla)
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    # Each status the ticket took and when, oldest first: SLA clocks pause on it (section 5).
    status_history: list[StatusChange] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1

    @property
    def queue_sla_state(self) -> SlaState | None:
        """The worst state of the running clocks: what the queue shows and filters on."""
        order = [SlaState.BREACHED, SlaState.WARNING, SlaState.RUNNING, SlaState.PAUSED]
        states = {c.state for c in (self.sla.response, self.sla.resolution) if c is not None}
        for state in order:
            if state in states:
                return state
        return SlaState.MET if states else None

    @property
    def queue_due_at(self) -> datetime | None:
        """The next due instant of a clock still running: the queue's first sort key."""
        dues = [
            c.due_at
            for c in (self.sla.response, self.sla.resolution)
            if c is not None
            and c.due_at is not None
            and c.state is not SlaState.MET
            and c.state is not SlaState.PAUSED
        ]
        return min(dues) if dues else None


class Author(Model):
    kind: str = Field(pattern="^(agent|end_user|system)$")
    id: str | None = None
    name: str | None = None


class Action(Model):
    id: Id
    ticket_number: int
    kind: ActionKind
    visibility: Visibility = Visibility.PUBLIC
    author: Author
    body: Text = ""
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)


class TimeEntry(Model):
    id: Id
    ticket_number: int
    client_id: Id
    agent_id: Id
    started_at: datetime
    minutes: int = Field(gt=0, le=24 * 60)
    work_type: str = Field(default="remote", max_length=50)
    note: str = Field(default="", max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1
    updated_at: datetime | None = None
    # Set when the period it started in was locked (invoice approved): billed in this one.
    billing_period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")
    timer_id: str | None = None


class Presence(Model):
    ticket_number: int
    agent_id: Id
    agent_name: str
    activity: PresenceActivity
    seen_at: datetime
    expires_at: datetime
