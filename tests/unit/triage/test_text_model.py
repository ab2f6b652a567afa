"""The local text model: a label-aware embedder fitted in numpy on the MSP's resolved tickets."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter

import numpy as np
import pytest

from mspdesk.domain.triage import vote
from mspdesk.triage.embedded_index import EmbeddedIndex
from mspdesk.triage.ports import Embedder, IndexedTicket
from mspdesk.triage.text_model import LocalEmbedder, TextModel, _Csr, _term_weights, tokens
from tests.conftest import shared_data

PEOPLE = ("anna", "ben", "chloe", "dev", "emma", "femi", "gita", "hugo", "ines", "jon")
TOPICS = {
    "printing": "printer on floor {i} jams paper and prints blank pages for {who}",
    "access": "password expired {who} locked out of account after reset request",
    "network": "vpn drops connection wifi slow for {who} in meeting room {i}",
}


def corpus() -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for i, who in enumerate(PEOPLE):
        for topic, template in TOPICS.items():
            texts.append(template.format(i=i, who=who))
            labels.append(topic)
    return texts, labels


@pytest.fixture(scope="module")
def model() -> TextModel:
    texts, labels = corpus()
    return TextModel.fit(texts, labels)


def test_tokens_keep_inner_punctuation_and_drop_the_trailing_one() -> None:
    assert tokens("E-mail to O'Neil: VPN v1.2. fails on 10.0.0.1, err_404!") == [
        "e-mail",
        "to",
        "o'neil",
        "vpn",
        "v1.2",
        "fails",
        "on",
        "10.0.0.1",
        "err_404",
    ]


def test_similar_tickets_are_nearer_than_unrelated_ones(model: TextModel) -> None:
    query, printing, access = model.embed(
        [
            "the printer jams paper again",
            TOPICS["printing"].format(i=3, who="kim"),
            TOPICS["access"].format(i=3, who="kim"),
        ]
    )

    assert query @ printing > query @ access + 0.3


def test_vectors_are_finite_unit_rows_even_without_a_known_word(model: TextModel) -> None:
    vectors = model.embed(["", "   ", "zzyzx qwertz", "!!!", "printer jams"])

    assert vectors.dtype == np.float32
    assert vectors.shape == (5, model.dimension)
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    # Without a known word a text stands at the history's centre: all such texts are equal.
    np.testing.assert_array_equal(vectors[0], vectors[2])


def test_round_trip_keeps_the_embeddings_and_the_name(model: TextModel) -> None:
    loaded = TextModel.from_bytes(model.to_bytes())
    texts = ["printer jams paper", "locked out after password reset", ""]

    np.testing.assert_array_equal(loaded.embed(texts), model.embed(texts))
    assert loaded.name == model.name
    assert loaded.categories == model.categories == ("access", "network", "printing")
    assert loaded.to_bytes() == model.to_bytes()


def test_fitting_twice_gives_the_same_bytes_and_another_seed_another_name() -> None:
    texts, labels = corpus()
    first = TextModel.fit(texts, labels)

    assert TextModel.fit(texts, labels).to_bytes() == first.to_bytes()
    assert first.name.startswith("local-text:")
    assert TextModel.fit(texts, labels, seed=1).name != first.name


def test_categories_pull_apart_tickets_that_share_most_words() -> None:
    # Both categories write nearly the same words; one word tells them apart.
    texts = [f"outlook mailbox for {who} on laptop {i} is full" for i, who in enumerate(PEOPLE)]
    texts += [f"outlook mailbox for {who} on laptop {i} is locked" for i, who in enumerate(PEOPLE)]
    labels = ["storage"] * 10 + ["access"] * 10
    aware = TextModel.fit(texts, labels)
    blind = TextModel.fit(texts, [None] * 20)

    def separation(m: TextModel) -> float:
        """Mean similarity within a category minus mean similarity across them."""
        similarity = m.embed(texts) @ m.embed(texts).T
        same = np.equal.outer(labels, labels) & ~np.eye(20, dtype=bool)
        return float(similarity[same].mean() - similarity[~np.equal.outer(labels, labels)].mean())

    assert blind.categories == ()
    assert aware.dimension == blind.dimension + 2
    assert separation(aware) > separation(blind) + 0.08
    vectors = aware.embed([*texts, "my mailbox is locked"])
    nearest = np.argsort(-(vectors[:-1] @ vectors[-1]))[:5]
    assert {labels[i] for i in nearest} == {"access"}


def test_words_that_name_a_category_weigh_more_and_category_sizes_do_not_count() -> None:
    # Words 0-3 over 10 tickets, 8 of category 0 and 2 of category 1: word 0 is in every
    # ticket, word 1 in category 0's only, word 2 in category 1's only, word 3 in half of each.
    holders = [[0, 1, 3], [0, 1, 3], [0, 1, 3], [0, 1, 3], [0, 1], [0, 1], [0, 1], [0, 1]]
    holders += [[0, 2, 3], [0, 2]]
    indices = np.array([w for row in holders for w in row], dtype=np.int64)
    indptr = np.concatenate(([0], np.cumsum([len(row) for row in holders]))).astype(np.int64)
    x = _Csr(indptr, indices, np.ones(len(indices)), 4)
    targets = np.array([0] * 8 + [1] * 2, dtype=np.int64)

    weights = _term_weights(x, targets, 2, 3.0)

    assert weights[0] == pytest.approx(1.0)  # in every ticket: tells nothing
    assert weights[3] == pytest.approx(1.0)  # in the same share of each category
    assert 2.0 < weights[1] < 4.0  # in all of one category's tickets and none of the other's
    assert weights[2] == pytest.approx(weights[1])  # the same, though that category is small
    np.testing.assert_array_equal(_term_weights(x, targets, 2, 0.0), np.ones(4))


def test_the_lsa_part_leans_on_the_words_that_tell_categories_apart() -> None:
    texts = [f"outlook mailbox for {who} on laptop {i} is full" for i, who in enumerate(PEOPLE)]
    texts += [f"outlook mailbox for {who} on laptop {i} is locked" for i, who in enumerate(PEOPLE)]
    labels = ["storage"] * 10 + ["access"] * 10
    same = np.equal.outer(labels, labels) & ~np.eye(20, dtype=bool)

    def separation(term_weight: float) -> float:
        model = TextModel.fit(texts, labels, term_weight=term_weight, dimensions=4)
        lsa = model.embed(texts)[:, :4]
        lsa /= np.linalg.norm(lsa, axis=1, keepdims=True)
        similarity = lsa @ lsa.T
        return float(similarity[same].mean() - similarity[~np.equal.outer(labels, labels)].mean())

    assert separation(3.0) > separation(0.0) + 0.1


def test_unlabelled_tickets_are_left_out_of_the_categories() -> None:
    texts, labels = corpus()
    model = TextModel.fit(texts, [None if label == "network" else label for label in labels])
    single = TextModel.fit(texts, [None if label != "access" else label for label in labels])

    assert model.categories == ("access", "printing")
    assert model.dimension == model.embed(["x"]).shape[1]
    assert single.categories == ()  # one category tells nothing apart
    assert model.embed([]).shape == (0, model.dimension)


def test_fit_refuses_mismatched_labels_and_texts_without_words() -> None:
    with pytest.raises(ValueError, match="labels"):
        TextModel.fit(["a b", "a c"], ["x"])
    with pytest.raises(ValueError, match="no word"):
        TextModel.fit(["", "!!"], ["x", "y"])


def test_fit_reads_only_the_most_recent_rows() -> None:
    texts, labels = corpus()
    texts, labels = ["ancient relic", "ancient relic", *texts], ["old", "old", *labels]

    assert "ancient" in TextModel.fit(texts, labels).vocabulary
    recent = TextModel.fit(texts, labels, max_rows=30)
    assert "ancient" not in recent.vocabulary
    assert "old" not in recent.categories


def test_local_embedder_is_the_embedder_port(model: TextModel) -> None:
    embedder: Embedder = LocalEmbedder(model)

    assert embedder.name == model.name
    np.testing.assert_array_equal(embedder.embed(["vpn drops"]), model.embed(["vpn drops"]))


def test_vector_triage_gets_80_percent_of_the_shared_new_tickets_right() -> None:
    """The benchmark's split (80 % history by a stable hash of the text); about a second."""
    with shared_data("tickets", "it_service_tickets.csv").open(newline="") as f:
        rows = [(r["text"], r["topic_group"]) for r in csv.DictReader(f)]
    history = [r for r in rows if _bucket(r[0]) < 80]
    new = [r for r in rows if _bucket(r[0]) >= 80]

    model = TextModel.fit([t for t, _ in history], [c for _, c in history])
    index = EmbeddedIndex(model.dimension)
    index.upsert(
        [
            IndexedTicket(i, "client", c, "p3", None, None, 60, "2026-01-01T00:00:00Z")
            for i, (_, c) in enumerate(history)
        ],
        model.embed([t for t, _ in history]),
    )
    right = Counter(
        vote(index.search(vector, 5), ()).fields["category_id"].value == category
        for vector, (_, category) in zip(model.embed([t for t, _ in new]), new, strict=True)
    )

    assert right[True] / len(new) >= 0.8


def _bucket(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % 100
