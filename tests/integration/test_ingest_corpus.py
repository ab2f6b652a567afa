"""Every real message of ../shared/data/mail ingested through the service, the outbound mail
consumer running on the events, against moto.

Automatic mail (sisimai rfc3834-*, rfc3464-*, lhost-*, arf-*; flanker bounce_*, complaints_*;
the corpus test's EXCEPTIONS) opens no ticket and makes SES send nothing. Ordinary mail opens or
updates a ticket for a client that owns the sender's domain; the exceptions are named: a
message without any sender waits in the unmatched view, and a message whose Message-ID an
earlier one of the corpus already had is, by the desk's idempotency rule, that same mail.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from mspdesk.config import Settings
from mspdesk.domain.errors import AlreadyExists, InvalidInput
from mspdesk.domain.mail import MailKind, parse
from mspdesk.services.deps import Deps
from tests.conftest import SHARED_DATA, shared_data
from tests.mail_support import MailDesk, mail_desk, sent_count
from tests.unit.test_mail_corpus import CORPUS, expected_kind

OPENS_OR_UPDATES = {"created", "appended", "reopened", "follow_up"}


@pytest.fixture
def md(deps: Deps, settings: Settings) -> Iterator[MailDesk]:
    shared_data("mail")
    with mail_desk(deps, settings) as built:
        yield built
    assert list(built.publisher.errors) == []


def _own_domain(md: MailDesk, domain: str, owned: set[str]) -> None:
    """A client for the sender's domain, so that ordinary mail has a client to go to."""
    if not domain or domain in owned:
        return
    owned.add(domain)
    # A domain our model refuses leaves the mail to the unmatched view.
    with contextlib.suppress(InvalidInput, AlreadyExists):
        md.client(f"Corpus {domain}"[:200], domain)


def test_every_corpus_message_ingests_and_only_ordinary_mail_opens_or_updates_tickets(
    md: MailDesk,
) -> None:
    owned: set[str] = set()
    seen_ids: set[str] = set()
    outcomes: dict[str, str] = {}
    for name in CORPUS:
        raw = (SHARED_DATA / "mail" / name).read_bytes()
        parsed = parse(raw)
        kind = expected_kind(name)
        if kind is MailKind.ORDINARY and parsed.from_address is not None:
            _own_domain(md, parsed.from_address.domain, owned)
        sent_before = sent_count(md.ses)
        events_before = len(md.events.events)
        outcome = md.receive(raw)  # never raises: that is the first half of the test
        outcomes[name] = outcome.outcome
        new_events = [e.type for e in md.events.events[events_before:]]
        if kind.is_automatic:
            assert outcome.outcome in ("ignored", "bounce_noted"), name
            assert "TicketCreated" not in new_events, name
            assert sent_count(md.ses) == sent_before, f"{name} made the desk send mail"
        elif parsed.message_id in seen_ids:
            assert outcome.outcome == "duplicate", name
        elif parsed.from_address is None:
            assert outcome.outcome == "unmatched", name
        else:
            assert outcome.outcome in OPENS_OR_UPDATES, (name, outcome)
            assert outcome.ticket_number is not None
        seen_ids.add(parsed.message_id)
    opened = [n for n, o in outcomes.items() if o in OPENS_OR_UPDATES]
    ignored = [n for n, o in outcomes.items() if o in ("ignored", "bounce_noted")]
    # Each message was checked above; these say the corpus was not mostly skipped.
    assert len(opened) >= 20
    assert len(ignored) >= 100
    log = md.ingest.ignored(md.desk.agent_scope, limit=100)
    assert len(log.items) == 100
    assert log.next_cursor is not None
