"""The embedded vector index: resolved tickets' vectors in one numpy matrix, searched by brute
force in process. One matrix-vector product over 100,000 vectors of 1,024 dimensions takes
tens of milliseconds, so an MSP's whole history needs neither an ANN structure nor a server.
"""

from __future__ import annotations

import dataclasses
import io
import json
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mspdesk.triage.ports import IndexedTicket, Neighbour

Vectors = npt.NDArray[np.float32]

FORMAT = 1
# Vectors must be unit rows (the Embedder's contract), so that a dot product is the cosine.
_NORM_TOLERANCE = 1e-3
_INITIAL_CAPACITY = 64


class EmbeddedIndex:
    """The VectorIndex port in process. Safe to share between threads."""

    def __init__(self, dimension: int | None = None) -> None:
        self._lock = threading.Lock()
        self._dimension: int | None = None
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._numbers = np.zeros(0, dtype=np.int64)
        self._tickets: list[IndexedTicket] = []
        self._rows: dict[int, int] = {}  # ticket number -> row
        if dimension is not None:
            self.reset(dimension)

    @property
    def dimension(self) -> int | None:
        """Fixed by reset or by the first upsert; None until then."""
        return self._dimension

    def count(self) -> int:
        with self._lock:
            return len(self._tickets)

    def __contains__(self, number: object) -> bool:
        with self._lock:
            return number in self._rows

    def reset(self, dimension: int) -> None:
        if dimension < 1:
            raise ValueError(f"a vector has at least one dimension, got {dimension}")
        with self._lock:
            self._reset_unlocked(dimension)

    def upsert(self, tickets: Sequence[IndexedTicket], vectors: Vectors) -> None:
        """Adds or replaces tickets by number; within one call the last of a number wins."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or len(matrix) != len(tickets):
            raise ValueError(f"{len(tickets)} tickets need as many vector rows, got {matrix.shape}")
        _check_unit(matrix)
        latest = {ticket.number: i for i, ticket in enumerate(tickets)}
        with self._lock:
            if self._dimension is None:
                self._reset_unlocked(matrix.shape[1])
            self._check_dimension(matrix.shape[1])
            self._grow(len(self._tickets) + len(latest))
            rows = []
            for number, i in latest.items():
                row = self._rows.get(number)
                if row is None:
                    row = self._rows[number] = len(self._tickets)
                    self._tickets.append(tickets[i])
                else:
                    self._tickets[row] = tickets[i]
                rows.append(row)
            # Without repeated numbers the rows go in as given: no copy of a large batch.
            fresh = matrix if len(latest) == len(tickets) else matrix[list(latest.values())]
            self._matrix[rows] = fresh
            self._numbers[rows] = list(latest)

    def remove(self, number: int) -> None:
        with self._lock:
            row = self._rows.pop(number, None)
            if row is None:
                return
            last = len(self._tickets) - 1
            moved = self._tickets.pop()
            if row != last:  # the last row fills the hole: rows stay contiguous
                self._tickets[row] = moved
                self._rows[moved.number] = row
                self._matrix[row] = self._matrix[last]
                self._numbers[row] = self._numbers[last]

    def search(self, vector: Vectors, k: int = 5) -> list[Neighbour]:
        """The k nearest by cosine similarity, most similar first; equal similarities go to
        the newer ticket (the higher number), so the answer never depends on row order."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        _check_unit(query[None, :])
        with self._lock:
            if self._dimension is None:
                return []
            self._check_dimension(len(query))
            filled = len(self._tickets)
            k = min(k, filled)
            if k <= 0:
                return []
            scores = self._matrix[:filled] @ query
            if k < filled:
                kth = scores[np.argpartition(scores, filled - k)[filled - k]]
                candidates = np.flatnonzero(scores >= kth)  # every tie of the k-th as well
            else:
                candidates = np.arange(filled)
            order = np.lexsort((-self._numbers[candidates], -scores[candidates]))[:k]
            return [Neighbour(self._tickets[row], float(scores[row])) for row in candidates[order]]

    def to_bytes(self) -> bytes:
        with self._lock:
            filled = len(self._tickets)
            tickets = json.dumps([dataclasses.asdict(t) for t in self._tickets])
            buffer = io.BytesIO()
            np.savez_compressed(
                buffer,
                allow_pickle=False,
                format=np.array(FORMAT),
                dimension=np.array(self._dimension or 0),
                vectors=self._matrix[:filled],
                tickets=np.frombuffer(tickets.encode(), dtype=np.uint8),
            )
            return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> EmbeddedIndex:
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            if int(stored["format"]) != FORMAT:
                raise ValueError(f"index format {int(stored['format'])}, expected {FORMAT}")
            dimension = int(stored["dimension"])
            vectors = stored["vectors"]
            tickets = [IndexedTicket(**t) for t in json.loads(stored["tickets"].tobytes())]
        index = cls(dimension or None)
        if tickets:
            index.upsert(tickets, vectors)
        return index

    def _reset_unlocked(self, dimension: int) -> None:
        self._dimension = dimension
        self._matrix = np.zeros((_INITIAL_CAPACITY, dimension), dtype=np.float32)
        self._numbers = np.zeros(_INITIAL_CAPACITY, dtype=np.int64)
        self._tickets = []
        self._rows = {}

    def _check_dimension(self, dimension: int) -> None:
        if dimension != self._dimension:
            raise ValueError(f"vectors of {dimension} dimensions in an index of {self._dimension}")

    def _grow(self, needed: int) -> None:
        """Doubles the capacity until `needed` rows fit: appends cost O(1) amortised."""
        capacity = len(self._matrix)
        if needed <= capacity:
            return
        capacity = max(needed, 2 * capacity)
        filled = len(self._tickets)
        matrix = np.zeros((capacity, self._matrix.shape[1]), dtype=np.float32)
        matrix[:filled] = self._matrix[:filled]
        numbers = np.zeros(capacity, dtype=np.int64)
        numbers[:filled] = self._numbers[:filled]
        self._matrix, self._numbers = matrix, numbers


def _check_unit(rows: npt.NDArray[np.float32]) -> None:
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    if not np.all(np.abs(norms - 1.0) <= _NORM_TOLERANCE):  # NaN fails too
        raise ValueError("vectors must be finite unit rows (L2-normalised)")
