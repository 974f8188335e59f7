"""WebSocket framing (RFC 6455), server side, sans I/O: parse client frames, build server frames.

May import: stdlib, ``websockets.speedups`` (C unmasking).

``FrameParser.feed`` takes bytes as they arrive and returns what is complete: data messages
(fragments reassembled) and control frames, in order. A protocol violation stops the parser and is
left in ``error`` (the close code to fail the connection with): client frames must be masked
(1002), reserved bits unset (1002, no extension is negotiated), opcodes known (1002), control frames
unfragmented and at most 125 bytes (1002), continuations must continue something (1002), text must
be UTF-8 (1007), and a message longer than ``max_size`` is refused on its declared length, before
its payload is read (1009). Server frames are unmasked, so one framed ``bytes`` serves every
recipient of the same payload (``text_frame``).
"""

from __future__ import annotations

import struct

from websockets.speedups import apply_mask as _apply_mask  # C XOR, shipped with websockets

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA = (CONT, TEXT, BINARY)
_CONTROL = (CLOSE, PING, PONG)
_H16 = struct.Struct("!BBH")
_H64 = struct.Struct("!BBQ")


class ProtocolError(Exception):
    """A client broke the protocol: fail the connection with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class FrameParser:
    """Incremental parser of masked client frames into ``(opcode, payload)`` items.

    Items are ``(TEXT, str)`` and ``(BINARY, bytes)`` for complete messages, and ``(CLOSE, bytes)``,
    ``(PING, bytes)``, ``(PONG, bytes)`` for control frames (which may arrive between fragments).
    """

    __slots__ = ("_buf", "_opcode", "_parts", "_size", "error", "max_size")

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.error: ProtocolError | None = None
        self._buf = b""
        self._parts: list[bytes] | None = None  # fragments of the message being received
        self._opcode = 0  # its opcode (TEXT or BINARY) while fragments arrive
        self._size = 0

    def feed(self, data: bytes) -> list[tuple[int, str | bytes]]:
        """Parse what arrived; complete items in order. After an error, nothing more is parsed."""
        if self.error is not None:
            return []
        buf = self._buf + data if self._buf else data
        out: list[tuple[int, str | bytes]] = []
        pos = 0
        end = len(buf)
        try:
            while end - pos >= 2:
                b0 = buf[pos]
                b1 = buf[pos + 1]
                fin = b0 & 0x80
                opcode = b0 & 0x0F
                length = b1 & 0x7F
                head = 2
                if length == 126:
                    if end - pos < 4:
                        break
                    length = (buf[pos + 2] << 8) | buf[pos + 3]
                    head = 4
                elif length == 127:
                    if end - pos < 10:
                        break
                    length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                    head = 10
                self._check_header(b0, b1, fin, opcode, length)
                start = pos + head + 4
                if end - start < length:
                    break
                payload = _apply_mask(buf[start : start + length], buf[pos + head : start]) if length else b""
                pos = start + length
                item = self._frame(fin, opcode, payload)
                if item is not None:
                    out.append(item)
        except ProtocolError as exc:
            self.error = exc
            self._buf = b""
            self._parts = None
            return out
        self._buf = buf[pos:] if pos < end else b""
        return out

    def _check_header(self, b0: int, b1: int, fin: int, opcode: int, length: int) -> None:
        if b0 & 0x70:
            raise ProtocolError(1002, "reserved bits must be 0")
        if not b1 & 0x80:
            raise ProtocolError(1002, "client frames must be masked")
        if opcode >= 0x8:
            if opcode not in _CONTROL:
                raise ProtocolError(1002, "unknown opcode")
            if not fin:
                raise ProtocolError(1002, "fragmented control frame")
            if length > 125:
                raise ProtocolError(1002, "control frame too long")
            return
        if opcode not in _DATA:
            raise ProtocolError(1002, "unknown opcode")
        if opcode == CONT:
            if self._parts is None:
                raise ProtocolError(1002, "unexpected continuation frame")
        elif self._parts is not None:
            raise ProtocolError(1002, "expected a continuation frame")
        if (self._size if opcode == CONT else 0) + length > self.max_size:
            raise ProtocolError(1009, "message too big")

    def _frame(self, fin: int, opcode: int, payload: bytes) -> tuple[int, str | bytes] | None:
        if opcode >= 0x8:
            if opcode == CLOSE:
                parse_close(payload)  # raises on a malformed close frame
            return opcode, payload
        if opcode == CONT:
            assert self._parts is not None
            self._parts.append(payload)
            self._size += len(payload)
            if not fin:
                return None
            opcode, payload = self._opcode, b"".join(self._parts)
            self._parts, self._size, self._opcode = None, 0, 0
        elif not fin:
            self._parts, self._size, self._opcode = [payload], len(payload), opcode
            return None
        if opcode == TEXT:
            try:
                return TEXT, payload.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError(1007, "invalid UTF-8 in a text message") from None
        return BINARY, payload


def parse_close(payload: bytes) -> tuple[int, str]:
    """The code and reason of a close frame (1005: no code); ``ProtocolError`` if malformed."""
    if not payload:
        return 1005, ""
    if len(payload) == 1:
        raise ProtocolError(1002, "close frame with a one-byte payload")
    code = (payload[0] << 8) | payload[1]
    if not (code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014) or 3000 <= code < 5000):
        raise ProtocolError(1002, "invalid close code")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(1007, "invalid UTF-8 in a close reason") from None
    return code, reason


def frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, unfragmented server frame."""
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 65536:
        return _H16.pack(0x80 | opcode, 126, n) + payload
    return _H64.pack(0x80 | opcode, 127, n) + payload


def text_frame(payload: bytes) -> bytes:
    """A text frame for an encoded (UTF-8) payload."""
    return frame(TEXT, payload)


def close_frame(code: int, reason: str = "") -> bytes:
    """A close frame; 1005 (no status) is sent as an empty close frame, as RFC 6455 requires."""
    if code == 1005:
        return frame(CLOSE, b"")
    text = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")  # whole characters
    return frame(CLOSE, code.to_bytes(2, "big") + text)
