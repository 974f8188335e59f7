"""Wire messages of the WebSocket protocol, version 1 (see docs/protocol.md, which is normative).

May import: stdlib, msgspec, ``causerie.errors``.

Every client frame and server event is a ``msgspec.Struct`` tagged by its ``type`` field. Client
frames forbid unknown fields (a typo is an error, not silently ignored). Server events omit fields
that hold their default, so frames stay small.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

PROTOCOL_VERSION = 1

# Integers a client sends must fit the database's 64-bit columns: a larger one is a bad frame, not
# an overflow deep in the storage layer.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class _Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True):
    pass


class _Event(msgspec.Struct, tag_field="type", omit_defaults=True):
    pass


# ---------------------------------------------------------------------------------------------
# Client → server
# ---------------------------------------------------------------------------------------------


class Hello(_Frame, tag="hello"):
    v: Int64 = PROTOCOL_VERSION
    token: str | None = None
    lang: Literal["fr", "en"] | None = None


class Join(_Frame, tag="join"):
    room: str
    since: Int64 | None = None
    ref: str | None = None


class Leave(_Frame, tag="leave"):
    room: str


class Send(_Frame, tag="send"):
    client_id: str
    text: str
    room: str | None = None
    to: str | None = None  # nickname: a private message (the server opens the conversation)
    reply_to: Int64 | None = None  # seq of a message in the same room
    media: str | None = None  # id of a picture uploaded with POST /api/v1/media (docs/protocol.md "Pictures")


class Typing(_Frame, tag="typing"):
    room: str


class HistoryRequest(_Frame, tag="history"):
    room: str
    before: Int64 | None = None
    limit: Int64 = 50
    ref: str | None = None


class DmAccept(_Frame, tag="dm_accept"):
    room: str


class DmIgnore(_Frame, tag="dm_ignore"):
    room: str


class Ping(_Frame, tag="ping"):
    ref: str | None = None


ClientFrame = Hello | Join | Leave | Send | Typing | HistoryRequest | DmAccept | DmIgnore | Ping


# ---------------------------------------------------------------------------------------------
# Server → client
# ---------------------------------------------------------------------------------------------


class Member(msgspec.Struct, omit_defaults=True):
    """A user as other users see them: never an email, IP or anything private."""

    id: int
    nick: str
    age: int
    gender: str
    region: str
    registered: bool = False


class RoomInfo(msgspec.Struct, omit_defaults=True):
    slug: str
    name: str
    category: str
    kind: str  # public | invite | direct
    topic: str = ""
    min_age: int = 18
    max_age: int | None = None
    owner: str | None = None
    members: int = 0
    peer: Member | None = None  # for direct conversations: the other person
    state: str | None = None  # for direct conversations: accepted | request | ignored


class ReplyRef(msgspec.Struct, omit_defaults=True):
    seq: int
    nick: str
    excerpt: str


class MediaInfo(msgspec.Struct, omit_defaults=True):
    """A picture in a message. ``blurred``: a private conversation the recipient has not accepted;
    the recipient's client shows it blurred until they choose to see it."""

    id: str
    width: int
    height: int
    url: str
    thumb: str
    blurred: bool = False


class Message(_Event, tag="message"):
    room: str
    seq: int
    id: int
    ts: int  # milliseconds since the Unix epoch, UTC
    author: Member
    text: str
    reply: ReplyRef | None = None
    mentions: list[str] = []
    to: str | None = None  # direct conversations: the recipient's nickname
    media: MediaInfo | None = None  # a picture


class Welcome(_Event, tag="welcome"):
    v: int
    me: Member
    limits: dict[str, int]
    lang: str = "fr"


class Ack(_Event, tag="ack"):
    ref: str  # the client's client_id
    room: str
    seq: int
    id: int
    ts: int
    duplicate: bool = False


class Error(_Event, tag="error"):
    code: str
    message: str
    ref: str | None = None
    retry_after: float | None = None
    until: int | None = None  # muted, banned, kicked: when the sanction ends (ms since the epoch)


class Joined(_Event, tag="joined"):
    room: RoomInfo
    members: list[Member]
    last_seq: int
    ref: str | None = None


class Left(_Event, tag="left"):
    room: str


class Presence(_Event, tag="presence"):
    room: str
    action: Literal["join", "leave"]
    member: Member


class TypingEvent(_Event, tag="typing"):
    room: str
    nick: str


class Mention(_Event, tag="mention"):
    room: str
    seq: int
    id: int
    by: str


class History(_Event, tag="history"):
    room: str
    messages: list[Message]
    more: bool = False
    ref: str | None = None
    resume: bool = False  # true when this replays what the client missed since `since`


class DmRequest(_Event, tag="dm_request"):
    room: RoomInfo


class DmState(_Event, tag="dm_state"):
    room: RoomInfo


class Counts(_Event, tag="counts"):
    rooms: dict[str, int]


class Pong(_Event, tag="pong"):
    ref: str | None = None


class Notice(_Event, tag="notice"):
    code: str
    message: str


class FriendEvent(_Event, tag="friend"):
    action: Literal["request", "accepted", "removed", "online", "offline"]
    member: Member


# -- moderation (issue 4; docs/protocol.md "Moderation") ----------------------------------------


class Removed(_Event, tag="removed"):
    """A message was removed by a moderator: clients drop it from the view and from their history."""

    room: str
    seq: int
    id: int


class StatementEvent(_Event, tag="statement"):
    """A statement of reasons (DSA art. 17) for a decision about you, in your language."""

    id: int
    kind: str  # remove_message | remove_recent | warn | mute | kick | ban | ban_ip | shadow_hide
    decision: str  # (a) what was decided, its scope and duration
    facts: str  # (b) the facts, and whether it followed a report
    source: str  # notice | own_initiative
    automated: bool  # (c)
    ground: str  # (d) the law or the rule relied on
    rule: str
    redress: str  # (e) how to contest it
    ts: int
    appeal_until: int
    until: int | None = None
    scope: str = ""


class ReportAck(_Event, tag="report_ack"):
    report: int
    message: str


class ReportOutcome(_Event, tag="report_outcome"):
    report: int
    outcome: str  # action_taken | no_action
    message: str


class Kicked(_Event, tag="kicked"):
    """You were removed from a room (a `left` follows); you may come back after ``until``."""

    room: str
    until: int | None = None


class RoomState(_Event, tag="room_state"):
    """A room's moderation settings changed (sent to its members)."""

    room: str
    slow_mode: int = 0
    locked: bool = False
    closed: bool = False
    min_account_age_minutes: int = 0
    pictures: bool = True


class CaseEvent(_Event, tag="case"):
    """For moderators: a case was opened, updated, claimed or closed."""

    id: int
    status: str
    category: str
    priority: int
    reporters: int
    reports: int
    escalated: bool = False
    assigned_to: int | None = None
    room: str | None = None
    nick: str | None = None  # the reported user (or the reported message's author)


class AppealDecided(_Event, tag="appeal_decided"):
    appeal: int
    statement: int
    status: str  # upheld | reversed
    message: str


class SafetyLevel(_Event, tag="safety_level"):
    """The operator-wide emergency level changed (0 normal … 3 lockdown)."""

    level: int
    message: str = ""


class Nudge(_Event, tag="nudge"):
    """A safety nudge for this user, at the moment of risk (e.g. a risky meet-up proposal)."""

    kind: str  # meetup_safety
    room: str
    peer: str | None = None


ServerEvent = (
    Message
    | Nudge
    | Welcome
    | Ack
    | Error
    | Joined
    | Left
    | Presence
    | TypingEvent
    | Mention
    | History
    | DmRequest
    | DmState
    | Counts
    | Pong
    | Notice
    | FriendEvent
    | Removed
    | StatementEvent
    | ReportAck
    | ReportOutcome
    | Kicked
    | RoomState
    | CaseEvent
    | AppealDecided
    | SafetyLevel
)
