"""The bundle of services a transport needs (built by ``bootstrap.build``).

May import: the services, ``causerie.storage.base``, ``causerie.broker.base``, ``causerie.clock``,
``causerie.config``.
"""

from __future__ import annotations

from dataclasses import dataclass

from causerie.broker.base import Broker
from causerie.clock import Clock
from causerie.config import Settings
from causerie.services.accounts import AccountService
from causerie.services.audit import AuditService
from causerie.services.flood import FloodControl
from causerie.services.humancheck import HumanCheck
from causerie.services.legal import LegalService
from causerie.services.media import MediaService
from causerie.services.messages import MessageService
from causerie.services.moderation import ModerationService
from causerie.services.presence import PresenceService
from causerie.services.privileges import PrivilegeService
from causerie.services.records import ConnectionRecorder
from causerie.services.retention import LegalHolds, RetentionService
from causerie.services.rooms import RoomService
from causerie.services.safety import SafetyService
from causerie.services.safety_rules import RuleAdmin
from causerie.services.social import SocialService
from causerie.services.throttle import Throttle
from causerie.services.transparency import TransparencyService
from causerie.storage.base import Store


@dataclass
class Services:
    settings: Settings
    clock: Clock
    store: Store
    broker: Broker
    accounts: AccountService
    presence: PresenceService
    rooms: RoomService
    social: SocialService
    messages: MessageService
    moderation: ModerationService
    audit: AuditService
    throttle: Throttle  # per-address and per-login limits (hardening)
    media: MediaService | None = None  # pictures (issue 6)
    safety: SafetyService | None = None  # rules engine and risk signals (issue 5)
    retention: RetentionService | None = None  # the retention purge (issue 7)
    holds: LegalHolds | None = None  # legal holds (issue 7)
    records: ConnectionRecorder | None = None  # WebSocket connection records (issue 7)
    flood: FloodControl | None = None  # per-address, new-people, join, report buckets; repeats (issue 5)
    privileges: PrivilegeService | None = None  # progressive privileges of new accounts (issue 5)
    human_check: HumanCheck | None = None  # proof-of-work on guest entry (issue 5)
    rule_admin: RuleAdmin | None = None  # rule packs edited by an administrator (issue 5)
    legal: LegalService | None = None  # evidence exports, art. 18 reports, trusted flaggers, GDPR (issue 7B)
    transparency: TransparencyService | None = None  # DSA transparency records and report (issue 7B)
