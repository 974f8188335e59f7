"""Sessions that end close their sockets: a logout, or the oldest session pushed out by
``max_sessions_per_account``, on any node.

May import: stdlib, ``causerie.realtime``, ``causerie.services``, ``causerie.broker.base``, ``causerie.ids``.

``services.accounts`` publishes each ended session on the broker topic ``sessions.ended``; every node,
this one included, drops it from its session cache (``AccountService``) and closes here, with 4001
``not_authenticated``, the connections it holds that authenticated with that token.
"""

from __future__ import annotations

import json
import logging

from causerie.broker.base import Broker
from causerie.errors import ErrorCode
from causerie.ids import AccountId
from causerie.realtime.hub import Hub
from causerie.services.accounts import SESSIONS_TOPIC

log = logging.getLogger(__name__)


class SessionEnds:
    def __init__(self, hub: Hub, broker: Broker) -> None:
        self._hub = hub
        broker.subscribe(SESSIONS_TOPIC, self._on_note)

    def _on_note(self, data: bytes) -> None:
        try:
            note = json.loads(data)
            ended = {str(d) for d in note["tokens"]}
            account = note["account"]
        except (ValueError, KeyError, TypeError):
            log.warning("malformed session note ignored")
            return
        if ended and account is not None:
            self.close(AccountId(int(account)), ended)

    def close(self, account: AccountId, ended: set[str]) -> int:
        """Close this node's connections of ``account`` opened with one of the ``ended`` tokens."""
        code = ErrorCode.NOT_AUTHENTICATED
        closed = 0
        for conn in self._hub.account_connections(account):
            if getattr(conn, "token_hash", None) in ended:  # any transport (AsgiOutbound, FastConnection)
                conn.close(code.close_code or 4001, code.value)
                closed += 1
        return closed
