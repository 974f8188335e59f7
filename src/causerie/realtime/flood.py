"""Frame-rate limit of one WebSocket connection (docs/limits.md).

May import: stdlib, ``causerie.domain``, ``causerie.errors``, ``causerie.protocol``.

Every client frame takes a token from the connection's bucket (``ws_frame_burst`` tokens, refilled at
``ws_frames_per_second``), whatever its type, so cheap frames (ping, typing, history, join) cannot be
used to make the server work without bound. A frame without a token is not processed: the client
gets ``rate_limited`` with ``retry_after``. A client that goes on sending into an empty bucket
(``ws_max_refused_frames`` refusals in a row) is a flooder: ``frame_flood``, then close 1008.
Messages have their own, stricter, per-user bucket in ``services.messages``.
"""

from __future__ import annotations

from causerie.domain.entities import TokenBucket
from causerie.errors import CauserieError, ErrorCode
from causerie.protocol.codec import decode_frame


class FrameGate:
    __slots__ = ("_bucket", "_max_refused", "refused")  # one per connection

    def __init__(self, burst: int, per_second: float, max_refused: int) -> None:
        self._bucket = TokenBucket(float(burst), per_second)
        self._max_refused = max_refused
        self.refused = 0  # refusals since the last admitted frame

    def admit(self, now: float) -> CauserieError | None:
        """None if the frame may be processed, else the refusal to send (``frame_flood`` closes)."""
        wait = self._bucket.take(now)
        if wait <= 0:
            self.refused = 0
            return None
        self.refused += 1
        if self.refused > self._max_refused:
            return CauserieError(ErrorCode.FRAME_FLOOD)
        return CauserieError(ErrorCode.RATE_LIMITED, retry_after=round(min(wait, 3600.0), 2))


def frame_ref(data: str | bytes) -> str | None:
    """The ``client_id`` or ``ref`` of a refused frame, so the client knows which one it was."""
    try:
        frame = decode_frame(data)
    except CauserieError:
        return None
    ref = getattr(frame, "client_id", None) or getattr(frame, "ref", None)
    return ref if isinstance(ref, str) else None
