"""Abuse throttles outside the message path: sockets per client address, login and entry attempts.

May import: stdlib, ``causerie.broker.base``, ``causerie.config``, ``causerie.domain``, ``causerie.errors``.

Client addresses are grouped into buckets (:func:`address_bucket`): an IPv4 address is its own
bucket (/32), IPv6 addresses share one per /64, because one subscriber usually holds a whole /64 and
a per-address limit would be trivial to evade (SAFETY.md, "Connection flood per IP"). The address
is the one uvicorn puts in the ASGI scope: the peer's, or the X-Forwarded-For client when the peer
is one of ``trusted_proxies`` (a forged header from anyone else is ignored by uvicorn).

Rates are token buckets in the ``RateLimiter`` port (in Redis when several nodes run, so they are
shared); the concurrent-socket count is per node. Login has two buckets per key, one per minute and
one per hour, so the delay grows with persistence (20 s, then 2 min between attempts with the
defaults) without ever locking an account out. The login key is the normalised login name, whether
or not such an account exists, so throttling reveals nothing about existence.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import Counter
from collections.abc import Iterable

from causerie.broker.base import RateLimiter
from causerie.config import Settings
from causerie.domain.text import skeleton
from causerie.errors import CauserieError, ErrorCode

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_bucket(host: str | None) -> str:
    """The limit bucket of a client address: IPv4 /32, IPv6 /64 (an IPv4-mapped IPv6 is IPv4).

    Anything that is not an IP address (a Unix socket, a test client's name) is its own bucket.
    """
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def login_key(login: str) -> str:
    """A fixed-size key for a login name: an e-mail case-folded, a nickname by its skeleton (the
    lookalikes that log in to one account share its bucket: ``Alice``, ``ALICE``, ``Аlice``)."""
    login = login.strip()
    name = login.casefold() if "@" in login else "nick:" + skeleton(login)
    return hashlib.sha256(name.encode()).hexdigest()[:32]


class Throttle:
    """Per-address and per-login-name limits (see ``docs/limits.md``)."""

    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self._settings = settings
        self._limiter = limiter
        self._exempt = parse_networks(settings.ip_limits_exempt)
        self._open: Counter[str] = Counter()  # bucket -> open WebSockets on this node

    def exempt(self, host: str | None) -> bool:
        if not host or not self._exempt:
            return False
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in net for net in self._exempt)

    async def _take(self, key: str, count: float, window: float, code: ErrorCode = ErrorCode.RATE_LIMITED) -> None:
        if count <= 0:  # a limit of 0 refuses everything (an operator closing a door)
            raise CauserieError(code, retry_after=window)
        wait = await self._limiter.take(key, count, count / window)
        if wait > 0:
            raise CauserieError(code, retry_after=round(max(wait, 1.0), 1))

    # -- WebSocket connections --------------------------------------------------------------------

    async def open_socket(self, host: str | None) -> str | None:
        """Admit a new WebSocket from ``host``: the bucket to release later, or None if exempt.

        Raises ``too_many_connections`` (with ``retry_after`` for the rate) when the address has
        too many sockets open on this node or opened too many lately.
        """
        if self.exempt(host):
            return None
        s = self._settings
        bucket = address_bucket(host)
        if self._open[bucket] >= s.ws_max_connections_per_ip:
            raise CauserieError(ErrorCode.TOO_MANY_CONNECTIONS, retry_after=10.0)
        await self._take(
            f"ws:new:{bucket}", s.ws_new_connections_per_ip, s.ws_new_connections_window, ErrorCode.TOO_MANY_CONNECTIONS
        )
        self._open[bucket] += 1
        return bucket

    def close_socket(self, bucket: str | None) -> None:
        if bucket is None:
            return
        self._open[bucket] -= 1
        if self._open[bucket] <= 0:
            del self._open[bucket]

    # -- entry ------------------------------------------------------------------------------------

    async def login(self, host: str | None, login: str) -> None:
        """Count a login attempt by address and by login name; ``rate_limited`` when over."""
        s = self._settings
        if not self.exempt(host):
            bucket = address_bucket(host)
            await self._take(f"login:ip:m:{bucket}", s.login_per_ip_per_minute, 60.0)
            await self._take(f"login:ip:h:{bucket}", s.login_per_ip_per_hour, 3600.0)
        key = login_key(login)
        await self._take(f"login:acct:m:{key}", s.login_per_account_per_minute, 60.0)
        await self._take(f"login:acct:h:{key}", s.login_per_account_per_hour, 3600.0)

    async def register(self, host: str | None) -> None:
        """Count an account registration by address; ``rate_limited`` when over."""
        if not self.exempt(host):
            await self._take(
                f"register:ip:{address_bucket(host)}", self._settings.registrations_per_ip_per_hour, 3600.0
            )

    async def guest_entry(self, host: str | None) -> None:
        """Count a guest entry by address; ``rate_limited`` when over."""
        if not self.exempt(host):
            await self._take(f"guest:ip:{address_bucket(host)}", self._settings.guest_entries_per_ip_per_hour, 3600.0)
