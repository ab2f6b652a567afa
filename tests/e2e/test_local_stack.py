"""`make dev`'s promises: it seeds a demo MSP, prints how to sign in, saves its state on exit
and restores it on the next start."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import start_stack

pytestmark = pytest.mark.e2e


def test_state_is_saved_on_exit_and_restored_on_the_next_start(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = start_stack(state)
    try:
        admin = next(a["email"] for a in first.accounts() if a["role"] == "admin")
        client_id = next(a["client_id"] for a in first.accounts() if a["role"] == "end-user")
        with first.client(admin) as agent:
            created = agent.post(
                "/api/tickets",
                json={"client_id": client_id, "subject": "Survives a restart", "body": "b"},
            ).json()
    finally:
        printed = first.stop()
    assert "Seeded the demo MSP" in printed
    assert admin in printed  # the demo logins are printed
    assert (state / "state.json").exists()

    second = start_stack(state)
    try:
        with second.client(admin) as agent:
            kept = agent.get(f"/api/tickets/{created['number']}")
            assert kept.status_code == 200
            assert kept.json()["subject"] == "Survives a restart"
            after = agent.post(
                "/api/tickets",
                json={"client_id": client_id, "subject": "Numbering goes on", "body": "b"},
            ).json()
            assert after["number"] == created["number"] + 1
    finally:
        printed_again = second.stop()
    assert "Seeded the demo MSP" not in printed_again
    assert "restored" in printed_again
