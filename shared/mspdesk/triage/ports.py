"""The triage ports: an embedder (text -> unit vectors) and a vector index of resolved tickets.

Adapters: Bedrock Titan and OpenSearch k-NN in AWS; the local text model and the embedded
index elsewhere. Vectors are numpy float32 arrays, L2-normalised, so a dot product is the
cosine similarity; numpy is imported by the adapters, never by the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class IndexedTicket:
    """What the index keeps of a resolved ticket: enough to vote without a table read."""

    number: int
    client_id: str
    category_id: str | None
    priority: str
    team_id: str | None
    agent_id: str | None
    # Wall-clock minutes from creation to resolution.
    resolution_minutes: int
    resolved_at: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class Neighbour:
    ticket: IndexedTicket
    similarity: float  # cosine similarity, -1..1


class TriageUnavailable(Exception):
    """An outer service (embedder, index, LLM) failed, timed out or is overloaded: the caller
    falls back to another method."""


class Embedder(Protocol):
    @property
    def name(self) -> str:
        """Identifies the model; vectors of different embedders are never mixed in an index."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text. Raises TriageUnavailable."""
        ...


class VectorIndex(Protocol):
    def upsert(self, tickets: Sequence[IndexedTicket], vectors: Vectors) -> None:
        """Adds or replaces tickets (by number). Raises TriageUnavailable."""
        ...

    def remove(self, number: int) -> None:
        """Takes a ticket out (it was reopened). Absent: nothing happens."""
        ...

    def search(self, vector: Vectors, k: int = 5) -> list[Neighbour]:
        """The k most similar resolved tickets, most similar first. Raises TriageUnavailable."""
        ...

    def count(self) -> int:
        """How many resolved tickets the index holds."""
        ...

    def reset(self, dimension: int) -> None:
        """Empties the index (recreating it for vectors of `dimension`): a reindex starts here."""
        ...
