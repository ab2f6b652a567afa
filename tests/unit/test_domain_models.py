"""Pure rules of the domain: validation that names its field, phones, scope, cursors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from mspdesk.domain.enums import Role
from mspdesk.domain.errors import InvalidInput
from mspdesk.domain.models import (
    AgentFields,
    CalendarFields,
    ClientFields,
    ContractFields,
    EndUserFields,
    RemoteAccess,
    SlaPlanFields,
)
from mspdesk.domain.phone import to_e164
from mspdesk.domain.scope import Scope
from mspdesk.store.codec import decode_cursor, encode_cursor

TARGET = {"response_minutes": 60, "resolution_minutes": 480}


def refused_field(model: Any, body: dict[str, Any]) -> str:
    """The dotted location pydantic gives the first error: what the admin API reports."""
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return ".".join(str(p) for p in refused.value.errors()[0]["loc"])


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        pytest.param(ClientFields, {"name": ""}, "name", id="empty-name"),
        pytest.param(
            ClientFields, {"name": "A", "email_domains": ["not a domain"]}, "email_domains.0"
        ),
        pytest.param(ClientFields, {"name": "A", "main_phone": "01623 123456"}, "main_phone"),
        pytest.param(
            ClientFields,
            {"name": "A", "branding": {"primary_colour": "red"}},
            "branding.primary_colour",
            id="branding-colour",
        ),
        pytest.param(ClientFields, {"name": "A", "colour": "red"}, "colour", id="unknown-field"),
        pytest.param(
            EndUserFields, {"client_id": "cl_1", "name": "B", "emails": ["nope"]}, "emails.0"
        ),
        pytest.param(
            AgentFields, {"name": "C", "email": "c@msp.example", "role": "end-user"}, "role"
        ),
        pytest.param(
            CalendarFields, {"name": "D", "time_zone": "Mars/Olympus"}, "time_zone", id="zone"
        ),
        pytest.param(
            SlaPlanFields, {"name": "E", "targets": {"P1": TARGET}}, "targets", id="plan-targets"
        ),
        pytest.param(
            ContractFields,
            {
                "client_id": "cl_1",
                "name": "F",
                "starts_on": "2026-02-01",
                "ends_on": "2026-01-01",
                "sla_plan_id": "sla_1",
                "calendar_id": "cal_1",
            },
            "ends_on",
            id="contract-dates",
        ),
    ],
)
def test_a_refused_value_names_its_field(model: Any, body: dict[str, Any], field: str) -> None:
    assert refused_field(model, body) == field


def test_email_addresses_and_domains_are_kept_lower_case_and_unique() -> None:
    user = EndUserFields(
        client_id="cl_1",
        name="Alice",
        emails=["Alice@Acme.Example", "alice@acme.example ", "a2@acme.example"],
    )
    assert user.emails == ["alice@acme.example", "a2@acme.example"]
    assert ClientFields(name="Acme", email_domains=["Acme.Example."]).email_domains == [
        "acme.example"
    ]


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("01623 123456", "GB", "+441623123456"),
        ("07700 900123", "GB", "+447700900123"),
        ("0044 1623 123456", "GB", "+441623123456"),
        ("+44 (0)1623 123456", "GB", "+441623123456"),
        ("+1 (212) 555-0123", "GB", "+12125550123"),
        ("(212) 555-0123", "US", "+12125550123"),
    ],
)
def test_phone_numbers_typed_as_people_do_become_e164(typed: str, region: str, e164: str) -> None:
    assert to_e164(typed, region) == e164


@pytest.mark.parametrize("typed", ["not a number", "12", "+44 1"])
def test_a_phone_that_is_not_a_number_is_refused_by_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        to_e164(typed, "GB", field="phones.0")
    assert refused.value.field == "phones.0"


def test_a_remote_access_link_is_derived_from_its_kind() -> None:
    splashtop = RemoteAccess(kind="splashtop", target="abc-123")
    assert splashtop.launch_url.endswith("uuid=abc-123")
    assert RemoteAccess(kind="rdp", target="https://gw.example/x").launch_url == (
        "https://gw.example/x"
    )
    # An echoed launch_url is ignored, never trusted.
    echoed = RemoteAccess.model_validate(
        {"kind": "anydesk", "target": "123", "launch_url": "javascript:alert(1)"}
    )
    assert echoed.launch_url == "anydesk:123"


def test_staff_see_every_client_and_an_end_user_only_their_own() -> None:
    agent = Scope(role=Role.AGENT, principal_id="ag_1")
    end_user = Scope(role=Role.END_USER, principal_id="eu_1", client_id="cl_a")
    assert agent.covers("cl_a")
    assert agent.covers("cl_b")
    assert end_user.covers("cl_a")
    assert not end_user.covers("cl_b")
    assert not end_user.covers(None)
    assert Scope.system().is_staff


def test_a_cursor_only_opens_the_listing_it_was_made_for() -> None:
    key = {"pk": {"S": "TICKET#1"}, "sk": {"S": "TICKET"}}
    cursor = encode_cursor("queue_client", key, "cl_a|None")
    assert decode_cursor(cursor, "queue_client", "cl_a|None") == key
    for index, hint in (("queue_client", "cl_b|None"), ("queue_all", "cl_a|None")):
        with pytest.raises(InvalidInput) as refused:
            decode_cursor(cursor, index, hint)
        assert refused.value.field == "cursor"


@pytest.mark.parametrize("cursor", ["", "not-base64!", "eyJpIjoxfQ", "W10"])
def test_a_tampered_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor, "queue_all", "")
    assert refused.value.field == "cursor"
