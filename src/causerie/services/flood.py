"""Flood control on the message path: per-account and per-address buckets, repeated messages.

May import: stdlib, ``causerie.broker.base``, ``causerie.config``, ``causerie.domain``, ``causerie.errors``,
``causerie.ids``, ``causerie.safety``, ``causerie.services.throttle``.

Every limit is a token bucket in the ``RateLimiter`` port (in Redis when several nodes run, so the
limits hold across nodes; see ``docs/limits.md``). Addresses are bucketed like the entry throttles
(IPv4 /32, IPv6 /64; ``ip_limits_exempt`` networks are not counted by address).

- ``message``: the per-address message bucket (the per-account one is ``MessageService.check_rate``),
  then, for a private message that opens a conversation with someone the sender never exchanged
  with, the *new people* buckets (per account and per address), then repeated-message detection.
- ``join``: room joins per account and per address.
- ``report``: reports per account and per address (never for child-safety reports).

**Repeated messages.** The same text, normalised (case, accents, look-alike letters, leetspeak,
repeated letters and separators removed: ``A-C-H-E-T-E-Z``, ``achetez !!`` and ``ACHETEZ`` are
one text; :func:`repeat_key`), sent by one account more than ``repeat_message_max`` times within
``repeat_message_window`` seconds — across rooms and private conversations — is refused with
``repeated_message`` and the time until it may be sent again. The bucket key is a hash of the
normalised text, so nothing of the message is kept.
"""

from __future__ import annotations

import functools
import hashlib
import re

from causerie.broker.base import RateLimiter
from causerie.config import Settings
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId
from causerie.safety.normalize import to_plain
from causerie.services.throttle import Throttle, address_bucket

_LEET_MAP = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_LEET = str.maketrans(_LEET_MAP)
_NOT_LETTERS = re.compile(r"[\W_]+")
_RUNS = re.compile(r"(.)\1+")
# The same for ASCII text, on bytes: one C call maps leetspeak and drops what is not a letter or a
# digit, and a run of one character loses all but its last (no replacement template to expand).
_LEET_BYTES = bytes(ord(_LEET_MAP.get(chr(c), chr(c))) for c in range(256))
_NOT_ALNUM_BYTES = bytes(c for c in range(128) if not (chr(c).isalnum() or chr(c) in _LEET_MAP))
_RUNS_BYTES = re.compile(rb"(.)(?=\1)")


def repeat_key(text: str) -> str | None:
    """The fingerprint of a text for repeat detection (None: nothing left to count).

    The ``plain`` form of the rules engine (case folded, accents and invisible characters removed,
    look-alike letters mapped), leetspeak digits as letters, everything but letters removed and
    repeated letters collapsed — a few microseconds, not the engine's full normalisation.
    """
    plain = to_plain(text)
    if plain.isascii():
        b = plain.encode().translate(_LEET_BYTES, _NOT_ALNUM_BYTES)
        if _RUNS_BYTES.search(b) is not None:
            b = _RUNS_BYTES.sub(b"", b)
        return b.decode() or None
    s = _NOT_LETTERS.sub("", plain.translate(_LEET))
    return _RUNS.sub(r"\1", s) or None


class FloodControl:
    def __init__(self, settings: Settings, limiter: RateLimiter, throttle: Throttle) -> None:
        self._settings = settings
        self._limiter = limiter
        self._throttle = throttle

    async def _take(self, key: str, count: float, window: float, code: ErrorCode) -> None:
        if count <= 0:  # a limit of 0 refuses everything (an operator closing a door)
            raise CauserieError(code, retry_after=round(window, 1))
        wait = await self._limiter.take(key, count, count / window)
        if wait > 0:
            raise CauserieError(code, retry_after=round(max(wait, 0.1), 1))

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one instance per process; a connection's address is fixed
    def _address(self, host: str | None) -> str | None:
        """The address bucket, or None when the address is exempt or unknown (in-process calls)."""
        if host is None or self._throttle.exempt(host):
            return None
        return address_bucket(host)

    async def trusted_notice(self, flagger_id: int) -> None:
        """A trusted flagger's key: a generous bucket so a leaked or runaway key cannot flood the queue."""
        await self._take(
            f"notice:flagger:{flagger_id}", self._settings.trusted_notices_per_hour, 3600.0, ErrorCode.RATE_LIMITED
        )

    async def message(self, account: AccountId, host: str | None, text: str, *, new_dm: bool) -> None:
        """Before a message is queued: address bucket, new-people buckets, repeated text."""
        s = self._settings
        bucket = self._address(host)
        if bucket is not None:
            wait = await self._limiter.take(
                f"msg:ip:{bucket}", s.rate_message_per_ip_burst, s.rate_message_per_ip_per_second
            )
            if wait > 0:
                raise CauserieError(ErrorCode.RATE_LIMITED, retry_after=round(wait, 2))
        if new_dm:
            await self._take(f"newdm:{account}", s.new_dms_per_account, s.new_dms_window, ErrorCode.TOO_MANY_NEW_DMS)
            if bucket is not None:
                await self._take(f"newdm:ip:{bucket}", s.new_dms_per_ip, s.new_dms_window, ErrorCode.TOO_MANY_NEW_DMS)
        await self.repeated(account, text)

    async def repeated(self, account: AccountId, text: str) -> None:
        s = self._settings
        if s.repeat_message_max <= 0 or len(text) < s.repeat_message_min_chars:
            return
        key = repeat_key(text)
        if key is None or len(key) < s.repeat_message_min_chars:
            return
        digest = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        await self._take(
            f"rep:{account}:{digest}", s.repeat_message_max, s.repeat_message_window, ErrorCode.REPEATED_MESSAGE
        )

    async def join(self, account: AccountId, host: str | None) -> None:
        s = self._settings
        await self._take(f"join:{account}", s.room_joins_per_account, s.room_joins_window, ErrorCode.TOO_MANY_JOINS)
        bucket = self._address(host)
        if bucket is not None:
            await self._take(f"join:ip:{bucket}", s.room_joins_per_ip, s.room_joins_window, ErrorCode.TOO_MANY_JOINS)

    async def report(self, account: AccountId | None, host: str | None, *, child_safety: bool) -> None:
        """Reports per account and per address; a child-safety report is never turned away."""
        if child_safety:
            return
        s = self._settings
        if account is not None:
            wait = await self._limiter.take(
                f"report:{account}", s.report_burst_per_account, max(s.reports_per_hour, 0) / 3600.0
            )
            if wait > 0:
                raise CauserieError(ErrorCode.TOO_MANY_REPORTS, retry_after=round(max(wait, 1.0), 1))
        bucket = self._address(host)
        if bucket is not None:
            await self._take(f"report:ip:{bucket}", s.reports_per_ip_per_hour, 3600.0, ErrorCode.TOO_MANY_REPORTS)
