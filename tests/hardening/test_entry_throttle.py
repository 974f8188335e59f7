"""Credential stuffing and enumeration: login, registration and guest entry are throttled per
address and per login name, with growing delays and no lockout; unknown and known accounts get
the same answers, and an unknown account still costs one Argon2 verification."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from causerie.broker.memory import MemoryRateLimiter
from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.entities import Account
from causerie.domain.text import skeleton
from causerie.errors import CauserieError, ErrorCode
from causerie.services.accounts import AccountService
from causerie.services.throttle import Throttle, address_bucket, login_key
from support.names import nick
from support.server import LiveServer

from .conftest import xff

LOGIN = "/api/v1/session/login"
PASSWORD = "une phrase de passe assez longue"


def registration(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "email": f"{name}@example.org",
        "password": PASSWORD,
        "nickname": name,
        "age": 30,
        "gender": "f",
        "region": "75",
        "accept_rules": True,
        **fields,
    }


# -- over HTTP, on the hardened server --------------------------------------------------------------


async def test_the_fourth_login_in_a_minute_gets_429_for_known_and_unknown_names(hardened: LiveServer) -> None:
    known = nick("Known")
    async with httpx.AsyncClient(base_url=hardened.base_url) as http:
        assert (await http.post("/api/v1/accounts", json=registration(known))).status_code == 201
        http.cookies.clear()
        answers: dict[str, list[httpx.Response]] = {}
        for login in (known, nick("Unknown")):
            answers[login] = [
                await http.post(LOGIN, json={"login": login, "password": "pas le bon mot de passe"}) for _ in range(4)
            ]
        # the right password does not get past the throttle either (and costs no Argon2 run)
        blocked = await http.post(LOGIN, json={"login": known, "password": PASSWORD})
        # another spelling of the same name shares its bucket
        lookalike = await http.post(LOGIN, json={"login": known.upper(), "password": PASSWORD})
    known_answers, unknown_answers = answers.values()
    for responses in (known_answers, unknown_answers):
        assert [r.status_code for r in responses] == [401, 401, 401, 429]
        assert int(responses[3].headers["retry-after"]) in range(15, 22)  # 3 per minute: one every 20 s
        assert responses[3].json()["error"]["code"] == "rate_limited"
        assert "set-cookie" not in responses[3].headers
    # identical answers whether the account exists or not
    for k, u in zip(known_answers, unknown_answers, strict=True):
        assert k.status_code == u.status_code
        assert k.json()["error"]["code"] == u.json()["error"]["code"]
        assert k.json()["error"]["message"] == u.json()["error"]["message"]
    assert known_answers[0].content == unknown_answers[0].content
    assert blocked.status_code == 429 and lookalike.status_code == 429


async def test_logins_per_address(hardened: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=hardened.base_url, headers=xff("203.0.113.40")) as http:
        statuses = [
            (await http.post(LOGIN, json={"login": nick("Spray"), "password": "x" * 20})).status_code for _ in range(11)
        ]
        other = await http.post(LOGIN, json={"login": nick("Spray"), "password": "x" * 20}, headers=xff("203.0.113.41"))
    assert statuses == [401] * 10 + [429]  # a password spray: 10 names per minute (and here per hour) per address
    assert other.status_code == 401


async def test_registrations_and_guest_entries_per_address(hardened: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=hardened.base_url) as http:
        registered = [
            (
                await http.post("/api/v1/accounts", json=registration(nick("Reg")), headers=xff("203.0.113.42"))
            ).status_code
            for _ in range(3)
        ]
        guests = [
            (
                await http.post(
                    "/api/v1/session/guest",
                    json={"nickname": nick("G"), "age": 30, "gender": "m", "region": "13", "accept_rules": True},
                    headers=xff("2001:db8:42::1"),
                )
            ).status_code
            for _ in range(4)
        ]
        refused = await http.post(
            "/api/v1/session/guest",
            json={"nickname": nick("G"), "age": 30, "gender": "m", "region": "13", "accept_rules": True},
            headers={**xff("2001:db8:42::9"), "Accept-Language": "en"},  # same /64
        )
    assert registered == [201, 201, 429]
    assert guests == [201, 201, 201, 429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
    assert refused.json()["error"] == {
        "code": "rate_limited",
        "message": "Slow down.",
        "retry_after": pytest.approx(refused.json()["error"]["retry_after"]),
    }


# -- the throttle itself, on a fake clock -------------------------------------------------------------


def throttle(**settings: Any) -> tuple[Throttle, FakeClock]:
    clock = FakeClock()
    return Throttle(Settings(**settings), MemoryRateLimiter(clock)), clock


async def attempt(t: Throttle, host: str | None, login: str) -> float:
    """0 when allowed, else the retry_after of the refusal."""
    try:
        await t.login(host, login)
    except CauserieError as exc:
        refusal = exc
    else:
        return 0.0
    assert refusal.code is ErrorCode.RATE_LIMITED and refusal.retry_after is not None
    return refusal.retry_after


async def test_delays_grow_with_persistence_and_never_lock_out() -> None:
    t, clock = throttle(ip_limits_exempt=["0.0.0.0/0", "::/0"])  # by name only
    # a patient attacker tries again as soon as it is told it may
    allowed_at: list[float] = []
    waits: list[float] = []
    start = clock.monotonic()
    while clock.monotonic() - start < 2 * 3600:
        wait = await attempt(t, None, "victim@example.org")
        if wait == 0:
            allowed_at.append(clock.monotonic() - start)
        else:
            waits.append(wait)
            clock.advance(wait + 0.01)
    assert len(allowed_at) <= 30 + 2 * 30  # the hourly bucket (30, refilled 30 per hour) bounds it
    assert waits[0] == pytest.approx(20, abs=1)  # first the per-minute bucket: 20 s
    assert max(waits) >= 100  # then the hourly one: 2 minutes between tries
    assert waits.index(max(waits)) > 20  # the delay grew with persistence
    # never a lockout: tries keep being allowed in the second hour
    assert sum(1 for a in allowed_at if a > 3600) >= 25


async def test_login_attempts_per_address_have_a_minute_and_an_hour_bucket() -> None:
    t, clock = throttle(login_per_account_per_minute=10**6, login_per_account_per_hour=10**6)
    per_minute = []
    for minute in range(15):
        allowed = 0
        for i in range(12):
            if await attempt(t, "203.0.113.99", f"spray-{minute}-{i}") == 0:
                allowed += 1
        per_minute.append(allowed)
        clock.advance(60)
    # 10 per minute at most, and 100 per hour (refilled at 100/h): the hourly bucket slows the spray down
    assert max(per_minute) == 10 and per_minute[:10] == [10] * 10
    assert per_minute[-1] <= 2
    assert sum(per_minute) <= 100 + 100 * 15 * 60 / 3600 + 1
    assert await attempt(t, "203.0.113.98", "spray-other") == 0  # another address is not affected


async def test_throttle_keys_and_buckets() -> None:
    assert login_key(" Alice ") == login_key("ALICE") == login_key("Аlice")  # Cyrillic А
    assert login_key("alice@example.org") == login_key("Alice@Example.org")
    assert login_key("alice") != login_key("alicia")
    assert address_bucket("203.0.113.7") == "203.0.113.7"
    assert address_bucket("2001:db8:1:2:3:4:5:6") == address_bucket("2001:db8:1:2::ffff") == "2001:db8:1:2::/64"
    assert address_bucket("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_bucket("fe80::1%eth0") == "fe80::/64"
    assert address_bucket(None) == "unknown"
    t, _ = throttle()
    assert t.exempt("127.0.0.1") and t.exempt("127.1.2.3") and t.exempt("::1") and t.exempt("::ffff:127.0.0.1")
    assert not t.exempt("203.0.113.7") and not t.exempt(None) and not t.exempt("testclient")
    strict, _ = throttle(ip_limits_exempt=[])
    assert not strict.exempt("127.0.0.1")


async def test_a_zero_limit_closes_the_door() -> None:
    t, _ = throttle(ip_limits_exempt=[], guest_entries_per_ip_per_hour=0)
    with pytest.raises(CauserieError) as refused:
        await t.guest_entry("203.0.113.9")
    assert refused.value.code is ErrorCode.RATE_LIMITED


# -- the unknown-account path runs Argon2 too ---------------------------------------------------------


class _OneAccountStore:
    """The one Store method login needs: a registered account found by nickname skeleton."""

    def __init__(self, account: Account, password_hash: str) -> None:
        self.found = (account, password_hash)

    async def find_login(self, *, email: str | None, nick_skel: str | None) -> tuple[Account, str] | None:
        return self.found if nick_skel == skeleton("alice") else None


async def test_an_unknown_account_is_verified_against_the_dummy_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    settings = Settings()
    real_hash = PasswordHasher().hash(PASSWORD)
    account: Any = object()
    service = AccountService(_OneAccountStore(account, real_hash), settings, FakeClock())  # type: ignore[arg-type]
    verified: list[str] = []
    original = service._verify

    def spy(stored_hash: str, password: str) -> bool:
        verified.append(stored_hash)
        return original(stored_hash, password)

    monkeypatch.setattr(service, "_verify", spy)
    refusals = []
    for login in ("ghost", "ghost@example.org", "not an email@", "alice"):
        with pytest.raises(CauserieError) as refused:
            await service.login(login, "pas le bon mot de passe")
        refusals.append((refused.value.code, refused.value.text("fr"), refused.value.text("en")))
    # one Argon2 verification per attempt: the dummy hash for the three unknown names, the real one last
    assert verified == [service._dummy_hash] * 3 + [real_hash]
    assert service._dummy_hash.startswith("$argon2id$")
    assert len(set(refusals)) == 1 and refusals[0][0] is ErrorCode.LOGIN_FAILED
