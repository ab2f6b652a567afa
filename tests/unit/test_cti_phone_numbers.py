"""Caller ids as phone systems send them, to E.164 with the MSP's region."""

from __future__ import annotations

import pytest

from mspdesk.domain.calls import caller_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("01623 555014", "GB", "+441623555014"),  # national UK, as people type it
        ("01623555014", "GB", "+441623555014"),
        ("+44 1623 555014", "GB", "+441623555014"),
        ("+44 (0)1623 555014", "GB", "+441623555014"),
        ("0044 1623 555014", "GB", "+441623555014"),
        ("0044 1623 555014", "US", "+441623555014"),  # 00 dialled from anywhere
        ("441623555014", "GB", "+441623555014"),  # international without the plus
        ("(212) 555-0100", "US", "+12125550100"),  # national US
        ("212-555-0100", "US", "+12125550100"),
        ("+1 212 555 0100", "GB", "+12125550100"),
        ("001 212 555 0100", "GB", "+12125550100"),
        ("12125550100", "GB", "+12125550100"),  # a US number a PBX sent without the plus
        ("493055571600", "GB", "+493055571600"),  # Zammad's own example caller
        ("01623 555014 ext. 23", "GB", "+441623555014"),  # the extension is not the line
        ("+44 1623 555014 x23", "GB", "+441623555014"),
        ("(212) 555-0100 ext 7", "US", "+12125550100"),
        ("sip:+441623555014@pbx.example", "GB", "+441623555014"),
        ("tel:+1-212-555-0100", "GB", "+12125550100"),
    ],
)
def test_caller_ids_are_normalised_to_e164_with_the_msps_region(
    raw: str, region: str, expected: str
) -> None:
    assert caller_e164(raw, region) == expected


@pytest.mark.parametrize(
    "raw", [None, "", "anonymous", "Anonymous", "unknown", "restricted", "abc"]
)
def test_withheld_and_unreadable_caller_ids_have_no_number(raw: str | None) -> None:
    assert caller_e164(raw, "GB") is None


def test_the_same_digits_mean_different_lines_in_different_regions() -> None:
    assert caller_e164("020 7946 0000", "GB") == "+442079460000"
    assert caller_e164("020 7946 0000", "US") != "+442079460000"
