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
from causerie.services.media import MediaService
from causerie.services.messages import MessageService
from causerie.services.moderation import ModerationService
from causerie.services.presence import PresenceService
from causerie.services.rooms import RoomService
from causerie.services.safety import SafetyService
from causerie.services.social import SocialService
from causerie.services.throttle import Throttle
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
