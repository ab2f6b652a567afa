"""BedrockTitanEmbedder through a real boto3 bedrock-runtime client against a fake Bedrock that
checks the signature, the model id and Titan v2's body, and answers predictable vectors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from mspdesk.triage.bedrock import MAX_INPUT_CHARS, BedrockTitanEmbedder, bedrock_runtime_client
from mspdesk.triage.ports import TriageUnavailable
from tests.fakes.fake_bedrock import TITAN_V2, FakeBedrock, expected_embedding


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBedrock]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        fake = FakeBedrock(region="eu-west-2")
        yield fake
        fake.close()


@pytest.fixture(scope="module")
def client(server: FakeBedrock) -> Any:
    """One client for the module: making a boto3 client costs a few hundred milliseconds."""
    return bedrock_runtime_client("eu-west-2", endpoint_url=server.url, read_timeout=0.5)


@pytest.fixture
def bedrock(server: FakeBedrock) -> FakeBedrock:
    server.reset()
    return server


def embedder(client: Any, dimensions: int = 1024) -> BedrockTitanEmbedder:
    return BedrockTitanEmbedder(client, dimensions=dimensions)


TEXTS = ["Outlook keeps asking for a password", "VPN drops every hour", "Printer offline"]


@pytest.mark.parametrize("dimensions", [1024, 512, 256])
def test_embed_returns_a_unit_float32_row_per_text_of_the_configured_dimension(
    client: Any, bedrock: FakeBedrock, dimensions: int
) -> None:
    rows = embedder(client, dimensions).embed(TEXTS)

    assert rows.dtype == np.float32
    assert rows.shape == (3, dimensions)
    assert np.linalg.norm(rows, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)
    assert {i.body["dimensions"] for i in bedrock.invocations} == {dimensions}


def test_rows_follow_the_order_of_the_texts(client: Any, bedrock: FakeBedrock) -> None:
    texts = [f"ticket {n}: disk full on server {n}" for n in range(9)]

    rows = embedder(client, 256).embed(texts)

    expected = np.stack([expected_embedding(text, 256) for text in texts])
    np.testing.assert_allclose(rows, expected, atol=1e-6)
    assert sorted(bedrock.texts()) == sorted(texts)


def test_identical_text_gives_identical_vectors(client: Any, bedrock: FakeBedrock) -> None:
    first, again, other = embedder(client).embed([TEXTS[0], TEXTS[0], TEXTS[1]])

    np.testing.assert_array_equal(first, again)
    assert float(first @ other) < 0.99


def test_each_text_is_one_titan_v2_invocation_asking_for_normalised_vectors(
    client: Any,
    bedrock: FakeBedrock,
) -> None:
    embedder(client, 512).embed(TEXTS[:2])

    assert [i.model_id for i in bedrock.invocations] == [TITAN_V2, TITAN_V2]
    assert sorted(i.body["inputText"] for i in bedrock.invocations) == sorted(TEXTS[:2])
    for invocation in bedrock.invocations:
        assert invocation.body == {
            "inputText": invocation.body["inputText"],
            "dimensions": 512,
            "normalize": True,
        }


def test_long_text_is_truncated_before_it_is_sent(client: Any, bedrock: FakeBedrock) -> None:
    long_text = "The mailbox is full. " * 3_000  # 63,000 characters, over Titan's 50,000

    embedder(client).embed([long_text])

    assert bedrock.texts() == [long_text[:MAX_INPUT_CHARS]]


def test_vectors_are_renormalised_when_the_model_answers_off_unit_length(
    client: Any,
    bedrock: FakeBedrock,
) -> None:
    bedrock.scale = 3.0

    (row,) = embedder(client, 256).embed([TEXTS[0]])

    np.testing.assert_allclose(row, expected_embedding(TEXTS[0], 256), atol=1e-6)


def test_an_empty_batch_calls_nothing(client: Any, bedrock: FakeBedrock) -> None:
    rows = embedder(client, 256).embed([])

    assert rows.shape == (0, 256)
    assert rows.dtype == np.float32
    assert bedrock.invocations == []


@pytest.mark.parametrize("status", [429, 500])
def test_throttling_or_a_server_error_raises_triage_unavailable_after_one_retry(
    client: Any, bedrock: FakeBedrock, status: int
) -> None:
    bedrock.fail_with = status

    with pytest.raises(TriageUnavailable, match="Exception"):
        embedder(client).embed([TEXTS[0]])
    assert len(bedrock.invocations) == 2


def test_a_refused_request_raises_triage_unavailable_without_retrying(
    client: Any,
    bedrock: FakeBedrock,
) -> None:
    with pytest.raises(TriageUnavailable, match="ValidationException"):
        embedder(client).embed([""])
    assert len(bedrock.invocations) == 1


def test_a_failure_in_a_batch_raises_triage_unavailable(client: Any, bedrock: FakeBedrock) -> None:
    with pytest.raises(TriageUnavailable):
        embedder(client).embed([TEXTS[0], "", TEXTS[1]])


def test_a_model_slower_than_the_read_timeout_raises_triage_unavailable(
    client: Any,
    bedrock: FakeBedrock,
) -> None:
    bedrock.delay = 5.0

    with pytest.raises(TriageUnavailable, match="unreachable"):
        embedder(client).embed([TEXTS[0]])


@pytest.mark.parametrize(
    "answer",
    [
        {"inputTextTokenCount": 3},
        {"embedding": [0.5] * 10},
        {"embedding": ["a"] * 1024},
        {"embedding": [0.0] * 1024},
        {"embedding": [float("nan")] * 1024},
        ["not", "an", "object"],
    ],
    ids=["missing", "short", "strings", "zero", "nan", "list"],
)
def test_a_malformed_answer_raises_triage_unavailable(
    client: Any, bedrock: FakeBedrock, answer: Any
) -> None:
    bedrock.respond_with = answer

    with pytest.raises(TriageUnavailable, match=TITAN_V2):
        embedder(client).embed([TEXTS[0]])


def test_the_client_is_made_on_first_use(bedrock: FakeBedrock) -> None:
    made: list[Any] = []

    def factory() -> Any:
        made.append(bedrock_runtime_client("eu-west-2", endpoint_url=bedrock.url))
        return made[-1]

    titan = BedrockTitanEmbedder(factory, dimensions=256)
    assert made == []

    titan.embed(TEXTS)
    titan.embed(TEXTS)
    assert len(made) == 1


def test_an_injected_client_is_used_as_is(bedrock: FakeBedrock) -> None:
    client = bedrock_runtime_client("eu-west-2", endpoint_url=bedrock.url)

    rows = BedrockTitanEmbedder(client, dimensions=256).embed([TEXTS[0]])

    np.testing.assert_allclose(rows[0], expected_embedding(TEXTS[0], 256), atol=1e-6)


def test_the_name_identifies_model_and_dimensions() -> None:
    titan = BedrockTitanEmbedder(object(), dimensions=512)

    assert titan.name == "bedrock:amazon.titan-embed-text-v2:0:512"


def test_dimensions_titan_does_not_make_are_refused() -> None:
    with pytest.raises(ValueError, match="768"):
        BedrockTitanEmbedder(object(), dimensions=768)
