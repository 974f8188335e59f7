"""The human check on guest entry: a self-hosted proof-of-work challenge (no third-party service).

May import: stdlib, ``causerie.broker.base``, ``causerie.clock``, ``causerie.config``, ``causerie.errors``,
the other services (types only).

1. ``GET /api/v1/session/challenge`` — the server issues ``<expires_ms>.<difficulty>.<salt>.<mac>``,
   where ``mac`` is an HMAC-SHA-256 (key ``human_check_secret``) of the first three fields: nothing
   is stored when a challenge is issued, and any node can verify it.
2. The client finds a ``nonce`` such that ``SHA-256(challenge + ":" + nonce)`` starts with
   ``difficulty`` zero bits (in the browser with ``crypto.subtle``: about 2^difficulty hashes).
3. ``POST /api/v1/session/guest`` carries ``challenge`` and ``nonce``; the server checks the MAC,
   the expiry and one hash (microseconds), then spends the challenge: a single-use bucket in the
   ``RateLimiter`` (in Redis with several nodes), so a solution cannot be replayed.

The check is required when ``human_check`` is on, or while the emergency level is at least
``human_check_emergency_level``. A missing solution is ``human_check_required``; a wrong, expired,
forged or replayed one is ``human_check_failed``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from causerie.broker.base import RateLimiter
from causerie.clock import Clock
from causerie.config import Settings
from causerie.errors import CauserieError, ErrorCode

if TYPE_CHECKING:
    from causerie.services.moderation import ModerationService

MAX_NONCE_CHARS = 32


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str, difficulty: int) -> str:
    """A nonce for ``challenge`` (what the browser does; for tests and scripted clients)."""
    prefix = (challenge + ":").encode()
    n = 0
    while leading_zero_bits(hashlib.sha256(prefix + str(n).encode()).digest()) < difficulty:
        n += 1
    return str(n)


class HumanCheck:
    def __init__(self, settings: Settings, clock: Clock, limiter: RateLimiter) -> None:
        self._settings = settings
        self._clock = clock
        self._limiter = limiter
        secret = settings.human_check_secret
        self._key = secret.get_secret_value().encode() if secret is not None else secrets.token_bytes(32)
        self.moderation: ModerationService | None = None  # the emergency level

    def required(self) -> bool:
        if self._settings.human_check:
            return True
        if self.moderation is None:
            return False
        level = self.moderation.emergency().level
        return level > 0 and level >= self._settings.human_check_emergency_level

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> dict[str, object]:
        """A new challenge, its difficulty and when it expires (ms since the epoch)."""
        s = self._settings
        expires = int((self._clock.now() + s.human_check_ttl_seconds) * 1000)
        difficulty = max(0, min(s.human_check_difficulty, 32))
        body = f"{expires}.{difficulty}.{secrets.token_hex(12)}"
        return {
            "challenge": f"{body}.{self._mac(body)}",
            "difficulty": difficulty,
            "expires": expires,
            "required": self.required(),
        }

    async def verify(self, challenge: str | None, nonce: str | None) -> None:
        """Check a solution and spend its challenge; raises when the check is required and fails."""
        if not self.required():
            return
        if not challenge or nonce is None:
            raise CauserieError(ErrorCode.HUMAN_CHECK_REQUIRED)
        failed = CauserieError(ErrorCode.HUMAN_CHECK_FAILED)
        parts = challenge.split(".")
        if len(parts) != 4 or len(nonce) > MAX_NONCE_CHARS or len(challenge) > 200:
            raise failed
        expires_text, difficulty_text, salt, mac = parts
        if not hmac.compare_digest(mac, self._mac(f"{expires_text}.{difficulty_text}.{salt}")):
            raise failed
        try:
            expires, difficulty = int(expires_text), int(difficulty_text)
        except ValueError:
            raise failed from None
        now = self._clock.now()
        if now * 1000 > expires:
            raise failed
        digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
        if leading_zero_bits(digest) < difficulty:
            raise failed
        # single use: the first spend takes the only token; it refills after the challenge expired
        ttl = max(1.0, expires / 1000 - now)
        if await self._limiter.take(f"pow:{salt}", 1, 1.0 / (ttl + 60.0)) > 0:
            raise failed
