"""One Logger, Tracer and Metrics for every function; names and levels come from template Globals.

`correlate` puts the company, agent and conversation (whatever is known) on every later log line of
the invocation, so one conversation's trail can be followed across functions. `count` and
`milliseconds` record the figures an operator pages on as CloudWatch metrics (EMF): turns answered,
escalations, ingest failures, webhook delivery failures and the language model's latency.

The Tracer imports the X-Ray SDK (and botocore with it, about 140 ms), so it is built only
where traces can be sent: inside Lambda with tracing on. There it is built at import, which
SnapStart snapshots; locally and in tests it is never imported.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

# Powertools warns on every invocation that records no metric besides the cold start.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics(namespace="Buzzi")

LambdaHandler = Callable[[dict[str, Any], Any], Any]


CORRELATION_KEYS = ("company_id", "user_id", "agent_id", "conversation_id", "file_id", "message_id")


def correlate(**ids: Any) -> None:
    """Log keys for the rest of this invocation (cleared by `observed` at the next one)."""
    unknown = set(ids) - set(CORRELATION_KEYS)
    if unknown:
        raise ValueError(f"not a correlation key: {sorted(unknown)}")
    logger.append_keys(**{name: str(value) for name, value in ids.items() if value is not None})


def uncorrelate() -> None:
    """Between the records of one batch: one record's ids must not label the next one's lines."""
    logger.remove_keys(list(CORRELATION_KEYS))


def count(name: str, value: float = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def milliseconds(name: str, value: float) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in {"1", "true", "yes", "on"}
    in_lambda = bool(os.environ.get("LAMBDA_TASK_ROOT")) and not os.environ.get("AWS_SAM_LOCAL")
    return in_lambda and not disabled


@lru_cache(maxsize=1)
def tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer()


_BEFORE_RETURN: list[Callable[[], None]] = []


def before_return(hook: Callable[[], None]) -> None:
    """Run `hook` at the end of every observed invocation: work a module started in the background
    (inbox events after commit) must finish before Lambda freezes the container."""
    if hook not in _BEFORE_RETURN:
        _BEFORE_RETURN.append(hook)


def _finishing(handler: LambdaHandler) -> LambdaHandler:
    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            for hook in _BEFORE_RETURN:
                try:
                    hook()
                except Exception as error:  # never fail a request for background bookkeeping
                    logger.warning("before-return hook failed", extra={"error_type": type(error).__name__})

    return run


def observed(handler: LambdaHandler) -> LambdaHandler:
    """Wrap a Lambda handler with structured logging context, tracing and metrics flushing."""
    handler = _finishing(handler)
    wrapped = tracer().capture_lambda_handler(handler) if tracing_enabled() else handler
    wrapped = metrics.log_metrics(wrapped, capture_cold_start_metric=True)
    return logger.inject_lambda_context(wrapped, clear_state=True)
