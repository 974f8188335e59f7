"""The interface the hub uses to reach a connection, whatever the transport behind it.

May import: stdlib, ``causerie.ids``.

A transport (the ASGI WebSocket today; a lower-level one on the same port if the benchmark asks for
it) implements ``Outbound``. ``push`` never blocks: it appends to a bounded buffer that the
transport's writer drains; overflowing it closes the connection (slow consumer).
"""

from __future__ import annotations

from typing import Protocol

from causerie.ids import AccountId, ConnectionId


class Outbound(Protocol):
    conn_id: ConnectionId
    account_id: AccountId

    def push(self, payload: bytes) -> None:
        """Queue one or more ``\\n``-separated encoded events for this connection."""
        ...

    def close(self, code: int, reason: str) -> None:
        """Close the connection after what is already queued, with a WebSocket close code."""
        ...
