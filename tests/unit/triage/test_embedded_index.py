"""The embedded vector index: numpy brute force with tickets' metadata beside the vectors."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
import pytest

from mspdesk.triage.embedded_index import EmbeddedIndex
from mspdesk.triage.ports import IndexedTicket, VectorIndex

Vectors = npt.NDArray[np.float32]


def ticket(number: int, category: str = "cat_net") -> IndexedTicket:
    return IndexedTicket(
        number=number,
        client_id="acme",
        category_id=category,
        priority="p3",
        team_id="team_1",
        agent_id=None,
        resolution_minutes=number % 97,
        resolved_at="2026-03-02T10:00:00Z",
    )


def unit_rows(rng: np.random.Generator, count: int, dimension: int = 16) -> Vectors:
    vectors = rng.standard_normal((count, dimension)).astype(np.float32)
    unit: Vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


def brute_force(vectors: Vectors, numbers: list[int], query: Vectors, k: int) -> list[int]:
    scores = vectors @ query
    return [numbers[i] for i in np.argsort(-scores, kind="stable")[:k]]


def test_search_returns_numpys_brute_force_top_k_most_similar_first() -> None:
    rng = np.random.default_rng(1)
    vectors = unit_rows(rng, 500)
    numbers = list(range(1000, 1500))
    index: VectorIndex = EmbeddedIndex()
    index.upsert([ticket(n) for n in numbers], vectors)

    for query in unit_rows(rng, 20):
        for k in (1, 5, 37):
            found = index.search(query, k)
            assert [n.ticket.number for n in found] == brute_force(vectors, numbers, query, k)
            similarities = [n.similarity for n in found]
            assert similarities == sorted(similarities, reverse=True)
            np.testing.assert_allclose(similarities, np.sort(vectors @ query)[::-1][:k], rtol=1e-6)


def test_search_asks_for_more_than_held_gets_everything() -> None:
    rng = np.random.default_rng(2)
    index = EmbeddedIndex()
    index.upsert([ticket(1), ticket(2)], unit_rows(rng, 2))

    assert {n.ticket.number for n in index.search(unit_rows(rng, 1)[0], 5)} == {1, 2}
    assert index.search(unit_rows(rng, 1)[0], 0) == []
    assert EmbeddedIndex().search(unit_rows(rng, 1)[0]) == []


def test_upsert_of_a_known_number_replaces_its_vector_and_metadata() -> None:
    rng = np.random.default_rng(3)
    index = EmbeddedIndex()
    first, second = unit_rows(rng, 2)
    index.upsert([ticket(7, "cat_net"), ticket(8)], np.stack([first, second]))
    index.upsert([ticket(7, "cat_print")], second[None, :])

    assert index.count() == 2
    best = index.search(second, 2)
    assert [n.ticket.number for n in best] == [8, 7]  # a tie goes to the newer ticket
    assert best[1].ticket.category_id == "cat_print"
    assert best[1].similarity == pytest.approx(1.0, abs=1e-6)


def test_within_one_upsert_the_last_row_of_a_number_wins() -> None:
    rng = np.random.default_rng(4)
    index = EmbeddedIndex()
    vectors = unit_rows(rng, 2)
    index.upsert([ticket(5, "old"), ticket(5, "new")], vectors)

    assert index.count() == 1
    found = index.search(vectors[1], 1)[0]
    assert found.ticket.category_id == "new"
    assert found.similarity == pytest.approx(1.0, abs=1e-6)


def test_remove_takes_tickets_out_and_keeps_the_rest_searchable() -> None:
    rng = np.random.default_rng(5)
    vectors = unit_rows(rng, 300)
    index = EmbeddedIndex()
    # One at a time, so the capacity doubles several times.
    for number, vector in enumerate(vectors):
        index.upsert([ticket(number)], vector[None, :])
    removed = {int(n) for n in rng.choice(300, 120, replace=False)} | {299, 0}
    for number in sorted(removed):
        index.remove(number)
    index.remove(12345)  # absent: nothing happens

    kept = [n for n in range(300) if n not in removed]
    assert index.count() == len(kept)
    assert 0 not in index
    assert kept[0] in index
    for query in unit_rows(rng, 10):
        found = [n.ticket.number for n in index.search(query, 10)]
        assert found == brute_force(vectors[kept], kept, query, 10)
    index.upsert([ticket(0)], vectors[:1])
    assert index.search(vectors[0], 1)[0].ticket.number == 0


def test_dimension_is_fixed_by_the_first_upsert_or_reset() -> None:
    rng = np.random.default_rng(6)
    index = EmbeddedIndex()
    index.upsert([ticket(1)], unit_rows(rng, 1, 16))

    assert index.dimension == 16
    with pytest.raises(ValueError, match="dimensions"):
        index.upsert([ticket(2)], unit_rows(rng, 1, 8))
    with pytest.raises(ValueError, match="dimensions"):
        index.search(unit_rows(rng, 1, 8)[0])
    index.reset(8)
    assert (index.dimension, index.count()) == (8, 0)
    index.upsert([ticket(2)], unit_rows(rng, 1, 8))
    assert index.count() == 1


def test_vectors_must_be_unit_rows_one_per_ticket() -> None:
    index = EmbeddedIndex(4)

    with pytest.raises(ValueError, match="unit"):
        index.upsert([ticket(1)], np.array([[1.0, 1.0, 0.0, 0.0]], dtype=np.float32))
    with pytest.raises(ValueError, match="unit"):
        index.search(np.array([np.nan, 0.0, 0.0, 0.0], dtype=np.float32))
    with pytest.raises(ValueError, match="rows"):
        index.upsert([ticket(1), ticket(2)], np.eye(4, dtype=np.float32)[:1])


def test_round_trip_keeps_vectors_tickets_and_dimension() -> None:
    rng = np.random.default_rng(7)
    vectors = unit_rows(rng, 50)
    index = EmbeddedIndex()
    index.upsert([ticket(n, f"cat_{n % 3}") for n in range(50)], vectors)
    index.remove(10)

    loaded = EmbeddedIndex.from_bytes(index.to_bytes())

    assert loaded.count() == 49
    for query in unit_rows(rng, 5):
        assert loaded.search(query, 7) == index.search(query, 7)
    empty = EmbeddedIndex.from_bytes(EmbeddedIndex(32).to_bytes())
    assert (empty.dimension, empty.count()) == (32, 0)


def test_concurrent_upserts_and_searches_stay_consistent() -> None:
    rng = np.random.default_rng(8)
    vectors = unit_rows(rng, 800)
    index = EmbeddedIndex(16)
    errors: list[BaseException] = []

    def writer(part: int) -> None:
        for number in range(part * 200, part * 200 + 200):
            index.upsert([ticket(number)], vectors[number : number + 1])

    def reader() -> None:
        try:
            for query in vectors[:200]:
                found = index.search(query, 5)
                assert len({n.ticket.number for n in found}) == len(found)
        except BaseException as error:  # surfaced below: a thread's failure is silent
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(p,)) for p in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert index.count() == 800
    assert index.search(vectors[123], 1)[0].ticket.number == 123
