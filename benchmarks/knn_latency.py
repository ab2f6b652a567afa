"""knn_latency: one top-5 query in the embedded index (EmbeddedIndex.search) over 100,000 unit
vectors of 1,024 dimensions, p50, against numpy brute force over the same vectors (M @ q,
argpartition, sort of the five) in the same run; --quick: 20,000 vectors.

1,024 is Titan Text Embeddings v2's dimension, the largest vectors an index holds (410 MB,
held twice here: by the index and by the reference; about 870 MB at peak): the heaviest
case of the matrix-vector product that both sides share. The extra figure
knn_latency_local holds the same comparison at the local text model's dimension, where the
product is cheap and the index's own work (checks, lock, ties, Neighbours) weighs the most.

Each query runs on both sides back to back, in alternating order, so that both see the same
noise of the machine; the answers must be the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from benchmarks.report import Figure
from mspdesk.triage.embedded_index import EmbeddedIndex
from mspdesk.triage.ports import IndexedTicket, Neighbour
from mspdesk.triage.text_model import DIMENSIONS

VECTORS = 100_000
QUICK_VECTORS = 20_000
QUERIES = 200
QUICK_QUERIES = 50
WARMUP = 5
K = 5
TITAN_DIMENSION = 1024
GOAL = "ratio <= 1.2"
SEED = 5

Matrix = npt.NDArray[np.float32]
T = TypeVar("T")


def run(quick: bool) -> list[Figure]:
    count = QUICK_VECTORS if quick else VECTORS
    queries = QUICK_QUERIES if quick else QUERIES
    # The local model's vectors: its LSA dimensions and one per category (8 in the shared data).
    local = DIMENSIONS + 8
    figures = []
    for name, dimension in (("knn_latency", TITAN_DIMENSION), ("knn_latency_local", local)):
        ours, reference = _p50s(count, dimension, queries)
        figures.append(Figure(name, ours, "ms", reference, GOAL))
    return figures


def _p50s(count: int, dimension: int, queries: int) -> tuple[float, float]:
    rng = np.random.default_rng(SEED)
    matrix = _unit_rows(rng, count, dimension)
    index = EmbeddedIndex(dimension)
    index.upsert(
        [
            IndexedTicket(n, "client", "cat", "p3", None, None, 60, "2026-01-01T00:00:00Z")
            for n in range(count)
        ],
        matrix,
    )
    ours: list[float] = []
    theirs: list[float] = []

    def search(query: Matrix) -> list[Neighbour]:
        return index.search(query, K)

    def brute_force(query: Matrix) -> npt.NDArray[np.intp]:
        return _brute_force(matrix, query)

    for i, query in enumerate(_unit_rows(rng, WARMUP + queries, dimension)):
        # Alternate which side goes first, so neither always finds the caches warmed.
        if i % 2:
            expected, their_time = _timed(brute_force, query)
            found, our_time = _timed(search, query)
        else:
            found, our_time = _timed(search, query)
            expected, their_time = _timed(brute_force, query)
        if [n.ticket.number for n in found] != expected.tolist():
            raise RuntimeError(f"knn_latency: the index and numpy disagree on query {i}")
        if i >= WARMUP:
            ours.append(our_time * 1000)
            theirs.append(their_time * 1000)
    return median(ours), median(theirs)


def _timed(work: Callable[[Matrix], T], query: Matrix) -> tuple[T, float]:
    began = time.perf_counter()
    result = work(query)
    return result, time.perf_counter() - began


def _brute_force(matrix: Matrix, query: Matrix) -> npt.NDArray[np.intp]:
    scores = matrix @ query
    top = np.argpartition(-scores, K)[:K]
    ordered: npt.NDArray[np.intp] = top[np.argsort(-scores[top])]
    return ordered


def _unit_rows(rng: np.random.Generator, count: int, dimension: int) -> Matrix:
    """Random directions, generated and normalised in place, in float32: no float64 copy."""
    rows = rng.standard_normal((count, dimension), dtype=np.float32)
    rows /= np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None]
    return rows
