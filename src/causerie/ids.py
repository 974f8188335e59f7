"""Typed identifiers, so an account id is never passed where a room id is expected.

May import: stdlib only.
"""

from typing import NewType

AccountId = NewType("AccountId", int)
RoomId = NewType("RoomId", int)
MessageId = NewType("MessageId", int)
ConnectionId = NewType("ConnectionId", int)
