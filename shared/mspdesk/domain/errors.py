"""Typed domain errors; the API maps them to HTTP in one place (functions/api/errors.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""


class NotFound(DomainError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key} not found")
        self.kind = kind
        self.key = key


class TicketNotFound(NotFound):
    def __init__(self, number: int) -> None:
        super().__init__("ticket", str(number))


class OutOfScope(NotFound):
    """Raised for data the caller's scope does not cover.

    It is a NotFound on purpose: an end-user must never learn that another client's
    ticket exists.
    """


class VersionConflict(DomainError):
    def __init__(self, kind: str, key: str, expected: int, current: int | None) -> None:
        super().__init__(f"{kind} {key} was changed by someone else (version {current})")
        self.kind = kind
        self.key = key
        self.expected = expected
        self.current = current


class AlreadyExists(DomainError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key} already exists")
        self.kind = kind
        self.key = key


class InvalidInput(DomainError):
    """A rule of the domain refused a value; `field` names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Forbidden(DomainError):
    """The caller is known but its role may not do this."""
