"""Lateral keyword analysis: the pure, incremental window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mspdesk.domain.lateral import (
    LateralItem,
    LateralWindow,
    hot_from_scratch,
    keywords,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def item(key: str, client: str, minute: float, text: str) -> LateralItem:
    return LateralItem(key, client, T0 + timedelta(minutes=minute), keywords(text))


def test_keywords_are_normalised_tokens_and_bigrams_without_stop_words() -> None:
    found = keywords("Hi, OUTLOOK keeps asking for the password again!! Thanks, Zoë")
    assert found == {
        "outlook",
        "asking",
        "password",
        "zoe",
        "outlook asking",
        "asking password",
        "password zoe",
    }


def test_numbers_and_short_words_are_not_keywords() -> None:
    assert keywords("Ticket 12345: PC 7 is on fire at 09:30") == {"fire"}


def test_three_reports_from_one_client_make_no_keyword_hot() -> None:
    window = LateralWindow(min_clients=3)
    became = [
        window.add(item(f"call:{i}", "acme", i, "VPN disconnects every few minutes"))
        for i in range(3)
    ]
    assert became == [frozenset()] * 3
    assert window.hot() == frozenset()


def test_the_third_distinct_client_makes_the_shared_keywords_hot() -> None:
    window = LateralWindow(min_clients=3)
    assert window.add(item("ticket:1", "acme", 0, "VPN disconnects")) == frozenset()
    assert window.add(item("ticket:2", "bravo", 1, "the vpn disconnects again")) == frozenset()
    became = window.add(item("call:c3", "charlie", 2, "VPN disconnects since 9am"))
    assert became == {"vpn", "disconnects", "vpn disconnects"}
    assert window.clients_of("vpn") == {"acme", "bravo", "charlie"}
    assert [i.key for i in window.items_of("vpn disconnects")] == [
        "ticket:1",
        "ticket:2",
        "call:c3",
    ]
    # A fourth client does not make them hot a second time.
    assert window.add(item("ticket:4", "delta", 3, "VPN disconnects")) == frozenset()


def test_reports_older_than_the_window_leave_it_and_cool_their_keywords() -> None:
    window = LateralWindow(window=timedelta(minutes=20), min_clients=3)
    window.add(item("ticket:1", "acme", 0, "printer offline"))
    window.add(item("ticket:2", "bravo", 5, "printer offline"))
    assert window.add(item("ticket:3", "charlie", 10, "printer offline")) == {
        "printer",
        "offline",
        "printer offline",
    }
    window.expire(T0 + timedelta(minutes=21))
    assert window.hot() == frozenset()
    assert len(window) == 2
    # Twenty minutes after the first report, a new client does not join it.
    assert window.add(item("ticket:4", "delta", 22, "printer offline")) == {
        "printer",
        "offline",
        "printer offline",
    }


def test_a_new_version_of_an_item_replaces_the_old_one() -> None:
    window = LateralWindow(min_clients=2)
    window.add(item("call:1", "acme", 0, "email bouncing"))
    window.add(item("call:1", "acme", 1, "teams crashing"))
    assert window.clients_of("email") == frozenset()
    assert window.add(item("call:2", "bravo", 2, "teams crashing")) == {
        "teams",
        "crashing",
        "teams crashing",
    }


WORDS = ["vpn", "outlook", "printer", "sharepoint", "wifi", "payroll", "login", "backup"]


@st.composite
def streams(draw: st.DrawFn) -> list[LateralItem]:
    count = draw(st.integers(min_value=1, max_value=60))
    minute = 0.0
    out = []
    for _ in range(count):
        minute += draw(st.floats(min_value=0, max_value=8, allow_nan=False))
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
        key = f"ticket:{draw(st.integers(min_value=1, max_value=30))}"
        client = draw(st.sampled_from(["a", "b", "c", "d", "e"]))
        out.append(item(key, client, minute, " ".join(words)))
    return out


@settings(max_examples=80, deadline=None)
@given(stream=streams(), min_clients=st.integers(min_value=1, max_value=4))
def test_the_incremental_window_agrees_with_a_recount_after_every_report(
    stream: list[LateralItem], min_clients: int
) -> None:
    window = LateralWindow(window=timedelta(minutes=20), min_clients=min_clients)
    seen: list[LateralItem] = []
    for report in stream:
        before = hot_from_scratch(seen, report.at, timedelta(minutes=20), min_clients)
        became = window.add(report)
        seen.append(report)
        expected = hot_from_scratch(seen, report.at, timedelta(minutes=20), min_clients)
        assert window.hot() == expected
        assert became == expected - before
