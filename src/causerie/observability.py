"""Prometheus metrics and logging set-up, shared by every layer.

May import: stdlib, prometheus-client, structlog.
"""

from __future__ import annotations

import logging
import sys

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

CONNECTIONS = Gauge("causerie_connections", "Open WebSocket connections on this node.", registry=REGISTRY)
MESSAGES = Counter("causerie_messages_stored_total", "Messages stored (acknowledged).", registry=REGISTRY)
ERRORS = Counter("causerie_errors_total", "Refusals sent to clients, by error code.", ["code"], registry=REGISTRY)
FRAMES = Counter("causerie_frames_received_total", "Client frames received, by type.", ["type"], registry=REGISTRY)
SEND_LATENCY = Histogram(
    "causerie_send_seconds",
    "Time from a send frame to its ack (includes the group commit).",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
DELIVERIES = Gauge("causerie_deliveries", "Events pushed to connections since start.", registry=REGISTRY)
RETENTION_DELETED = Counter(
    "causerie_retention_deleted_total",
    "Rows deleted by the retention purge, by kind of data.",
    ["kind"],
    registry=REGISTRY,
)
RETENTION_RUNS = Counter("causerie_retention_runs_total", "Retention purges completed.", registry=REGISTRY)
CONNECTION_RECORDS = Counter(
    "causerie_connection_records_written_total", "WebSocket connection records written.", registry=REGISTRY
)
CONNECTION_RECORDS_DROPPED = Counter(
    "causerie_connection_records_dropped_total",
    "WebSocket connection records dropped because the write queue was full (records_queue_max).",
    registry=REGISTRY,
)
MEDIA_DECODES_PEAK = Gauge(
    "causerie_media_decodes_peak", "Most pictures decoded at once on this node since start.", registry=REGISTRY
)
MEDIA_DECODE_WAITS = Counter(
    "causerie_media_decode_waits_total",
    "Uploads that waited for a decoding slot (media_decode_concurrency reached).",
    registry=REGISTRY,
)


def _drop_client_noise(record: logging.LogRecord) -> bool:
    """uvicorn logs a traceback for every text frame with invalid UTF-8 (then closes with 1007, as it
    should): any client could fill the logs with them. The client's fault is not the server's error."""
    return record.getMessage() != "Invalid UTF-8 sequence received from client."


def setup_logging(level: str, json_logs: bool) -> None:
    """Structured logs on stderr. Message bodies and secrets are never logged at info level."""
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(message)s")
    logging.getLogger("uvicorn.error").addFilter(_drop_client_noise)
    processors: list[structlog.types.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
