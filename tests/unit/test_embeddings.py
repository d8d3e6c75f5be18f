"""The offline model embeds meaningfully and refuses a tampered file; the Bedrock provider speaks Titan v2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chatapp.integrations.embeddings import (
    BedrockTitanEmbedder,
    EmbeddingError,
    MiniLMOnnxEmbedder,
    get_embedder,
    minilm_tokenizer,
)


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_related_sentences_score_far_above_unrelated_ones() -> None:
    embedder = get_embedder()
    reset, change, ship = embedder.embed_documents(
        [
            "How do I reset my password?",
            "Steps to change the password of your account",
            "Our bikes ship in 3 days",
        ]
    )
    assert len(reset) == 384 and abs(_cosine(reset, reset) - 1) < 1e-4
    assert _cosine(reset, change) > 0.6
    assert _cosine(reset, ship) < 0.2
    # Activations are quantised per batch, so a text embedded alone lands slightly away from the same
    # text embedded among others: close enough that ranking never notices.
    assert _cosine(embedder.embed_query("How do I reset my password?"), reset) > 0.97


def test_batching_and_padding_barely_move_vectors() -> None:
    embedder = get_embedder()
    long_text = "Returns are accepted within thirty days of delivery. " * 30
    alone = embedder.embed_documents(["short one"])[0]
    together = embedder.embed_documents([long_text, "short one", "another short sentence"])[1]
    assert _cosine(alone, together) > 0.97


def test_the_tokenizer_counts_without_padding_or_truncation() -> None:
    tokens = minilm_tokenizer().encode("word " * 1000, add_special_tokens=False).ids
    assert len(tokens) == 1000


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(EmbeddingError, match="checksum"):
        MiniLMOnnxEmbedder(model_path=fake).embed_query("hello")


def test_bedrock_titan_v2_requests_and_parses() -> None:
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    stubber = Stubber(client)
    for value in (0.1, 0.2):
        body = json.dumps({"embedding": [value] * 256, "inputTextTokenCount": 3}).encode()
        stubber.add_response(
            "invoke_model",
            {"body": StreamingBody(io.BytesIO(body), len(body)), "contentType": "application/json"},
            {
                "modelId": "amazon.titan-embed-text-v2:0",
                "contentType": "application/json",
                "accept": "application/json",
                "body": json.dumps({"inputText": "x", "dimensions": 256, "normalize": True}),
            },
        )
    embedder = BedrockTitanEmbedder(dimensions=256, client=client)
    embedder.max_parallel = 1  # the stubber answers in order
    with stubber:
        first, second = embedder.embed_documents(["x", "x"])
    assert first == [0.1] * 256 and second == [0.2] * 256
    with pytest.raises(EmbeddingError):
        BedrockTitanEmbedder(dimensions=300)


def test_the_fused_rebuild_computes_exactly_what_the_shipped_graph_computes() -> None:
    import numpy as np
    import onnx
    import onnxruntime

    from chatapp.integrations.embeddings import _installed_minilm_path
    from chatapp.integrations.minilm_graph import SLOW_FUSIONS, as_fused_bert, with_float_weights

    original = _installed_minilm_path().read_bytes()
    rebuilt = as_fused_bert(with_float_weights(original))
    tokenizer = minilm_tokenizer(for_model=True)
    encodings = tokenizer.encode_batch(["short", "a much longer sentence about returns and refunds " * 5])
    feeds = {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.zeros((2, len(encodings[0].ids)), dtype=np.int64),
    }
    shipped = onnxruntime.InferenceSession(original, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    fused = onnxruntime.InferenceSession(
        rebuilt, providers=["CPUExecutionProvider"], disabled_optimizers=list(SLOW_FUSIONS)
    ).run(None, feeds)[0]
    real_tokens = feeds["attention_mask"].astype(bool)  # padding positions are never pooled
    assert np.allclose(shipped[real_tokens], fused[real_tokens], atol=1e-4)
    fused_ops = {node.op_type for node in onnx.load_from_string(rebuilt).graph.node}
    assert {"Attention", "EmbedLayerNormalization", "BiasGelu"} <= fused_ops


def test_the_optimised_model_agrees_with_the_shipped_one_on_real_text(tmp_path: Path) -> None:
    import numpy as np

    from chatapp.integrations.embeddings import _installed_minilm_path
    from chatapp.integrations.minilm_graph import optimized_model

    texts = [
        "Complete bikes and e-bikes can be returned within 30 days of delivery.",
        "The reset link is valid for two hours; after that, request a new one from the sign-in page.",
        "Suspension forks and rear shocks are covered for 2 years. " * 8,
    ]
    source = _installed_minilm_path().read_bytes()

    class Reference(MiniLMOnnxEmbedder):
        def __init__(self, model: bytes) -> None:
            import onnxruntime

            super().__init__()
            self._session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])

    reference = np.array(Reference(source).embed_documents(texts))
    fast = np.array(Reference(optimized_model(source, "x" * 64, tmp_path)).embed_documents(texts))
    assert (reference * fast).sum(axis=1).min() > 0.98
    assert list(tmp_path.glob("minilm-*.onnx"))  # cached for the next process


def test_kernels_are_measured_once_per_machine_and_the_faster_is_used(tmp_path: Path) -> None:
    from chatapp.integrations.embeddings import _installed_minilm_path
    from chatapp.integrations.minilm_graph import kernel_choice, optimized_model

    source = _installed_minilm_path().read_bytes()
    first = kernel_choice(source, "y" * 64, tmp_path)
    rates = first["chunks_per_second"]
    assert set(rates) == {"float", "int8"} and all(rate > 0 for rate in rates.values())
    assert first["kernels"] == max(rates, key=rates.get)

    (choice_file,) = tmp_path.glob("minilm-*-kernels-*.json")
    measured_at = choice_file.stat().st_mtime_ns
    assert kernel_choice(source, "y" * 64, tmp_path) == first  # cached: not measured again
    assert choice_file.stat().st_mtime_ns == measured_at
    (chosen,) = tmp_path.glob(f"minilm-*-{first['kernels']}.onnx")
    assert optimized_model(source, "y" * 64, tmp_path) == chosen.read_bytes()


def test_the_multilingual_model_matches_a_question_to_its_answer_across_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chatapp.config import get_settings
    from chatapp.integrations.embeddings import MultilingualE5Embedder
    from chatapp.integrations.vector_store import collection_name

    monkeypatch.setenv("EMBEDDING_PROVIDER", "e5")
    get_settings.cache_clear()
    get_embedder.cache_clear()
    try:
        embedder = get_embedder()
        assert isinstance(embedder, MultilingualE5Embedder)
        # Its own collection: switching models re-indexes rather than mixing vector spaces.
        assert collection_name(embedder.model_id) != collection_name(MiniLMOnnxEmbedder.model_id)
        install, kernel = embedder.embed_documents(
            [
                "To install a package, run apt install followed by the package name.",
                "The kernel is the core of the operating system and manages the hardware.",
            ]
        )
        for question in ("Wie installiere ich ein Paket?", "Comment installer un paquet ?"):
            asked = embedder.embed_query(question)
            assert len(asked) == embedder.dimensions
            assert _cosine(asked, install) > _cosine(asked, kernel) + 0.05
    finally:
        get_settings.cache_clear()
        get_embedder.cache_clear()
