"""One Logger, Tracer and Metrics for every function; names and levels come from template Globals."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

# Powertools warns on every invocation that records no metric besides the cold start.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Buzzi")

LambdaHandler = Callable[[dict[str, Any], Any], Any]


def observed(handler: LambdaHandler) -> LambdaHandler:
    """Wrap a Lambda handler with structured logging context, tracing and metrics flushing."""
    wrapped = tracer.capture_lambda_handler(handler)
    wrapped = metrics.log_metrics(wrapped, capture_cold_start_metric=True)
    return logger.inject_lambda_context(wrapped, clear_state=True)
