"""Decode client frames and encode server events, once, with msgspec.

May import: stdlib, msgspec, ``causerie.errors``, ``causerie.protocol.messages``.

A server frame carries one or more events, one JSON object per line (``\\n``-separated). JSON never
contains a raw newline, so clients split on ``\\n``. This lets the realtime hub coalesce what a
room produced during one event-loop turn into one write per connection.
"""

from __future__ import annotations

import msgspec

from causerie.errors import CauserieError, ErrorCode
from causerie.protocol.messages import ClientFrame, ServerEvent

_decoder: msgspec.json.Decoder[ClientFrame] = msgspec.json.Decoder(ClientFrame)
_encoder = msgspec.json.Encoder()
_event_decoder: msgspec.json.Decoder[ServerEvent] = msgspec.json.Decoder(ServerEvent)


def decode_frame(data: bytes | str) -> ClientFrame:
    """Decode one client frame, or raise ``CauserieError(BAD_FRAME)`` with a safe explanation."""
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise CauserieError(ErrorCode.BAD_FRAME, f"Malformed frame: {exc}") from None
    except msgspec.DecodeError:
        raise CauserieError(ErrorCode.BAD_FRAME, "Malformed frame: not valid JSON") from None
    except RecursionError:  # msgspec skipping a deeply nested value (frames are flat structs)
        raise CauserieError(ErrorCode.BAD_FRAME, "Malformed frame: nested too deeply") from None


def encode_event(event: ServerEvent) -> bytes:
    """Encode one server event to JSON bytes (no trailing newline)."""
    return _encoder.encode(event)


def decode_events(data: bytes | str) -> list[ServerEvent]:
    """Split a server frame into its events (used by tests and the benchmark's clients)."""
    if isinstance(data, str):
        data = data.encode()
    return [_event_decoder.decode(line) for line in data.split(b"\n") if line]
