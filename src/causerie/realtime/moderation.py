"""Live effects of moderation on this node's connections: kick from a room, close a banned account's
sockets, empty a closed room.

May import: stdlib, ``causerie.realtime``, ``causerie.services``, ``causerie.broker.base``, ``causerie.ids``.

``services.moderation`` publishes each effect on the broker topic ``moderation.live`` after the
decision is committed (and after the statement of reasons was published to the user, so it arrives
first); every node, this one included, applies it to the connections it holds.
"""

from __future__ import annotations

import json
import logging

from causerie.broker.base import Broker
from causerie.ids import AccountId, RoomId
from causerie.realtime.connection import Session
from causerie.realtime.hub import Hub
from causerie.services.moderation import LIVE_TOPIC

log = logging.getLogger(__name__)


class LiveModeration:
    def __init__(self, hub: Hub, broker: Broker) -> None:
        self._hub = hub
        broker.subscribe(LIVE_TOPIC, self._on_note)

    def _on_note(self, data: bytes) -> None:
        try:
            note = json.loads(data)
            op = note["op"]
            if op == "kick":
                self.kick(AccountId(int(note["account"])), RoomId(int(note["room"])))
            elif op == "close":
                self.close(AccountId(int(note["account"])), int(note["code"]), str(note["reason"]))
            elif op == "close_room":
                self.empty_room(RoomId(int(note["room"])))
        except (ValueError, KeyError, TypeError):
            log.warning("malformed moderation note ignored")

    def kick(self, account: AccountId, room: RoomId) -> None:
        """Every connection of ``account`` on this node leaves ``room`` now."""
        for conn in self._hub.account_connections(account):
            session = getattr(conn, "session", None)  # any transport: AsgiOutbound, FastConnection
            if isinstance(session, Session):
                session.force_leave(room)

    def close(self, account: AccountId, code: int, reason: str) -> None:
        """Close every connection of ``account`` on this node (after what is already queued for it)."""
        for conn in self._hub.account_connections(account):
            conn.close(code, reason)

    def empty_room(self, room: RoomId) -> None:
        for account in self._hub.online_accounts():
            self.kick(account, room)
