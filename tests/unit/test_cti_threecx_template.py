"""The 3CX CRM template shipped in the repository calls our routes with what they read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from functions.cti_webhook.routes import API_KEY_HEADER, router
from mspdesk.domain.cti_providers import threecx_journal
from tests.conftest import REPO

TEMPLATE = REPO / "integrations" / "3cx" / "mspdesk.xml"


@pytest.fixture(scope="module")
def scenarios() -> dict[str, ET.Element]:
    root = ET.parse(TEMPLATE).getroot()  # noqa: S314 - our own file
    assert root.tag == "Crm"
    return {s.get("Id", ""): s for s in root.iter("Scenario")}


def test_the_lookup_asks_our_lookup_route_with_the_number_and_api_key(
    scenarios: dict[str, ET.Element],
) -> None:
    request = scenarios[""].find("Request")
    assert request is not None
    assert request.get("RequestType") == "Get"
    assert request.get("Url") == "[ServerUrl]/cti/3cx/lookup?number=[Number]"
    headers = {v.get("Key"): v.text for v in request.iter("Value")}
    assert headers == {API_KEY_HEADER: "[ApiKey]"}
    paths = {getattr(r, "path", "") for r in router.routes}
    assert "/cti/3cx/lookup" in paths and "/cti/3cx/journal" in paths


def test_the_journal_posts_every_field_the_desk_reads(scenarios: dict[str, ET.Element]) -> None:
    request = scenarios["ReportCall"].find("Request")
    assert request is not None
    assert request.get("Url") == "[ServerUrl]/cti/3cx/journal"
    assert request.get("RequestType") == "Post"
    keys = {v.get("Key") for v in request.iter("Value")}
    assert {
        API_KEY_HEADER,
        "call_type",
        "number",
        "agent",
        "agent_email",
        "duration",
        "start_utc",
        "end_utc",
    } <= keys


def test_a_journal_as_3cx_fills_the_template_is_read_as_one_finished_call() -> None:
    filled = (
        "call_type=Inbound&number=%2B441623555014&name=Alice&agent=201"
        "&agent_email=sam%40msp.example&agent_name=Sam+Agent&duration=95"
        "&start_utc=2026-03-02T10:00:00Z&end_utc=2026-03-02T10:02:00Z"
    )
    event = threecx_journal(parse_qs(filled), datetime(2026, 3, 2, 10, 5, tzinfo=UTC))
    assert event.answered_at == datetime(2026, 3, 2, 10, 0, 25, tzinfo=UTC)
    assert event.agent_hints == ["sam@msp.example", "201", "Sam Agent"]
