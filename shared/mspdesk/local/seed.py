"""Demo data for the local stack (DESIGN section 9): the MSP "Bluefin IT", its clients, their
people, contracts and assets, its agents and teams, and a history of resolved tickets, so every
screen and the k-NN triage have something to work on at once.

Everything is planned first by pure, deterministic functions of a fixed random seed and the
clock's `now` (`calendar_fields`, `plan_history`, `plan_open_tickets`), then written:

- reference data through AdminService with the system scope, so validation, phone
  normalisation, referential checks and the sign-in lookup items all run;
- the open tickets through TicketService (with a clock moved back in time), so their events,
  actions and SLA clocks are real; the SLA sweep then brings their stored state to `now`;
- the demo ticket on the two-minute P1 plan, unanswered, so it warns and breaches while you
  watch (the local SLA sweep runs every 20 s);
- last, the resolved history straight into the store with BatchWriteItem under ticket numbers
  reserved from the atomic counter: moto deep-copies the whole table for every item of a
  TransactWriteItems call, so 500 `create_ticket` transactions would take minutes locally
  (and everything transactional above is done first, while the table is small).
"""

from __future__ import annotations

import hashlib
import importlib
import math
import random
import time as timer
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from mspdesk.domain.calendar import add_business_minutes
from mspdesk.domain.enums import (
    ActionKind,
    ContractKind,
    Priority,
    RemoteAccessKind,
    Role,
    TicketSource,
    TicketStatus,
    TimerMode,
    Visibility,
)
from mspdesk.domain.models import (
    Action,
    Author,
    CalendarFields,
    MspSettings,
    SlaPlan,
    SlaPlanFields,
    SlaTarget,
    StatusChange,
    Ticket,
    WorkingInterval,
)
from mspdesk.domain.scope import Scope
from mspdesk.domain.sla import compute_sla
from mspdesk.services.admin import BY_KIND, AdminService, Managed
from mspdesk.services.deps import Deps
from mspdesk.services.sla import SlaSweeper
from mspdesk.services.tickets import ActionInput, TicketInput, TicketPatch, TicketService
from mspdesk.store import entities as kinds

SEED = 20_260_301
ZONE = ZoneInfo("Europe/London")
MSP_NAME = "Bluefin IT"
MSP_DOMAIN = "bluefin-it.example"
ADMIN_EMAIL = f"sarah.m@{MSP_DOMAIN}"
HISTORY_DAYS = 182
HISTORY_TICKETS = 520
_BATCH = 25  # BatchWriteItem's limit


# --- UK bank holidays ------------------------------------------------------------------------

# England and Wales, as published on gov.uk; other years follow the usual rules below.
_BANK_HOLIDAYS: dict[int, tuple[str, ...]] = {
    2025: ("01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"),
    2026: ("01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"),
    2027: ("01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"),
    2028: ("01-03", "04-14", "04-17", "05-01", "05-29", "08-28", "12-25", "12-26"),
}


def _easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def bank_holidays_by_rule(year: int) -> list[date]:
    """England and Wales bank holidays by the standing rules (no one-off royal occasions)."""
    easter = _easter(year)
    new_year = date(year, 1, 1)
    if new_year.weekday() >= 5:
        new_year = _monday_on_or_after(new_year)
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday instead
        christmas, boxing = date(year, 12, 27), date(year, 12, 28)
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday, Christmas on Tuesday
        christmas = date(year, 12, 27)
    elif christmas.weekday() == 4:  # Friday: Boxing Day moves to Monday
        boxing = date(year, 12, 28)
    return sorted(
        {
            new_year,
            easter - timedelta(days=2),
            easter + timedelta(days=1),
            _monday_on_or_after(date(year, 5, 1)),
            _last_monday(year, 5),
            _last_monday(year, 8),
            christmas,
            boxing,
        }
    )


def uk_bank_holidays(year: int) -> list[date]:
    """The `holidays` package when it is installed; otherwise the list above or the rules."""
    try:
        package: Any = importlib.import_module("holidays")
    except ImportError:
        package = None
    if package is not None:
        found = package.country_holidays("GB", subdiv="ENG", years=year)
        # The package also lists a holiday that falls on a weekend; weekends are off anyway.
        return sorted(d for d in found if isinstance(d, date) and d.weekday() < 5)
    if year in _BANK_HOLIDAYS:
        return [date.fromisoformat(f"{year}-{md}") for md in _BANK_HOLIDAYS[year]]
    return bank_holidays_by_rule(year)


# --- reference data: the specs -----------------------------------------------------------------


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str
    mailbox: str
    timer_mode: TimerMode


@dataclass(frozen=True)
class AgentSpec:
    key: str
    name: str
    local: str  # the part of the address before @bluefin-it.example
    teams: tuple[str, ...]
    skills: tuple[str, ...]
    role: Role = Role.AGENT

    @property
    def email(self) -> str:
        return f"{self.local}@{MSP_DOMAIN}"


@dataclass(frozen=True)
class CategorySpec:
    key: str
    name: str
    team: str
    parent: str | None = None


@dataclass(frozen=True)
class SiteSpec:
    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class PersonSpec:
    key: str
    name: str
    job_title: str
    phones: tuple[str, ...]  # national format, as people type them; the admin service normalises
    site: int = 0
    vip: bool = False
    popup: tuple[str, ...] = ()
    unsupported: bool = False

    @property
    def first(self) -> str:
        return self.name.split()[-2] if self.name.startswith("Dr ") else self.name.split()[0]


@dataclass(frozen=True)
class ContractSpec:
    name: str
    kind: ContractKind
    plan: str
    calendar: str
    started_days_ago: int
    ends_in_days: int | None  # negative: ended that many days ago
    allowance_hours: Decimal = Decimal(0)
    allowance_period: str = "monthly"
    rate: Decimal = Decimal("85.00")
    adhoc_rate: Decimal = Decimal("110.00")
    work_types: tuple[str, ...] = ("remote", "phone")
    covers_out_of_hours: bool = False
    excluded_categories: tuple[str, ...] = ()

    def dates(self, today: date) -> tuple[date, date | None]:
        starts = today - timedelta(days=self.started_days_ago)
        ends = None if self.ends_in_days is None else today + timedelta(days=self.ends_in_days)
        return starts, ends


@dataclass(frozen=True)
class ClientSpec:
    key: str
    name: str
    prefix: str  # asset names
    domains: tuple[str, ...]
    phone: str
    display_name: str
    colours: tuple[str, str]
    sites: tuple[SiteSpec, ...]
    people: tuple[PersonSpec, ...]
    contracts: tuple[ContractSpec, ...]
    apps: tuple[str, ...]  # line-of-business software, for ticket wording
    remote_tool: RemoteAccessKind
    volume: float  # share of the ticket history
    popup: tuple[str, ...] = ()
    unsupported: bool = False

    @property
    def server(self) -> str:
        return f"{self.prefix}-SRV-01"

    def email_of(self, person: PersonSpec) -> str:
        local = person.name.removeprefix("Dr ").lower().replace(" ", ".").replace("'", "")
        return f"{local}@{self.domains[0]}"


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("service_desk", "Service Desk", "servicedesk", TimerMode.VIEWING),
    TeamSpec("infrastructure", "Infrastructure", "infrastructure", TimerMode.DOING),
    TeamSpec("projects", "Projects", "projects", TimerMode.DOING),
)

AGENTS: tuple[AgentSpec, ...] = (
    AgentSpec(
        "sarah",
        "Sarah Mitchell",
        "sarah.m",
        ("service_desk", "projects"),
        ("service management", "microsoft 365", "onboarding", "escalations"),
        Role.ADMIN,
    ),
    AgentSpec(
        "tom",
        "Tom Okafor",
        "tom.o",
        ("service_desk",),
        ("windows", "printers", "hardware", "scanning"),
    ),
    AgentSpec(
        "priya",
        "Priya Shah",
        "priya.s",
        ("service_desk",),
        ("outlook", "exchange online", "microsoft 365", "mfa", "teams", "onedrive"),
    ),
    AgentSpec(
        "jake",
        "Jake Morris",
        "jake.m",
        ("service_desk",),
        ("hardware", "windows", "line-of-business apps", "printers", "office"),
    ),
    AgentSpec(
        "aisha",
        "Aisha Rahman",
        "aisha.r",
        ("infrastructure",),
        ("networking", "fortigate", "vpn", "wi-fi", "broadband"),
    ),
    AgentSpec(
        "dan",
        "Dan Whitfield",
        "dan.w",
        ("infrastructure",),
        ("windows server", "veeam", "backup", "azure", "file shares", "line-of-business apps"),
    ),
    AgentSpec(
        "megan",
        "Megan Lloyd",
        "megan.l",
        ("infrastructure", "service_desk"),
        ("security", "defender", "phishing", "mfa", "exchange online"),
    ),
    AgentSpec(
        "chris",
        "Chris Evans",
        "chris.e",
        ("projects",),
        ("migrations", "sharepoint", "onboarding", "windows 11", "networking"),
    ),
    AgentSpec(
        "ollie",
        "Ollie Grant",
        "ollie.g",
        ("projects", "service_desk"),
        ("3cx", "telephony", "hardware", "onboarding", "teams"),
    ),
)

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("hardware", "Hardware", "service_desk"),
    CategorySpec("access", "Access & accounts", "service_desk"),
    CategorySpec("starters", "New starters & leavers", "service_desk", parent="access"),
    CategorySpec("email", "Email", "service_desk"),
    CategorySpec("network", "Network & VPN", "infrastructure"),
    CategorySpec("printing", "Printing & scanning", "service_desk"),
    CategorySpec("software", "Software", "service_desk"),
    CategorySpec("backup", "Backup & recovery", "infrastructure"),
    CategorySpec("security", "Security", "infrastructure"),
    CategorySpec("servers", "Servers", "infrastructure"),
    CategorySpec("telephony", "Telephony", "service_desk"),
    CategorySpec("projects", "Projects & changes", "projects"),
)

# Numbers come from Ofcom's ranges reserved for drama, so none of them rings anyone.
CLIENTS: tuple[ClientSpec, ...] = (
    ClientSpec(
        key="harbour",
        name="Harbour Law LLP",
        prefix="HL",
        domains=("harbourlaw.example",),
        phone="0115 496 0100",
        display_name="Harbour Law IT Support",
        colours=("#0b3d5c", "#c9a227"),
        sites=(
            SiteSpec("Nottingham office", "12 Wharf Street, Nottingham NG1 7AB", "0115 496 0100"),
            SiteSpec("Leicester office", "3 Granby Place, Leicester LE1 6FA", "0116 496 0300"),
        ),
        people=(
            PersonSpec(
                "harbour.james",
                "James Harbour",
                "Managing Partner",
                ("0115 496 0101", "07700 900101"),
                vip=True,
                popup=("Prefers a phone call to an email; his PA is Sophie Turner.",),
            ),
            PersonSpec(
                "harbour.eleanor",
                "Eleanor Price",
                "Partner, Property",
                ("0115 496 0102",),
                vip=True,
            ),
            PersonSpec("harbour.sophie", "Sophie Turner", "PA to the Partners", ("0115 496 0103",)),
            PersonSpec("harbour.marcus", "Marcus Bell", "Solicitor", ("0116 496 0304",), site=1),
            PersonSpec("harbour.hannah", "Hannah Cole", "Practice Manager", ("0115 496 0105",)),
        ),
        contracts=(
            ContractSpec(
                "Managed Silver 2024",
                ContractKind.MANAGED,
                plan="silver",
                calendar="business",
                started_days_ago=820,
                ends_in_days=-96,
                allowance_hours=Decimal(15),
            ),
            ContractSpec(
                "Managed Gold",
                ContractKind.MANAGED,
                plan="gold",
                calendar="business",
                started_days_ago=95,
                ends_in_days=270,
                allowance_hours=Decimal(20),
                rate=Decimal("90.00"),
                adhoc_rate=Decimal("120.00"),
                work_types=("remote", "phone", "onsite"),
            ),
        ),
        apps=("iManage", "Clio", "LEAP"),
        remote_tool=RemoteAccessKind.SPLASHTOP,
        volume=1.3,
        popup=("Partners' PCs: never restart them in office hours without asking their PA.",),
    ),
    ClientSpec(
        key="brightsmile",
        name="Brightsmile Dental Group",
        prefix="BS",
        domains=("brightsmiledental.example", "brightsmile.example"),
        phone="0114 496 0200",
        display_name="Brightsmile IT Help",
        colours=("#00a19a", "#f5f7fa"),
        sites=(
            SiteSpec("Sheffield practice", "88 Ecclesall Road, Sheffield S11 8HW", "0114 496 0200"),
            SiteSpec("Leeds practice", "5 Park Row, Leeds LS1 5HD", "0113 496 0210"),
            SiteSpec("Manchester practice", "40 Deansgate, Manchester M3 2EG", "0161 496 0220"),
        ),
        people=(
            PersonSpec(
                "brightsmile.anita",
                "Dr Anita Kapoor",
                "Clinical Director",
                ("0114 496 0201", "07700 900201"),
                vip=True,
            ),
            PersonSpec(
                "brightsmile.rebecca",
                "Rebecca Hughes",
                "Practice Manager, Sheffield",
                ("0114 496 0202",),
            ),
            PersonSpec(
                "brightsmile.liam", "Liam Doyle", "Receptionist, Leeds", ("0113 496 0211",), site=1
            ),
            PersonSpec(
                "brightsmile.grace",
                "Grace Whitaker",
                "Senior Dental Nurse, Manchester",
                ("0161 496 0221",),
                site=2,
                popup=("Hard of hearing: prefers email or the portal to phone calls.",),
            ),
            PersonSpec(
                "brightsmile.ben",
                "Ben Carter",
                "Practice Manager, Manchester",
                ("0161 496 0222",),
                site=2,
            ),
        ),
        contracts=(
            ContractSpec(
                "Managed Silver",
                ContractKind.MANAGED,
                plan="silver",
                calendar="business",
                started_days_ago=640,
                ends_in_days=90,
                allowance_hours=Decimal(30),
                work_types=("remote", "phone", "onsite"),
            ),
        ),
        apps=("Dentally", "SOE Exact"),
        remote_tool=RemoteAccessKind.TEAMVIEWER,
        volume=1.2,
        popup=("Surgeries run 08:00-18:00: no reboots of surgery PCs during clinics.",),
    ),
    ClientSpec(
        key="calder",
        name="Calder & Finch Accountants",
        prefix="CF",
        domains=("calderfinch.example",),
        phone="0113 496 0400",
        display_name="Calder & Finch Support",
        colours=("#4b2e83", "#e8e3f3"),
        sites=(SiteSpec("Leeds office", "21 Wellington Street, Leeds LS1 4DL", "0113 496 0400"),),
        people=(
            PersonSpec(
                "calder.robert",
                "Robert Finch",
                "Senior Partner",
                ("0113 496 0401", "07700 900401"),
                vip=True,
            ),
            PersonSpec("calder.claire", "Claire Calder", "Partner", ("0113 496 0402",)),
            PersonSpec(
                "calder.nadia",
                "Nadia Hussain",
                "Payroll Manager",
                ("0113 496 0403",),
                popup=("Payroll runs on the 25th: treat anything affecting IRIS as urgent.",),
            ),
            PersonSpec("calder.owen", "Owen Price", "Trainee Accountant", ("0113 496 0404",)),
        ),
        contracts=(
            ContractSpec(
                "Prepaid support block (40 h)",
                ContractKind.PREPAID_BLOCK,
                plan="bronze",
                calendar="business",
                started_days_ago=300,
                ends_in_days=65,
                allowance_hours=Decimal(40),
                allowance_period="block",
            ),
        ),
        apps=("IRIS", "Xero", "CCH Central"),
        remote_tool=RemoteAccessKind.SPLASHTOP,
        volume=0.9,
    ),
    ClientSpec(
        key="pennine",
        name="Pennine Precision Engineering Ltd",
        prefix="PP",
        domains=("pennineprecision.example",),
        phone="0161 496 0500",
        display_name="Pennine Precision IT",
        colours=("#b23a1d", "#2b2b2b"),
        sites=(
            SiteSpec(
                "Works and offices",
                "Unit 7, Moss Lane Industrial Estate, Manchester M17 1PP",
                "0161 496 0500",
            ),
            SiteSpec(
                "Warehouse",
                "Unit 9, Moss Lane Industrial Estate, Manchester M17 1PP",
                "0161 496 0510",
            ),
        ),
        people=(
            PersonSpec(
                "pennine.david",
                "David Hartley",
                "Managing Director",
                ("0161 496 0501", "07700 900501"),
                vip=True,
            ),
            PersonSpec(
                "pennine.karen", "Karen Moss", "Finance Director", ("0161 496 0502",), vip=True
            ),
            PersonSpec(
                "pennine.steve",
                "Steve Ackroyd",
                "Production Manager",
                ("0161 496 0503", "07700 900503"),
                popup=("Runs the night shift: call his mobile for anything on the shop floor.",),
            ),
            PersonSpec("pennine.jo", "Jo Simmons", "Office Manager", ("0161 496 0504",)),
            PersonSpec("pennine.paul", "Paul Brennan", "CAD Engineer", ("0161 496 0511",), site=1),
        ),
        contracts=(
            ContractSpec(
                "Managed 24x7 (demo two-minute P1)",
                ContractKind.MANAGED,
                plan="demo",
                calendar="24x7",
                started_days_ago=410,
                ends_in_days=None,
                allowance_hours=Decimal(25),
                rate=Decimal("95.00"),
                work_types=("remote", "phone", "onsite"),
                covers_out_of_hours=True,
            ),
        ),
        apps=("Epicor", "SolidWorks"),
        remote_tool=RemoteAccessKind.RDP,
        volume=1.0,
    ),
    ClientSpec(
        key="oakfield",
        name="Oakfield Community Trust",
        prefix="OT",
        domains=("oakfieldtrust.example",),
        phone="0117 496 0600",
        display_name="Oakfield Trust Helpdesk",
        colours=("#2e7d32", "#fdf6e3"),
        sites=(SiteSpec("Community centre", "1 Oakfield Road, Bristol BS8 2AA", "0117 496 0600"),),
        people=(
            PersonSpec(
                "oakfield.margaret",
                "Margaret Ellis",
                "Chief Executive",
                ("0117 496 0601",),
                vip=True,
            ),
            PersonSpec("oakfield.tariq", "Tariq Mahmood", "Operations Manager", ("0117 496 0602",)),
            PersonSpec(
                "oakfield.lucy", "Lucy Fairbairn", "Fundraising Officer", ("0117 496 0603",)
            ),
            PersonSpec(
                "oakfield.pete",
                "Pete Rowlands",
                "Volunteer",
                ("07700 900604",),
                unsupported=True,
                popup=("Volunteer on his own laptop: not covered. Refer requests to Tariq.",),
            ),
        ),
        contracts=(
            ContractSpec(
                "Time and materials (charity rate)",
                ContractKind.TIME_AND_MATERIALS,
                plan="bronze",
                calendar="business",
                started_days_ago=900,
                ends_in_days=None,
                rate=Decimal("65.00"),
                adhoc_rate=Decimal("65.00"),
            ),
        ),
        apps=("Beacon CRM", "Sage 50"),
        remote_tool=RemoteAccessKind.TEAMVIEWER,
        volume=0.7,
    ),
    ClientSpec(
        key="riverside",
        name="Riverside Academy",
        prefix="RA",
        domains=("riversideacademy.example",),
        phone="0121 496 0700",
        display_name="Riverside Academy IT",
        colours=("#1565c0", "#ffd54f"),
        sites=(
            SiteSpec("Main school", "Riverside Way, Birmingham B12 0QQ", "0121 496 0700"),
            SiteSpec("Sports hall", "Riverside Way, Birmingham B12 0QQ", "0121 496 0710"),
        ),
        people=(
            PersonSpec(
                "riverside.helen", "Helen Brooks", "Head Teacher", ("0121 496 0701",), vip=True
            ),
            PersonSpec(
                "riverside.mark", "Mark Jennings", "School Business Manager", ("0121 496 0702",)
            ),
            PersonSpec("riverside.amy", "Amy Clarke", "Year 6 Teacher", ("0121 496 0703",)),
            PersonSpec("riverside.sam", "Sam Patel", "IT Technician", ("0121 496 0704",)),
            PersonSpec("riverside.fiona", "Fiona Walsh", "Office Manager", ("0121 496 0705",)),
        ),
        contracts=(
            ContractSpec(
                "Managed Silver (projects excluded)",
                ContractKind.MANAGED,
                plan="silver",
                calendar="business",
                started_days_ago=450,
                ends_in_days=280,
                allowance_hours=Decimal(24),
                rate=Decimal("80.00"),
                excluded_categories=("projects",),
            ),
        ),
        apps=("Arbor", "CPOMS"),
        remote_tool=RemoteAccessKind.RDP,
        volume=1.1,
        popup=(
            "Safeguarding: never start a remote session on a classroom PC during lessons "
            "without the teacher's consent.",
        ),
    ),
    ClientSpec(
        key="greystone",
        name="Greystone Lettings",
        prefix="GL",
        domains=("greystonelettings.example",),
        phone="020 7946 0800",
        display_name="Greystone Lettings Support",
        colours=("#37474f", "#eceff1"),
        sites=(SiteSpec("Head office", "14 Camden High Street, London NW1 0JH", "020 7946 0800"),),
        people=(
            PersonSpec("greystone.victor", "Victor Grey", "Director", ("020 7946 0801",), vip=True),
            PersonSpec("greystone.nina", "Nina Lopez", "Lettings Negotiator", ("020 7946 0802",)),
        ),
        contracts=(
            ContractSpec(
                "Time and materials",
                ContractKind.TIME_AND_MATERIALS,
                plan="bronze",
                calendar="business",
                started_days_ago=700,
                ends_in_days=None,
                rate=Decimal("95.00"),
            ),
        ),
        apps=("Reapit",),
        remote_tool=RemoteAccessKind.SPLASHTOP,
        volume=0.4,
        popup=(
            "ACCOUNT ON STOP (unpaid invoices): log the call, but do no work without "
            "approval from Sarah Mitchell.",
        ),
        unsupported=True,
    ),
)


def _calendar_minutes(response: int, resolution: int) -> SlaTarget:
    return SlaTarget(response_minutes=response, resolution_minutes=resolution, business_hours=False)


def _business_minutes(response: int, resolution: int) -> SlaTarget:
    return SlaTarget(response_minutes=response, resolution_minutes=resolution)


_DAY = 9 * 60  # one working day of the business-hours calendar
SLA_PLANS: dict[str, SlaPlanFields] = {
    "gold": SlaPlanFields(
        name="Gold",
        targets={
            Priority.P1: _calendar_minutes(15, 4 * 60),
            Priority.P2: _business_minutes(60, _DAY),
            Priority.P3: _business_minutes(4 * 60, 3 * _DAY),
            Priority.P4: _business_minutes(_DAY, 5 * _DAY),
        },
    ),
    "silver": SlaPlanFields(
        name="Silver",
        targets={
            Priority.P1: _calendar_minutes(30, 8 * 60),
            Priority.P2: _business_minutes(2 * 60, 2 * _DAY),
            Priority.P3: _business_minutes(_DAY, 5 * _DAY),
            Priority.P4: _business_minutes(2 * _DAY, 10 * _DAY),
        },
    ),
    "bronze": SlaPlanFields(
        name="Bronze",
        targets={
            Priority.P1: _business_minutes(60, 2 * _DAY),
            Priority.P2: _business_minutes(4 * 60, 3 * _DAY),
            Priority.P3: _business_minutes(2 * _DAY, 10 * _DAY),
            Priority.P4: _business_minutes(3 * _DAY, 20 * _DAY),
        },
        warning_percent=80,
    ),
    "demo": SlaPlanFields(
        name="Demo: two-minute P1 (calendar hours)",
        targets={
            Priority.P1: _calendar_minutes(2, 30),
            Priority.P2: _calendar_minutes(60, 8 * 60),
            Priority.P3: _business_minutes(4 * 60, 3 * _DAY),
            Priority.P4: _business_minutes(_DAY, 5 * _DAY),
        },
    ),
}


def calendar_fields(today: date) -> dict[str, CalendarFields]:
    """The three calendars; bank holidays of last, this and next year (the history needs last
    year's Christmas)."""
    holidays = [d for year in (-1, 0, 1) for d in uk_bank_holidays(today.year + year)]

    def span(start: time, end: time) -> list[WorkingInterval]:
        return [WorkingInterval(start=start, end=end)]

    midnight = time(0)
    return {
        "business": CalendarFields(
            name="UK business hours (Mon-Fri 08:30-17:30)",
            week={d: span(time(8, 30), time(17, 30)) for d in range(1, 6)},
            holidays=holidays,
        ),
        "24x7": CalendarFields(
            name="24x7", week={d: span(midnight, midnight) for d in range(1, 8)}
        ),
        # Every hour outside the business day: weeknights cross midnight, weekends are whole.
        "out_of_hours": CalendarFields(
            name="Out of hours (weeknights 17:30-08:30, weekends)",
            week={
                1: [
                    WorkingInterval(start=midnight, end=time(8, 30)),
                    WorkingInterval(start=time(17, 30), end=time(8, 30)),
                ],
                2: span(time(17, 30), time(8, 30)),
                3: span(time(17, 30), time(8, 30)),
                4: span(time(17, 30), time(8, 30)),
                5: span(time(17, 30), midnight),
                6: span(midnight, midnight),
                7: span(midnight, midnight),
            },
        ),
    }


# --- the ticket history: templates of recurring problems --------------------------------------


@dataclass(frozen=True)
class Template:
    key: str
    category: str
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    reply: str
    note: str
    skills: tuple[str, ...]
    priorities: tuple[int, int, int, int]  # weights of P1..P4
    resolve: tuple[int, int]  # working minutes, sampled log-uniformly
    weight: float = 1.0
    monitoring: bool = False  # raised by a monitoring system, not by a person


TEMPLATES: tuple[Template, ...] = (
    # Email
    Template(
        "outlook_password",
        "email",
        (
            "Outlook keeps asking for password",
            "Outlook password prompt won't go away",
            "Keep getting asked to sign in to Outlook",
            "Outlook constantly prompting for my credentials",
            "Password box keeps popping up in Outlook",
        ),
        (
            "Since this morning Outlook keeps asking me for my password. I type it in and the "
            "box comes back a few minutes later. Webmail works fine.",
            "Every time I open Outlook it asks me to sign in again. I've entered my password "
            "several times but the prompt keeps returning and new emails aren't coming in.",
            "Outlook on my {device} keeps popping up a Microsoft sign-in window. Teams is fine.",
        ),
        "Hi {first}, I've cleared the cached sign-in on your {device} and re-registered "
        "Outlook with Microsoft 365. Please restart Outlook and let me know if it asks again.",
        "Stale token in Credential Manager; removed it and reset the AAD broker plugin. Modern "
        "auth fine after a restart.",
        ("outlook", "microsoft 365", "exchange online"),
        (0, 2, 8, 1),
        (20, 240),
        weight=2.2,
    ),
    Template(
        "mailbox_full",
        "email",
        (
            "Mailbox full - can't send emails",
            "Getting 'mailbox almost full' warnings",
            "Email says my mailbox is over its size limit",
            "Can't send - mailbox quota exceeded",
        ),
        (
            "I'm getting a message that my mailbox is full and my emails are bouncing back.",
            "Outlook says my mailbox is almost full. Can it be made bigger? I need to keep "
            "everything for compliance.",
        ),
        "Hi {first}, I've enabled the online archive on your mailbox and started the archive "
        "policy; you can send again now and older mail will move to 'In-Place Archive'.",
        "Mailbox at 49.5 GB of 50 GB. Enabled archive and a 2-year retention tag.",
        ("exchange online", "outlook"),
        (0, 3, 6, 1),
        (30, 480),
    ),
    Template(
        "shared_mailbox",
        "email",
        (
            "Need access to the {mailbox} shared mailbox",
            "Please add me to the {mailbox}@ mailbox",
            "Shared mailbox {mailbox} not showing in Outlook",
            "Can't see the {mailbox} inbox any more",
        ),
        (
            "Could you give me access to the {mailbox} shared mailbox please? I'm covering for "
            "a colleague from next week.",
            "The {mailbox} shared mailbox has disappeared from my Outlook folder list.",
        ),
        "Hi {first}, you now have full access and send-as on the {mailbox} mailbox. It appears "
        "in Outlook after a restart (allow up to an hour).",
        "Granted FullAccess + SendAs; automapping on.",
        ("exchange online", "microsoft 365"),
        (0, 0, 5, 5),
        (30, 600),
    ),
    Template(
        "junk_quarantine",
        "email",
        (
            "Emails from {supplier} going to junk",
            "Not receiving emails from a client",
            "Important email stuck in quarantine",
            "Customer says their emails to us bounce",
        ),
        (
            "We're not getting emails from {supplier}; they say they've sent several this week.",
            "A client's emails keep landing in junk or not arriving at all. Can you check?",
        ),
        "Hi {first}, the messages were held by the spam filter. I've released them and added "
        "{supplier} to the allowed senders, so it shouldn't happen again.",
        "Sender failed DMARC (their SPF record is missing a relay). Released from quarantine, "
        "added a tenant allow entry, told the sender's IT.",
        ("exchange online", "security"),
        (0, 3, 6, 1),
        (30, 480),
    ),
    # Access
    Template(
        "locked_out",
        "access",
        (
            "Locked out of my account",
            "Password expired and can't log in",
            "Account locked after too many attempts",
            "Can't log in to my PC - says account is locked",
            "Forgotten my password",
        ),
        (
            "I can't log in this morning - it says my account is locked. Can you unlock it?",
            "My password expired over the weekend and now I can't get into my {device}.",
        ),
        "Hi {first}, your account is unlocked and I've set a temporary password by phone. "
        "You'll be asked to choose a new one at sign-in.",
        "Lockout source was an old phone with the previous password; removed the mail profile.",
        ("microsoft 365", "windows", "mfa"),
        (0, 5, 5, 0),
        (10, 60),
        weight=2.0,
    ),
    Template(
        "mfa_phone",
        "access",
        (
            "New phone - need MFA moved to Authenticator",
            "Not getting the MFA code",
            "Authenticator app not prompting after phone upgrade",
            "Can't approve sign-in - lost my phone",
        ),
        (
            "I've got a new phone and the Authenticator app doesn't have my work account. "
            "Now I can't sign in to email.",
            "The sign-in keeps asking for a code but my phone isn't getting any notification.",
        ),
        "Hi {first}, I've reset your MFA methods; at your next sign-in you'll be asked to set "
        "up Microsoft Authenticator again - it takes two minutes.",
        "Required re-registration of MFA after identity check by phone (call-back on the "
        "number we hold).",
        ("mfa", "microsoft 365", "security"),
        (0, 4, 5, 0),
        (10, 120),
    ),
    Template(
        "folder_access",
        "access",
        (
            "Need access to the {folder} folder on the shared drive",
            "Access denied to {folder} in SharePoint",
            "Please give me permission to the {folder} folder",
        ),
        (
            "I get 'access denied' when I open {folder}. My manager has approved access.",
            "Could I have edit access to the {folder} folder please? I'm taking over from a "
            "colleague.",
        ),
        "Hi {first}, I've added you to the {folder} group, so you'll have access after signing "
        "out and back in.",
        "Added to the security group (approval from the manager recorded on the ticket).",
        ("file shares", "sharepoint", "microsoft 365"),
        (0, 0, 6, 4),
        (30, 960),
    ),
    Template(
        "new_starter",
        "starters",
        (
            "New starter needs accounts",
            "New starter {starter} - starting {weekday}",
            "Please set up accounts for new starter {starter}",
            "New employee starting next week - {starter}",
        ),
        (
            "{starter} joins us on {weekday} as an administrator. They'll need email, Teams, "
            "access to {app} and a laptop please.",
            "We have a new starter, {starter}, starting soon. Same access as the rest of the "
            "team please, plus a {device}.",
        ),
        "Hi {first}, {starter}'s account, mailbox and {app} access are ready and the {device} "
        "is built. Their first-day sign-in details are with you by phone.",
        "Account created from the team template; licence assigned; device enrolled in Intune.",
        ("onboarding", "microsoft 365"),
        (0, 0, 7, 3),
        (240, 2700),
        weight=1.4,
    ),
    Template(
        "leaver",
        "starters",
        (
            "Leaver: {starter} - please disable account",
            "Staff member leaving Friday - remove access",
            "{starter} has left - please close their accounts",
        ),
        (
            "{starter} leaves on Friday. Please disable their account at 5 pm and forward their "
            "email to their manager.",
            "{starter} has left the company. Please remove all access and convert their mailbox.",
        ),
        "Hi {first}, {starter}'s account is disabled, sessions revoked and their mailbox "
        "converted to a shared mailbox for their manager.",
        "Leaver checklist done: disabled, MFA revoked, mailbox converted, licence freed.",
        ("onboarding", "microsoft 365", "security"),
        (0, 1, 7, 2),
        (60, 1620),
    ),
    # Network
    Template(
        "vpn_drops",
        "network",
        (
            "VPN disconnects every few minutes",
            "VPN keeps dropping when working from home",
            "FortiClient VPN disconnecting constantly",
            "Can't stay connected to the VPN",
            "VPN connects then drops after a minute",
        ),
        (
            "Working from home today and the VPN keeps disconnecting every few minutes, so "
            "{app} keeps crashing.",
            "The VPN connects but drops out after a minute or two. My home internet is fine.",
        ),
        "Hi {first}, the VPN client on your {device} was out of date and negotiating the old "
        "profile. I've upgraded it and pushed the new profile; please reconnect.",
        "DPD timeouts on the FortiGate from an old FortiClient build; upgraded client, MTU 1400.",
        ("vpn", "fortigate", "networking"),
        (0, 3, 6, 1),
        (60, 960),
        weight=1.6,
    ),
    Template(
        "wifi_slow",
        "network",
        (
            "Wi-Fi very slow on the {floor}",
            "Wireless keeps dropping out in the {room}",
            "Guest Wi-Fi not working",
            "Poor Wi-Fi signal in the {room}",
        ),
        (
            "The Wi-Fi on the {floor} has been really slow all week, pages take ages to load.",
            "Laptops in the {room} keep losing the wireless connection.",
        ),
        "Hi {first}, one access point on the {floor} had dropped to a low-power channel. I've "
        "restarted it and rebalanced the channels; speeds look normal again.",
        "AP firmware out of date; updated and set channels manually. Consider one more AP.",
        ("wi-fi", "networking"),
        (0, 2, 6, 2),
        (60, 1620),
    ),
    Template(
        "internet_down",
        "network",
        (
            "Internet down at {site}",
            "No internet at {site} - whole office affected",
            "Broadband outage at {site}",
            "Everything offline at {site}",
        ),
        (
            "Nobody at {site} can get online - email, {app}, everything is down.",
            "The internet went down at {site} about ten minutes ago. The router lights are red.",
        ),
        "Hi {first}, the line at {site} had a fault at the exchange. We've failed over to the "
        "4G backup and the provider has fixed the line; you're back on broadband now.",
        "ISP fault ref logged; failover worked; line restored by the provider.",
        ("broadband", "networking", "fortigate"),
        (3, 6, 1, 0),
        (45, 480),
        weight=0.8,
    ),
    Template(
        "mapped_drives",
        "network",
        (
            "Mapped drives missing after login",
            "S: drive disappeared",
            "Can't see the shared drive",
            "Network drive says 'not accessible'",
        ),
        (
            "My S: drive has gone missing from File Explorer this morning.",
            "When I log in the shared drives don't appear any more. I need the {folder} folder.",
        ),
        "Hi {first}, the drive mappings hadn't applied after the last update. I've reapplied "
        "them on your {device}; they should show after you sign out and in.",
        "Group Policy not applying over VPN at logon; switched mapping to Intune script.",
        ("file shares", "windows server", "networking"),
        (0, 2, 7, 1),
        (20, 240),
    ),
    # Printing
    Template(
        "printer_offline",
        "printing",
        (
            "Printer on {floor} shows offline",
            "{printer} showing offline on my PC",
            "Can't print - printer says offline",
            "Printer offline again on the {floor}",
            "Print jobs stuck in the queue",
        ),
        (
            "The {printer} on the {floor} shows as offline and nothing will print.",
            "My documents sit in the print queue and the printer says offline. Others have the "
            "same problem.",
        ),
        "Hi {first}, the {printer} had picked up a new IP address. I've given it a fixed "
        "address and updated the print queue; printing works again.",
        "DHCP lease changed; reserved the address and updated the port on the print server.",
        ("printers", "windows"),
        (0, 1, 7, 2),
        (20, 300),
        weight=1.8,
    ),
    Template(
        "scan_to_email",
        "printing",
        (
            "Scan to email not working on the {printer}",
            "Scanner stopped sending scans to email",
            "Scanned documents not arriving",
        ),
        (
            "When I scan on the {printer} it says 'send error' and nothing arrives.",
            "Scan to email stopped working yesterday. We rely on it for signed forms.",
        ),
        "Hi {first}, the scanner's mail relay password had expired. I've moved it to the SMTP "
        "relay connector, so scans arrive again.",
        "Basic auth SMTP retired; switched the MFD to the relay connector with a fixed IP.",
        ("printers", "scanning", "exchange online"),
        (0, 1, 7, 2),
        (30, 600),
    ),
    # Hardware
    Template(
        "wont_boot",
        "hardware",
        (
            "Laptop won't turn on",
            "{device} stuck on black screen after update",
            "Computer won't boot - blue screen",
            "PC keeps restarting on its own",
        ),
        (
            "My {device} won't start this morning. The power light comes on but the screen "
            "stays black.",
            "After last night's update my {device} shows a blue screen and restarts.",
        ),
        "Hi {first}, I've rolled back the faulty driver update and your {device} starts "
        "normally again. If it happens again, call us straight away.",
        "Graphics driver from the last update; rolled back and paused that driver in Intune.",
        ("hardware", "windows"),
        (0, 3, 6, 1),
        (120, 2700),
        weight=1.2,
    ),
    Template(
        "monitors",
        "hardware",
        (
            "Second monitor not detected",
            "Docking station not working - screens blank",
            "External screens flickering",
        ),
        (
            "My second screen isn't detected when I plug into the dock.",
            "Both monitors stay black when I dock my laptop. It worked yesterday.",
        ),
        "Hi {first}, the dock's firmware needed an update. Done; both screens come up now.",
        "Dock firmware update + DisplayLink driver.",
        ("hardware",),
        (0, 0, 6, 4),
        (30, 960),
    ),
    Template(
        "slow_pc",
        "hardware",
        (
            "Computer running very slowly",
            "PC takes ages to start up",
            "Laptop slow and fan constantly running",
        ),
        (
            "My {device} has become very slow, it takes ten minutes to start and {app} freezes.",
            "Everything is slow on my computer since last week.",
        ),
        "Hi {first}, your {device} was low on disk space and running an old start-up tool. "
        "I've cleaned it up; it should be much quicker now.",
        "Disk at 98 %; cleared temp and old profiles, removed start-up bloat.",
        ("windows", "hardware"),
        (0, 0, 6, 4),
        (60, 1620),
    ),
    Template(
        "equipment_request",
        "hardware",
        (
            "Request: new laptop for {starter}",
            "Need a replacement keyboard and mouse",
            "Please order a headset for Teams calls",
            "Request for a second monitor",
        ),
        (
            "Could you order this for us please? Happy with the usual model.",
            "We need a new one please - the old one has stopped working properly.",
        ),
        "Hi {first}, ordered from our supplier - it should arrive in two working days and we'll "
        "set it up on arrival.",
        "Quote approved by email; ordered on next-day delivery.",
        ("hardware",),
        (0, 0, 3, 7),
        (960, 5400),
    ),
    # Software
    Template(
        "teams_audio",
        "software",
        (
            "Teams calls dropping",
            "Microphone not working in Teams",
            "Teams won't start - stuck on loading",
            "No sound in Teams meetings",
        ),
        (
            "People can't hear me on Teams calls although the microphone works elsewhere.",
            "Teams is stuck on the loading screen and won't open.",
        ),
        "Hi {first}, I've cleared the Teams cache and reset the audio device settings on your "
        "{device}; a test call works fine now.",
        "Cleared Teams cache; default comms device was the dock's mic.",
        ("teams", "microsoft 365"),
        (0, 1, 7, 2),
        (20, 240),
        weight=1.3,
    ),
    Template(
        "lob_app",
        "software",
        (
            "{app} won't open - database error",
            "{app} running very slowly",
            "Error when logging into {app}",
            "{app} crashes when saving",
        ),
        (
            "{app} gives a 'database connection failed' error when I open it.",
            "{app} has been painfully slow all morning for everyone in the office.",
        ),
        "Hi {first}, the {app} service on the server had stopped after an update. I've "
        "restarted it and set it to recover automatically; {app} opens again.",
        "Service stopped after vendor patch; restarted, set recovery actions, raised with vendor.",
        ("line-of-business apps", "windows server"),
        (1, 4, 5, 0),
        (60, 1620),
        weight=1.4,
    ),
    Template(
        "install_software",
        "software",
        (
            "Please install {software}",
            "Need {software} installed on my laptop",
            "Request to install {software}",
        ),
        (
            "Could you install {software} on my {device}? My manager has approved it.",
            "I need {software} for a project - can it be installed please?",
        ),
        "Hi {first}, {software} is installed on your {device} and licensed.",
        "Deployed through Intune company portal.",
        ("windows", "office"),
        (0, 0, 3, 7),
        (30, 960),
    ),
    Template(
        "office_crash",
        "software",
        (
            "Excel crashes when opening attachments",
            "Word keeps freezing",
            "Office says 'unlicensed product'",
        ),
        (
            "Excel closes every time I open a spreadsheet from an email.",
            "Word and Excel show a red bar saying unlicensed product.",
        ),
        "Hi {first}, I've repaired Office and re-activated the licence on your {device}.",
        "Quick repair + licence reset (shared computer activation was off).",
        ("office", "microsoft 365"),
        (0, 1, 7, 2),
        (20, 480),
    ),
    Template(
        "onedrive_sync",
        "software",
        (
            "OneDrive not syncing",
            "OneDrive sync conflict errors",
            "Files not syncing to SharePoint",
        ),
        (
            "OneDrive shows a red cross and my files haven't synced since yesterday.",
            "I keep getting sync conflicts on files in the {folder} library.",
        ),
        "Hi {first}, OneDrive had hit a path-length limit in {folder}. I've shortened the "
        "folder names and reset the sync; it's all green again.",
        "Path > 400 chars in the library; renamed and reset OneDrive.",
        ("onedrive", "sharepoint", "microsoft 365"),
        (0, 1, 7, 2),
        (30, 600),
    ),
    # Backup
    Template(
        "backup_failed",
        "backup",
        (
            "Backup failed: {server} - Veeam job error",
            "Nightly backup job failed on {server}",
            "Backup warning: {server} job completed with warnings",
        ),
        (
            "Veeam Backup & Replication: job '{server} nightly' finished with status Failed. "
            "Error: Failed to create VM snapshot.",
            "Backup job for {server} completed with warnings: 1 of 3 disks skipped.",
        ),
        "Automatic alert investigated: the snapshot failed on a stuck VSS writer. Fixed and the "
        "job re-ran successfully.",
        "Restarted the VSS writer, re-ran the job, verified restore point.",
        ("veeam", "backup", "windows server"),
        (0, 6, 4, 0),
        (30, 480),
        weight=1.1,
        monitoring=True,
    ),
    Template(
        "restore",
        "backup",
        (
            "Please restore a deleted file",
            "Accidentally deleted a folder on the shared drive",
            "Need a previous version of a spreadsheet",
        ),
        (
            "I deleted a folder in {folder} by mistake yesterday afternoon. Can you get it back?",
            "I saved over an important spreadsheet. Can you restore yesterday's version?",
        ),
        "Hi {first}, restored from last night's backup into the original location.",
        "Restored from the previous night's restore point; checked with the user.",
        ("backup", "veeam", "file shares"),
        (0, 4, 5, 1),
        (30, 480),
    ),
    # Security
    Template(
        "phishing",
        "security",
        (
            "Suspicious email - is this phishing?",
            "I clicked a link in a dodgy email",
            "Received a fake DocuSign email",
            "Email pretending to be from our bank",
        ),
        (
            "I've had an email asking me to sign a document through a link. It looks odd - is "
            "it genuine?",
            "I clicked a link in an email and it asked for my password. I didn't type it in, I "
            "think.",
        ),
        "Hi {first}, it was phishing. I've removed it from all mailboxes, blocked the sender "
        "and checked your sign-ins - no sign of compromise. Thanks for reporting it.",
        "Purged via Threat Explorer; sign-in logs clean; sender domain blocked.",
        ("phishing", "security", "defender"),
        (1, 5, 4, 0),
        (15, 240),
        weight=1.3,
    ),
    Template(
        "defender_alert",
        "security",
        (
            "Defender alert: suspicious activity on {asset}",
            "Antivirus quarantined a file on {asset}",
        ),
        (
            "Microsoft Defender for Endpoint raised a medium severity alert on {asset}: "
            "suspicious PowerShell command line.",
            "Defender quarantined a file on {asset} downloaded from a browser.",
        ),
        "Automatic alert investigated: the file was a bundled adware installer, removed. Full "
        "scan clean.",
        "Alert triaged, device isolated briefly, full scan clean, released.",
        ("defender", "security"),
        (0, 5, 5, 0),
        (30, 600),
        weight=0.6,
        monitoring=True,
    ),
    Template(
        "compromised",
        "security",
        (
            "Think my email has been hacked",
            "Colleague's account sending spam",
            "Contacts receiving strange emails from me",
        ),
        (
            "Several contacts say they received an email from me with a link I never sent.",
            "My account seems to be sending emails I didn't write.",
        ),
        "Hi {first}, we reset your password, signed out all sessions, removed a forwarding "
        "rule the attacker had added and re-registered your MFA. Everything is secure now.",
        "Inbox rule forwarding to external; token theft suspected. Revoked sessions, CA policy "
        "tightened, incident report sent.",
        ("security", "exchange online", "mfa"),
        (4, 5, 1, 0),
        (60, 480),
        weight=0.5,
    ),
    # Servers
    Template(
        "disk_space",
        "servers",
        (
            "Low disk space on {server}",
            "Disk C: nearly full on {server}",
        ),
        (
            "Monitoring: volume C: on {server} has 4% free space (threshold 10%).",
            "Monitoring: free space on {server} data volume below 5 GB.",
        ),
        "Automatic alert investigated: old update files and logs cleared; 40 GB free now.",
        "Cleared WinSxS and IIS logs; set log rotation.",
        ("windows server",),
        (0, 3, 6, 1),
        (30, 480),
        weight=0.8,
        monitoring=True,
    ),
    Template(
        "server_slow",
        "servers",
        (
            "{server} not responding",
            "File server very slow",
            "Everything on the server is slow today",
        ),
        (
            "Opening files from the server takes ages this morning, for everyone.",
            "{app} and the shared drive are both very slow. Is the server OK?",
        ),
        "Hi {first}, a stuck update had the server's disk at 100 %. It's been fixed and the "
        "server is responding normally.",
        "Windows Update hung in TrustedInstaller; rebooted in a quiet window.",
        ("windows server", "file shares"),
        (2, 6, 2, 0),
        (45, 480),
        weight=0.7,
    ),
    # Telephony
    Template(
        "desk_phone",
        "telephony",
        (
            "Desk phone not registering",
            "Can't hear callers on my handset",
            "Call forwarding not working",
            "Phone says 'no service'",
        ),
        (
            "My desk phone shows 'no service' and I can't make calls.",
            "Callers can hear me but I can't hear them on my desk phone.",
        ),
        "Hi {first}, your handset had lost its provisioning. I've re-provisioned it from the "
        "phone system; calls work both ways now.",
        "Re-provisioned in 3CX; firmware updated.",
        ("3cx", "telephony"),
        (0, 2, 6, 2),
        (30, 480),
        weight=0.8,
    ),
    # Projects
    Template(
        "project",
        "projects",
        (
            "Quote for new Wi-Fi access points",
            "Office move - network and phones",
            "Upgrade the office to Windows 11",
            "Move our files to SharePoint",
        ),
        (
            "We'd like to plan this over the next couple of months. Can you put a proposal "
            "together?",
            "Could someone from the projects team get in touch to scope this please?",
        ),
        "Hi {first}, thanks - I've drafted a plan and quote and sent it over; we've agreed the "
        "dates and the work is complete.",
        "Scoped, quoted and delivered; handed over to the service desk.",
        ("migrations", "networking", "windows 11", "sharepoint"),
        (0, 0, 2, 8),
        (2700, 10800),
        weight=0.5,
    ),
)

_SLOTS: dict[str, tuple[str, ...]] = {
    "floor": ("ground floor", "first floor", "2nd floor", "3rd floor", "reception"),
    "room": ("meeting room", "back office", "staff room", "boardroom", "kitchen"),
    "printer": ("Ricoh MP C3004", "Kyocera TASKalfa", "HP LaserJet", "Brother MFC"),
    "device": ("laptop", "PC", "desktop", "laptop"),
    "mailbox": ("accounts", "reception", "enquiries", "bookings", "info"),
    "folder": ("Finance", "HR", "Clients", "Templates", "Marketing", "Projects"),
    "software": ("Adobe Acrobat Pro", "Zoom", "Visio", "Power BI Desktop", "Notepad++"),
    "supplier": ("our accountants", "a supplier", "the bank", "a key client", "the landlord"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "the 1st", "next Monday"),
    "starter": (
        "Jess Morgan",
        "Daniel Reid",
        "Olivia Grant",
        "Ravi Mehta",
        "Chloe Dunn",
        "Adam Kowalski",
        "Ella Barnes",
        "Joseph Okoye",
    ),
}

_RESPONSE_MINUTES: dict[Priority, tuple[int, int]] = {
    Priority.P1: (2, 15),
    Priority.P2: (5, 45),
    Priority.P3: (10, 150),
    Priority.P4: (20, 360),
}


@dataclass(frozen=True)
class PastTicket:
    """One resolved ticket of the history; ids are keys of the specs above."""

    client: str
    requester: str | None
    template: str
    category: str
    team: str
    agent: str
    priority: Priority
    source: TicketSource
    subject: str
    body: str
    reply: str
    note: str | None
    created_at: datetime
    first_response_at: datetime
    resolved_at: datetime
    action_ids: tuple[str, str, str]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _contract_on(client: ClientSpec, day: date, today: date) -> ContractSpec:
    for contract in reversed(client.contracts):
        starts, ends = contract.dates(today)
        if starts <= day and (ends is None or day <= ends):
            return contract
    return client.contracts[-1]


def _agents_for(template: Template, team: str) -> tuple[list[AgentSpec], list[float]]:
    """Who works on this kind of problem: the team, weighted strongly by matching skills (and
    now and then a specialist from another team), so each kind of problem has a clear usual
    assignee: what triage's similarity vote learns."""
    pool: list[AgentSpec] = []
    weights: list[float] = []
    for agent in AGENTS:
        overlap = len(set(agent.skills) & set(template.skills))
        weight = 1.0 + 4.0 * overlap if team in agent.teams else (overlap - 1) * 1.0
        if weight > 0:
            pool.append(agent)
            weights.append(weight)
    return pool, weights


def _team_of(category: str) -> str:
    return next(c.team for c in CATEGORIES if c.key == category)


def _action_id(rng: random.Random) -> str:
    return f"act_{rng.getrandbits(48):012x}"


def plan_history(now: datetime, count: int = HISTORY_TICKETS, seed: int = SEED) -> list[PastTicket]:
    """The resolved tickets of the last ~six months, oldest first: a pure function."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = now.astimezone(ZONE).date()
    calendars = calendar_fields(today)
    templates_by_weight = [t.weight for t in TEMPLATES]
    client_weights = [c.volume for c in CLIENTS]
    latest = now - timedelta(hours=2)
    out: list[PastTicket] = []
    for _ in range(count):
        client = rng.choices(CLIENTS, client_weights)[0]
        template = rng.choices(TEMPLATES, templates_by_weight)[0]
        people = [p for p in client.people if not p.unsupported]
        requester = None if template.monitoring else rng.choice(people)
        slots = {name: rng.choice(values) for name, values in _SLOTS.items()}
        slots.update(
            first=requester.first if requester else "team",
            site=client.sites[requester.site if requester else 0].name,
            app=rng.choice(client.apps),
            server=client.server,
            asset=f"{client.prefix}-LT-{rng.randrange(1, 40):03d}",
        )
        subject = rng.choice(template.subjects).format(**slots)
        body = rng.choice(template.bodies).format(**slots)
        weights = list(template.priorities)
        priority = rng.choices(list(Priority), weights)[0]
        if requester and requester.vip and priority is not Priority.P1 and rng.random() < 0.4:
            priority = list(Priority)[list(Priority).index(priority) - 1]
        if template.monitoring:
            source = TicketSource.EMAIL
        else:
            source = rng.choices(
                (TicketSource.EMAIL, TicketSource.PORTAL, TicketSource.PHONE, TicketSource.AGENT),
                (50, 20, 25, 5),
            )[0]
        team = _team_of(template.category)
        pool, agent_weights = _agents_for(template, team)
        agent = rng.choices(pool, agent_weights)[0]
        if team not in agent.teams:
            team = agent.teams[0]
        low, high = _RESPONSE_MINUTES[priority]
        response = _log_uniform(rng, low, high) * (4 if rng.random() < 0.06 else 1)
        resolve = _log_uniform(rng, *template.resolve)
        with_note = rng.random() < 0.4
        ids = (_action_id(rng), _action_id(rng), _action_id(rng))
        for _attempt in range(50):
            day = today - timedelta(days=rng.randint(1, HISTORY_DAYS))
            contract = _contract_on(client, day, today)
            calendar = calendars[contract.calendar]
            # Weekend and holiday mail waits for the next working morning, but mostly there
            # is none: redraw most such days so Mondays are busy, not swamped.
            closed = day.isoweekday() not in calendar.week or day in calendar.holidays
            if closed and rng.random() < 0.8:
                continue
            midnight = datetime.combine(day, time(0), tzinfo=ZONE).astimezone(UTC)
            if contract.calendar == "24x7":
                offset = (
                    rng.uniform(0, 1440)
                    if rng.random() < 0.15
                    else 450 + rng.triangular(0, 630, 120)
                )
            else:
                offset = rng.triangular(0, _DAY, 90)
            created = add_business_minutes(calendar, midnight, offset)
            first_response = add_business_minutes(calendar, created, response)
            resolved = max(
                add_business_minutes(calendar, created, resolve),
                first_response + timedelta(minutes=5),
            )
            if resolved < latest:
                break
        out.append(
            PastTicket(
                client=client.key,
                requester=requester.key if requester else None,
                template=template.key,
                category=template.category,
                team=team,
                agent=agent.key,
                priority=priority,
                source=source,
                subject=subject,
                body=body,
                reply=template.reply.format(**slots),
                note=template.note if with_note else None,
                created_at=_whole_seconds(created),
                first_response_at=_whole_seconds(first_response),
                resolved_at=_whole_seconds(resolved),
                action_ids=ids,
            )
        )
    out.sort(key=lambda t: (t.created_at, t.action_ids))
    return out


def _whole_seconds(at: datetime) -> datetime:
    return at.replace(microsecond=0)


# --- the open tickets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTicket:
    """An open ticket: raised `age` minutes ago and taken through TicketService step by step."""

    client: str
    requester: str | None  # None: raised by monitoring (the system)
    subject: str
    body: str
    priority: Priority
    category: str
    source: TicketSource
    age: int
    agent: str | None = None  # assigned at triage (or when logged by phone)
    reply: str | None = None  # the first public reply, `reply_after` minutes after creation
    reply_after: int = 10
    status: TicketStatus | None = None  # where it ends, after the reply
    note: str | None = None  # a private note near the end


def plan_open_tickets() -> list[OpenTicket]:
    """The queue of the demo: varied states, assignees, priorities and SLA positions. Three
    of them, from three clients within a quarter of an hour, look like one Microsoft 365
    incident (the lateral analysis' example)."""
    p1, p2, p3, p4 = Priority.P1, Priority.P2, Priority.P3, Priority.P4
    email, portal, phone = TicketSource.EMAIL, TicketSource.PORTAL, TicketSource.PHONE
    waiting, supplier = TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.WAITING_ON_SUPPLIER
    return [
        OpenTicket(
            "harbour",
            "harbour.james",
            "Outlook keeps asking for password on my laptop",
            "Outlook keeps asking for my password since this morning and I have a completion "
            "today. Please call me.",
            p2,
            "email",
            email,
            age=50,
        ),
        OpenTicket(
            "brightsmile",
            "brightsmile.liam",
            "Emails not sending - stuck in Outbox",
            "Nothing is leaving the Outbox at the Leeds practice. Patients are waiting on "
            "appointment confirmations.",
            p2,
            "email",
            portal,
            age=14,
        ),
        OpenTicket(
            "calder",
            "calder.owen",
            "Outlook disconnected - can't send or receive",
            "Outlook says 'Disconnected' at the bottom and I can't send or receive email.",
            p2,
            "email",
            email,
            age=9,
        ),
        OpenTicket(
            "riverside",
            "riverside.fiona",
            "Outlook not connecting to the server",
            "Called in: Outlook shows 'Trying to connect' for everyone in the school office.",
            p3,
            "email",
            phone,
            age=4,
            agent="tom",
        ),
        OpenTicket(
            "pennine",
            "pennine.steve",
            "Shop floor Wi-Fi dropping - scanners offline",
            "Called in: handheld scanners on the shop floor keep dropping off the Wi-Fi; goods "
            "in is at a standstill.",
            p1,
            "network",
            phone,
            age=40,
            agent="aisha",
            reply="Steve, I'm on it - one of the warehouse access points has gone offline, "
            "I'm reaching it remotely now.",
            reply_after=5,
            note="AP-WH-02 not answering; PoE port on the warehouse switch flapping.",
        ),
        OpenTicket(
            "harbour",
            "harbour.eleanor",
            "Can't access iManage - 'server unavailable'",
            "iManage says 'server unavailable' whenever I try to open a matter.",
            p2,
            "software",
            email,
            age=180,
            agent="jake",
            reply="Hi Eleanor, looking at this now - the iManage work server is reporting an "
            "expired certificate; I'm renewing it.",
            reply_after=20,
        ),
        OpenTicket(
            "brightsmile",
            "brightsmile.rebecca",
            "Printer on 1st floor shows offline",
            "The printer on the first floor at Sheffield shows offline on every PC.",
            p3,
            "printing",
            portal,
            age=2 * 24 * 60,
            agent="tom",
            reply="Hi Rebecca, could you tell me what the printer's screen shows under "
            "Settings > Network > IP address?",
            reply_after=60,
            status=waiting,
        ),
        OpenTicket(
            "calder",
            "calder.nadia",
            "IRIS payroll won't open - database error",
            "IRIS payroll gives 'database connection failed' - it's payroll week!",
            p2,
            "software",
            email,
            age=6 * 60,
            agent="jake",
            reply="Hi Nadia, the IRIS database service stopped after last night's update; I'm "
            "restarting it and checking the logs.",
            reply_after=15,
            note="SQL service for IRIS stopped; event log shows the update needed a reboot.",
        ),
        OpenTicket(
            "oakfield",
            "oakfield.lucy",
            "New starter needs accounts - Jess Morgan starts Monday",
            "Jess Morgan joins us on Monday as a fundraising assistant. She needs email, Beacon "
            "CRM and a laptop please.",
            p3,
            "starters",
            email,
            age=26 * 60,
            agent="sarah",
            reply="Hi Lucy, thanks - we'll have everything ready for Monday. Which laptop "
            "model would you like?",
            reply_after=90,
        ),
        OpenTicket(
            "oakfield",
            "oakfield.tariq",
            "Quote for replacing the office Wi-Fi access points",
            "Our Wi-Fi is old and patchy in the hall. Could you quote for new access points?",
            p4,
            "projects",
            email,
            age=4 * 24 * 60,
            agent="chris",
            reply="Hi Tariq, I've sent a proposal with two options - let me know which you "
            "prefer and we'll book the work.",
            reply_after=240,
            status=waiting,
        ),
        OpenTicket(
            "riverside",
            "riverside.helen",
            "Interactive whiteboard in Year 4 not working",
            "Called in: the Year 4 whiteboard shows 'no signal' from the teacher's PC.",
            p3,
            "hardware",
            phone,
            age=3 * 60,
        ),
        OpenTicket(
            "riverside",
            None,
            "Backup failed: RA-SRV-01 - Veeam job error",
            "Veeam Backup & Replication: job 'RA-SRV-01 nightly' finished with status Failed. "
            "Error: Failed to create VM snapshot.",
            p2,
            "backup",
            email,
            age=9 * 60,
            agent="dan",
            note="VSS writer stuck again; needs a reboot tonight.",
        ),
        OpenTicket(
            "riverside",
            "riverside.mark",
            "Arbor down for the whole school - can't take the register",
            "Nobody can log in to Arbor; teachers can't take the morning register. Urgent "
            "please - we have a safeguarding duty to record attendance.",
            p1,
            "software",
            email,
            age=45,
        ),
        OpenTicket(
            "pennine",
            "pennine.david",
            "Laptop won't turn on after Windows update",
            "My laptop won't start after last night's update - black screen.",
            p2,
            "hardware",
            portal,
            age=24 * 60,
            agent="jake",
            reply="Hi David, it's a failed motherboard; Dell are sending an engineer under "
            "warranty and we've given you a loan laptop meanwhile.",
            reply_after=30,
            status=supplier,
        ),
        OpenTicket(
            "greystone",
            "greystone.nina",
            "VPN disconnects every few minutes",
            "The VPN keeps dropping when I work from home.",
            p3,
            "network",
            email,
            age=2 * 24 * 60,
            note="Account on stop - waiting for Sarah's approval before work.",
        ),
        OpenTicket(
            "brightsmile",
            "brightsmile.anita",
            "Dentally very slow at Manchester practice",
            "Called in: Dentally takes a minute to open each patient at Manchester.",
            p2,
            "network",
            phone,
            age=75,
            agent="aisha",
            reply="Hi Anita, the Manchester line is saturated by a cloud backup; I've throttled "
            "it and I'm watching the link.",
            reply_after=10,
        ),
        OpenTicket(
            "harbour",
            "harbour.sophie",
            "Please add me to the reception shared mailbox",
            "Could I have access to the reception shared mailbox while Hannah is on leave?",
            p4,
            "email",
            portal,
            age=5 * 60,
        ),
        OpenTicket(
            "calder",
            "calder.claire",
            "Suspicious email - is this phishing?",
            "I've had an email 'from HMRC' asking me to log in to claim a refund. Is it real?",
            p2,
            "security",
            email,
            age=30,
            agent="megan",
        ),
        OpenTicket(
            "pennine",
            "pennine.karen",
            "Can't approve invoices in Epicor - permission error",
            "Epicor says I don't have permission to approve invoices since the upgrade.",
            p3,
            "software",
            email,
            age=3 * 24 * 60,
            agent="jake",
            reply="Hi Karen, could you send a screenshot of the error and which company you "
            "were in?",
            reply_after=45,
            status=waiting,
        ),
        OpenTicket(
            "riverside",
            "riverside.amy",
            "Microphone not working in Teams",
            "Pupils on the remote lesson can't hear me in Teams.",
            p3,
            "software",
            portal,
            age=25 * 60,
            agent="ollie",
            reply="Hi Amy, I've reset the audio settings remotely; could you try a test call "
            "after school?",
            reply_after=120,
        ),
        OpenTicket(
            "oakfield",
            "oakfield.margaret",
            "Locked out of my account",
            "Called in: Margaret is locked out before a trustees' meeting.",
            p2,
            "access",
            phone,
            age=20,
            agent="priya",
        ),
        OpenTicket(
            "harbour",
            "harbour.marcus",
            "Second monitor not detected on docking station",
            "My second screen isn't detected at the Leicester office.",
            p4,
            "hardware",
            portal,
            age=2 * 24 * 60,
            agent="tom",
            reply="Hi Marcus, I'll update the dock firmware remotely at lunchtime.",
            reply_after=180,
        ),
        OpenTicket(
            "brightsmile",
            "brightsmile.grace",
            "Scan to email not working on the Ricoh",
            "Scans from the Ricoh at Manchester aren't arriving in email.",
            p3,
            "printing",
            email,
            age=4 * 60,
        ),
        OpenTicket(
            "calder",
            "calder.robert",
            "New phone - need MFA moved to Authenticator",
            "Called in: Robert has a new phone and can't approve sign-ins.",
            p2,
            "access",
            phone,
            age=60,
            agent="priya",
            reply="Hi Robert, I've reset your MFA - you'll be asked to set up the "
            "Authenticator app at your next sign-in.",
            reply_after=5,
        ),
        OpenTicket(
            "pennine",
            "pennine.paul",
            "SolidWorks licence error after reinstall",
            "SolidWorks says no licence is available since it was reinstalled.",
            p3,
            "software",
            portal,
            age=6 * 24 * 60,
            agent="jake",
            reply="Hi Paul, could you send me the licence serial from the old install?",
            reply_after=60,
            status=waiting,
        ),
        OpenTicket(
            "riverside",
            "riverside.mark",
            "Office move - network points and phones",
            "The admin team moves to the new block at half term; we need network points and "
            "phones.",
            p4,
            "projects",
            email,
            age=10 * 24 * 60,
            agent="chris",
            reply="Hi Mark, survey booked for Thursday; I'll send a plan afterwards.",
            reply_after=300,
        ),
    ]


DEMO_TICKET = OpenTicket(
    "pennine",
    "pennine.steve",
    "Production line 2 down - PLC network unreachable",
    "Called in: line 2 has stopped, the HMI can't reach the PLCs. Night shift is waiting.",
    Priority.P1,
    "network",
    TicketSource.PHONE,
    age=0,
    note="Demo: Pennine's plan gives P1 a 2-minute response target in calendar hours. Leave "
    "this ticket unanswered to watch it warn (at 75 %) and then breach.",
)


# --- writing -----------------------------------------------------------------------------------


class _Clock:
    """The seed's own clock, moved back in time to replay an open ticket's story."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class _Ids:
    """Keys of the specs to the ids the desk gave them."""

    teams: dict[str, str]
    agents: dict[str, str]
    categories: dict[str, str]
    calendars: dict[str, str]
    plans: dict[str, str]
    clients: dict[str, str]
    people: dict[str, str]
    contracts: dict[tuple[str, str], str]  # (client key, contract name) -> id


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _remote_access(tool: RemoteAccessKind, key: str, host: str) -> dict[str, str]:
    digest = _digest(key)
    if tool is RemoteAccessKind.SPLASHTOP:
        target = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        return {"kind": tool.value, "target": target, "label": "Splashtop"}
    if tool is RemoteAccessKind.TEAMVIEWER:
        return {
            "kind": tool.value,
            "target": str(1_000_000_000 + int(digest[:8], 16) % 900_000_000),
            "label": "TeamViewer",
        }
    return {"kind": RemoteAccessKind.RDP.value, "target": host, "label": "Remote Desktop"}


def _managed(kind: kinds.EntityKind[Any]) -> Managed:
    return BY_KIND[kind.name]


def _seed_reference(deps: Deps, today: date) -> tuple[_Ids, int]:
    """Settings, teams, agents, categories, calendars, plans, clients with everything they own.
    Returns the ids and the number of assets. One at a time: moto copies the whole table for
    each item of a transaction and cannot run two side by side safely."""
    admin = AdminService(deps)
    system = Scope.system()
    current = admin.get_settings(system)
    admin.put_settings(
        system,
        MspSettings(
            name=MSP_NAME,
            time_zone="Europe/London",
            phone_region="GB",
            ticket_token_prefix=current.ticket_token_prefix,
            version=current.version,
        ),
    )

    def create(kind: kinds.EntityKind[Any], body: dict[str, Any]) -> str:
        return admin.create(system, _managed(kind), body).id

    teams = {
        t.key: create(
            kinds.TEAMS,
            {"name": t.name, "email": f"{t.mailbox}@{MSP_DOMAIN}", "timer_mode": t.timer_mode},
        )
        for t in TEAMS
    }
    agents = {
        a.key: create(
            kinds.AGENTS,
            {
                "name": a.name,
                "email": a.email,
                "role": a.role,
                "team_ids": [teams[t] for t in a.teams],
                "skills": list(a.skills),
            },
        )
        for a in AGENTS
    }
    categories: dict[str, str] = {}
    for c in sorted(CATEGORIES, key=lambda c: c.parent is not None):  # parents first
        categories[c.key] = create(
            kinds.CATEGORIES,
            {
                "name": c.name,
                "default_team_id": teams[c.team],
                "parent_id": categories[c.parent] if c.parent else None,
            },
        )
    calendars = {
        key: create(kinds.CALENDARS, fields.model_dump())
        for key, fields in calendar_fields(today).items()
    }
    plans = {key: create(kinds.SLA_PLANS, fields.model_dump()) for key, fields in SLA_PLANS.items()}
    for rule in routing_rules(teams):
        create(kinds.ROUTING_RULES, rule)
    ids = _Ids(teams, agents, categories, calendars, plans, {}, {}, {})
    assets = sum(_seed_client(admin, c, ids, today) for c in CLIENTS)
    return ids, assets


def routing_rules(teams: dict[str, str]) -> list[dict[str, Any]]:
    """The demo MSP's routing rules: what it wants settled whatever AI thinks."""
    return [
        {
            "name": "Outages go to Infrastructure at P1",
            "order": 10,
            "conditions": {"keywords": ["server down", "internet down", "all users", "outage"]},
            "actions": {"team_id": teams["infrastructure"], "priority": "P1"},
        },
        {
            "name": "Phishing to a security specialist",
            "order": 20,
            "conditions": {"keywords": ["phishing", "suspicious email", "hacked"]},
            "actions": {"required_skill": "phishing", "priority": "P2"},
        },
        {
            "name": "New starters are service requests for onboarding",
            "order": 30,
            "conditions": {"keywords": ["new starter", "new joiner"]},
            "actions": {"team_id": teams["service_desk"], "required_skill": "onboarding"},
        },
    ]


def _seed_client(admin: AdminService, client: ClientSpec, ids: _Ids, today: date) -> int:
    """One client with its sites, contracts, people and assets; returns its asset count."""
    system = Scope.system()

    def create(kind: kinds.EntityKind[Any], body: dict[str, Any]) -> str:
        return admin.create(system, _managed(kind), body).id

    client_id = create(
        kinds.CLIENTS,
        {
            "name": client.name,
            "email_domains": list(client.domains),
            "main_phone": client.phone,
            "popup_notes": list(client.popup),
            "unsupported": client.unsupported,
            "branding": {
                "display_name": client.display_name,
                "primary_colour": client.colours[0],
                "accent_colour": client.colours[1],
                "host": f"{client.key}.portal.{MSP_DOMAIN}",
            },
        },
    )
    ids.clients[client.key] = client_id
    sites = [
        create(
            kinds.SITES,
            {"client_id": client_id, "name": s.name, "address": s.address, "main_phone": s.phone},
        )
        for s in client.sites
    ]
    for contract in client.contracts:
        starts, ends = contract.dates(today)
        rates = {work: contract.rate for work in contract.work_types}
        excluded = {ids.categories[c] for c in contract.excluded_categories}
        ids.contracts[(client.key, contract.name)] = create(
            kinds.CONTRACTS,
            {
                "client_id": client_id,
                "name": contract.name,
                "kind": contract.kind,
                "starts_on": starts,
                "ends_on": ends,
                "sla_plan_id": ids.plans[contract.plan],
                "calendar_id": ids.calendars[contract.calendar],
                "allowance_hours": contract.allowance_hours,
                "allowance_period": contract.allowance_period,
                "rates": rates,
                "adhoc_rate": contract.adhoc_rate,
                "scope": {
                    "category_ids": [
                        c for c in ids.categories.values() if excluded and c not in excluded
                    ],
                    "work_types": list(contract.work_types),
                    "covers_out_of_hours": contract.covers_out_of_hours,
                },
            },
        )
    assets = 0
    for number, person in enumerate(client.people, start=1):
        person_id = create(
            kinds.END_USERS,
            {
                "client_id": client_id,
                "name": person.name,
                "emails": [client.email_of(person)],
                "phones": list(person.phones),
                "site_id": sites[person.site],
                "job_title": person.job_title,
                "vip": person.vip,
                "unsupported": person.unsupported,
                "popup_notes": list(person.popup),
            },
        )
        ids.people[person.key] = person_id
        if person.unsupported:
            continue
        kind = "laptop" if number % 3 else "workstation"
        name = f"{client.prefix}-{'LT' if kind == 'laptop' else 'WS'}-{number:03d}"
        host = f"{name.lower()}.{client.domains[0].split('.')[0]}.local"
        create(
            kinds.ASSETS,
            {
                "client_id": client_id,
                "name": name,
                "kind": kind,
                "end_user_id": person_id,
                "site_id": sites[person.site],
                "serial_number": _digest(name)[:10].upper(),
                "remote_access": [_remote_access(client.remote_tool, person.key, host)],
            },
        )
        assets += 1
    server = client.server
    create(
        kinds.ASSETS,
        {
            "client_id": client_id,
            "name": server,
            "kind": "server",
            "site_id": sites[0],
            "notes": "File and application server; Veeam backs it up nightly at 22:00.",
            "remote_access": [
                _remote_access(
                    RemoteAccessKind.RDP,
                    server,
                    f"{server.lower()}.{client.domains[0].split('.')[0]}.local",
                )
            ],
        },
    )
    return assets + 1


def _person(key: str) -> tuple[ClientSpec, PersonSpec]:
    for client in CLIENTS:
        for person in client.people:
            if person.key == key:
                return client, person
    raise KeyError(key)


def _agent(key: str) -> AgentSpec:
    return next(a for a in AGENTS if a.key == key)


def _agent_scope(key: str, ids: _Ids) -> Scope:
    agent = _agent(key)
    return Scope(role=agent.role, principal_id=ids.agents[key], name=agent.name)


def _replay_open(deps: Deps, spec: OpenTicket, ids: _Ids, now: datetime) -> int:
    """Raise `spec` `age` minutes before `now` and take it through its story."""
    clock = _Clock(now - timedelta(minutes=spec.age))
    tickets = TicketService(Deps(store=deps.store, events=deps.events, clock=clock))
    category = ids.categories[spec.category]
    agent_key = spec.agent
    team_key = _team_of(spec.category)
    if agent_key and team_key not in _agent(agent_key).teams:
        team_key = _agent(agent_key).teams[0]
    team = ids.teams[team_key]
    agent_id = ids.agents[agent_key] if agent_key else None
    end_user_id = ids.people[spec.requester] if spec.requester else None
    triager = _agent_scope(agent_key or "sarah", ids)
    if spec.source in (TicketSource.EMAIL, TicketSource.PORTAL) and spec.requester:
        client, person = _person(spec.requester)
        raiser = Scope(
            role=Role.END_USER,
            principal_id=ids.people[person.key],
            name=person.name,
            client_id=ids.clients[client.key],
        )
    elif spec.requester is None:
        raiser = Scope.system()
    else:
        raiser = triager
    data = TicketInput(
        client_id=ids.clients[spec.client],
        end_user_id=end_user_id,
        subject=spec.subject,
        body=spec.body,
        priority=spec.priority,
        category_id=category,
        team_id=team,
        agent_id=agent_id,
    )
    ticket = tickets.create(raiser, data, source=spec.source)

    def at(minutes: float) -> None:
        clock.at = min(now, ticket.created_at + timedelta(minutes=minutes))

    if not raiser.is_staff:  # end-users cannot triage: an agent sets the fields a bit later
        at(3)
        ticket = tickets.update(
            triager,
            ticket.number,
            ticket.version,
            TicketPatch(category_id=category, team_id=team, agent_id=agent_id),
        )
    if spec.reply:
        at(spec.reply_after)
        kind = ActionKind.EMAIL_OUT if spec.source is TicketSource.EMAIL else ActionKind.NOTE
        ticket, _ = tickets.add_action(
            triager, ticket.number, ActionInput(body=spec.reply, kind=kind)
        )
    if spec.status:
        at(spec.reply_after + 1)
        ticket = tickets.update(
            triager, ticket.number, ticket.version, TicketPatch(status=spec.status)
        )
    if spec.note:
        at(max(spec.reply_after + 2, spec.age * 0.8))
        ticket, _ = tickets.add_action(
            triager,
            ticket.number,
            ActionInput(body=spec.note, visibility=Visibility.PRIVATE),
        )
    return ticket.number


def _history_records(
    plan: Sequence[PastTicket],
    first_number: int,
    ids: _Ids,
    plans: Mapping[str, SlaPlan],
    calendars: Mapping[str, CalendarFields],
    now: datetime,
) -> list[tuple[Ticket, list[Action]]]:
    """The tickets and actions of the history, with their SLA computed as the desk would."""
    today = now.astimezone(ZONE).date()
    clients = {c.key: c for c in CLIENTS}
    records: list[tuple[Ticket, list[Action]]] = []
    for offset, past in enumerate(plan):
        number = first_number + offset
        client = clients[past.client]
        contract = _contract_on(client, past.created_at.astimezone(ZONE).date(), today)
        ticket = Ticket(
            number=number,
            client_id=ids.clients[past.client],
            end_user_id=ids.people[past.requester] if past.requester else None,
            subject=past.subject,
            status=TicketStatus.RESOLVED,
            priority=past.priority,
            category_id=ids.categories[past.category],
            team_id=ids.teams[past.team],
            agent_id=ids.agents[past.agent],
            source=past.source,
            contract_id=ids.contracts[(past.client, contract.name)],
            first_response_at=past.first_response_at,
            resolved_at=past.resolved_at,
            status_history=[
                StatusChange(status=TicketStatus.NEW, at=past.created_at),
                StatusChange(status=TicketStatus.OPEN, at=past.first_response_at),
                StatusChange(status=TicketStatus.RESOLVED, at=past.resolved_at),
            ],
            created_at=past.created_at,
            updated_at=past.resolved_at,
            version=3,
        )
        plan_fields = plans[contract.plan]
        sla = compute_sla(ticket, plan_fields, calendars[contract.calendar], now, plan_fields.id)
        ticket = ticket.model_copy(update={"sla": sla})
        agent = _agent(past.agent)
        agent_author = Author(kind="agent", id=ids.agents[past.agent], name=agent.name)
        if past.requester:
            _, person = _person(past.requester)
            requester = Author(kind="end_user", id=ids.people[past.requester], name=person.name)
        else:
            requester = Author(kind="system", name="Monitoring")
        first_kind = {
            TicketSource.EMAIL: ActionKind.EMAIL_IN,
            TicketSource.PHONE: ActionKind.CALL,
        }.get(past.source, ActionKind.NOTE)
        by_agent = past.source in (TicketSource.PHONE, TicketSource.AGENT)
        actions = [
            Action(
                id=past.action_ids[0],
                ticket_number=number,
                kind=first_kind,
                author=agent_author if by_agent else requester,
                body=past.body,
                created_at=past.created_at,
            ),
            Action(
                id=past.action_ids[1],
                ticket_number=number,
                kind=ActionKind.EMAIL_OUT if past.source is TicketSource.EMAIL else ActionKind.NOTE,
                author=agent_author,
                body=past.reply,
                created_at=past.first_response_at,
            ),
        ]
        if past.note:
            actions.append(
                Action(
                    id=past.action_ids[2],
                    ticket_number=number,
                    kind=ActionKind.NOTE,
                    visibility=Visibility.PRIVATE,
                    author=agent_author,
                    body=past.note,
                    created_at=past.first_response_at
                    + (past.resolved_at - past.first_response_at) / 2,
                )
            )
        records.append((ticket, actions))
    return records


def seed_demo(deps: Deps) -> str:
    """Seed the demo MSP into an empty desk; returns a one-line summary."""
    started = timer.perf_counter()
    store = deps.store
    if store.principal_by_email(ADMIN_EMAIL) is not None:
        return f"{MSP_NAME} demo data is already present; nothing seeded"
    now = deps.clock()
    today = now.astimezone(ZONE).date()

    ids, assets = _seed_reference(deps, today)
    system = Scope.system()
    plans = {key: store.get_entity(kinds.SLA_PLANS, i, system) for key, i in ids.plans.items()}
    calendars = {
        key: store.get_entity(kinds.CALENDARS, i, system) for key, i in ids.calendars.items()
    }

    # Numbers for the history first (it is older), then the open tickets through the service
    # while the table is still small (moto's transactions copy the whole table).
    history = plan_history(now)
    first_number = store.next_ticket_number()
    store.seed_ticket_counter(first_number + len(history) - 1)
    opened = [_replay_open(deps, spec, ids, now) for spec in plan_open_tickets()]
    # The open tickets' stories ran in the past: bring their stored SLA state to now.
    SlaSweeper(deps).sweep(limit=100)
    demo = _replay_open(deps, DEMO_TICKET, ids, deps.clock())

    store.import_tickets(_history_records(history, first_number, ids, plans, calendars, now))

    people = sum(len(c.people) for c in CLIENTS)
    vips = sum(p.vip for c in CLIENTS for p in c.people)
    return (
        f"{MSP_NAME}: {len(CLIENTS)} clients, {people} end-users ({vips} VIP), "
        f"{len(AGENTS)} agents in {len(TEAMS)} teams, {len(CATEGORIES)} categories, "
        f"{len(SLA_PLANS)} SLA plans, {len(calendars)} calendars, {assets} assets, "
        f"{len(history)} resolved tickets (#{first_number}-#{first_number + len(history) - 1}), "
        f"{len(opened) + 1} open; #{demo} is on the two-minute P1 plan "
        f"({timer.perf_counter() - started:.1f} s)"
    )
