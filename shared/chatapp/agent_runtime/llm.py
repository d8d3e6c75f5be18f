"""Claude through the `anthropic` SDK: one client per warm container, the SDK's own retries.

The SDK retries timeouts, 408/409/429 and 5xx (529 "overloaded" included) with exponential
backoff and honours `retry-after`; we set how many times and how long a call may take, and turn
a final failure into `LanguageModelUnavailable`, which agents answer with their fallback text.
`anthropic` costs about 1.5 s to import, so only the chat function loads this module (at init,
where SnapStart snapshots it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from chatapp.agent_runtime.interface import LanguageModelUnavailable
from chatapp.config import get_settings
from chatapp.errors import DomainError
from chatapp.integrations.secrets import secret_json
from chatapp.observability import logger, milliseconds

_client: Any = None
_lock = threading.Lock()


class AnswererMisconfigured(DomainError):
    code = "answerer_misconfigured"


def _api_key() -> str:
    settings = get_settings()
    if settings.anthropic_api_key:
        return settings.anthropic_api_key
    if settings.anthropic_api_key_secret_arn:
        return str(secret_json(settings.anthropic_api_key_secret_arn)["api_key"])
    raise AnswererMisconfigured("ANSWERER=anthropic needs ANTHROPIC_API_KEY or its secret.")


def anthropic_client() -> Any:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                import anthropic

                settings = get_settings()
                _client = anthropic.Anthropic(
                    api_key=_api_key(),
                    base_url=settings.anthropic_base_url,
                    max_retries=settings.llm_max_retries,
                    timeout=settings.llm_timeout_seconds,
                )
    return _client


def reset_client() -> None:
    """Forget the client (tests that change settings; SnapStart restores keep it: HTTP pools reconnect)."""
    global _client
    with _lock:
        _client = None


class ClaudeModel:
    """The `LanguageModel` agent packages call."""

    def __init__(self, timeout_seconds: float | None = None, max_retries: int | None = None) -> None:
        self._options: dict[str, Any] = {}
        if timeout_seconds:
            self._options["timeout"] = timeout_seconds
        if max_retries is not None:  # 0 when a time budget must hold
            self._options["max_retries"] = max_retries

    def _client(self) -> Any:
        client = anthropic_client()
        return client.with_options(**self._options) if self._options else client

    def stream(self, **request: Any) -> ClaudeStream:
        return ClaudeStream(self._client(), request)

    def create(self, **request: Any) -> Any:
        import anthropic

        client = self._client()
        started = time.perf_counter()
        try:
            response = client.messages.create(**request)
        except (anthropic.APITimeoutError, anthropic.APIConnectionError, anthropic.APIStatusError) as error:
            status = getattr(error, "status_code", None)
            logger.warning(
                "language model unavailable", extra={"error_type": type(error).__name__, "status": status}
            )
            raise LanguageModelUnavailable(type(error).__name__) from None
        milliseconds("LanguageModelLatency", (time.perf_counter() - started) * 1000)
        return response

    def complete(self, *, model: str, system: str, prompt: str, max_tokens: int) -> str:
        """One user turn, the reply's text (stripped). Raises `LanguageModelUnavailable`."""
        response = self.create(
            model=model, max_tokens=max_tokens, system=system, messages=[{"role": "user", "content": prompt}]
        )
        return "".join(getattr(block, "text", "") for block in response.content).strip()


class ClaudeStream:
    """`messages.stream` as a `ModelStream`. The SDK retries opening the stream as it retries any
    call; a stream that breaks off after text was sent is not retried (the customer saw the text),
    it raises `LanguageModelUnavailable` and the agent answers with its fallback."""

    def __init__(self, client: Any, request: dict[str, Any]) -> None:
        self._client = client
        self._request = request
        self.response: Any = None

    def __iter__(self) -> Iterator[str]:
        import anthropic

        started = time.perf_counter()
        try:
            with self._client.messages.stream(**self._request) as stream:
                yield from stream.text_stream
                self.response = stream.get_final_message()
        except anthropic.APIError as error:
            status = getattr(error, "status_code", None)
            logger.warning(
                "language model stream broke off",
                extra={"error_type": type(error).__name__, "status": status},
            )
            raise LanguageModelUnavailable(type(error).__name__) from None
        milliseconds("LanguageModelLatency", (time.perf_counter() - started) * 1000)
