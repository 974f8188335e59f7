"""Pure rules of the domain: the token bucket rate limit, "who may message me", room age gates."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causerie.domain.entities import (
    DmPolicy,
    DmPolicyMode,
    DmState,
    Room,
    RoomCategory,
    RoomKind,
    TokenBucket,
    dm_slug,
)
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId

# -- token bucket -------------------------------------------------------------------------------


def test_bucket_allows_a_burst_then_refuses_with_the_wait() -> None:
    bucket = TokenBucket(capacity=5, rate=2.0)
    assert [bucket.take(100.0) for _ in range(5)] == [0.0] * 5
    assert bucket.take(100.0) == pytest.approx(0.5)  # one token at 2/s
    assert bucket.take(100.25) == pytest.approx(0.25)  # half a token came back meanwhile
    assert bucket.take(100.5) == 0.0  # exactly one token now
    assert bucket.take(100.5) == pytest.approx(0.5)


def test_bucket_refills_up_to_its_capacity_only() -> None:
    bucket = TokenBucket(capacity=3, rate=1.0)
    for _ in range(3):
        assert bucket.take(0.0) == 0.0
    # an hour later: still only three tokens
    assert [bucket.take(3600.0) for _ in range(3)] == [0.0] * 3
    assert bucket.take(3600.0) == pytest.approx(1.0)


def test_bucket_with_a_tiny_rate_gives_a_long_retry_after() -> None:
    bucket = TokenBucket(capacity=5, rate=0.001)
    for _ in range(5):
        assert bucket.take(10.0) == 0.0
    assert bucket.take(10.0) == pytest.approx(1000.0)


def test_bucket_without_refill_never_recovers() -> None:
    bucket = TokenBucket(capacity=1, rate=0.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(1e9) == math.inf


def test_bucket_ignores_a_clock_going_backwards() -> None:
    bucket = TokenBucket(capacity=2, rate=1.0)
    assert bucket.take(50.0) == 0.0
    assert bucket.take(50.0) == 0.0
    assert bucket.take(10.0) > 0  # no tokens appear from an earlier time
    assert bucket.take(10.0) > 0


def test_bucket_cost_above_one() -> None:
    bucket = TokenBucket(capacity=4, rate=1.0)
    assert bucket.take(0.0, cost=3) == 0.0
    assert bucket.take(0.0, cost=3) == pytest.approx(2.0)


@given(
    capacity=st.integers(min_value=1, max_value=20),
    rate=st.floats(min_value=0.01, max_value=50.0),
    gaps=st.lists(st.floats(min_value=0.0, max_value=2.0), min_size=1, max_size=120),
)
@settings(max_examples=300)
def test_accepted_in_any_window_at_most_capacity_plus_rate_times_window(
    capacity: int, rate: float, gaps: list[float]
) -> None:
    bucket = TokenBucket(capacity=capacity, rate=rate)
    now = 1000.0
    accepted: list[float] = []
    for gap in gaps:
        now += gap
        wait = bucket.take(now)
        assert wait >= 0.0
        if wait == 0.0:
            accepted.append(now)
    for i in range(len(accepted)):
        for j in range(i, len(accepted)):
            window = accepted[j] - accepted[i]
            assert j - i + 1 <= capacity + rate * window + 1e-6


@given(
    capacity=st.integers(min_value=1, max_value=10),
    rate=st.floats(min_value=0.01, max_value=50.0),
    gaps=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=60),
)
@settings(max_examples=200)
def test_waiting_retry_after_is_enough(capacity: int, rate: float, gaps: list[float]) -> None:
    bucket = TokenBucket(capacity=capacity, rate=rate)
    now = 0.0
    for gap in gaps:
        now += gap
        wait = bucket.take(now)
        if wait > 0:
            now += wait * (1 + 1e-9) + 1e-9
            assert bucket.take(now) == 0.0


# -- who may message me ---------------------------------------------------------------------------


def test_policy_everyone_and_nobody() -> None:
    assert DmPolicy().admits(18, "m")
    assert DmPolicy(DmPolicyMode.EVERYONE, genders=frozenset({"f"})).admits(99, "m")  # filters unused
    assert not DmPolicy(DmPolicyMode.NOBODY).admits(30, "f")


@pytest.mark.parametrize(
    ("age", "gender", "admitted"),
    [
        (30, "f", True),
        (25, "f", True),  # bounds are inclusive
        (35, "nb", True),
        (24, "f", False),
        (36, "f", False),
        (30, "m", False),
        (30, "x", False),
    ],
)
def test_policy_filtered_by_gender_and_age(age: int, gender: str, admitted: bool) -> None:
    policy = DmPolicy(DmPolicyMode.FILTERED, genders=frozenset({"f", "nb"}), age_min=25, age_max=35)
    assert policy.admits(age, gender) is admitted


def test_policy_filtered_with_open_bounds() -> None:
    only_age = DmPolicy(DmPolicyMode.FILTERED, age_min=40)
    assert only_age.admits(40, "m") and only_age.admits(99, "x")
    assert not only_age.admits(39, "f")
    only_max = DmPolicy(DmPolicyMode.FILTERED, age_max=30)
    assert only_max.admits(18, "m") and not only_max.admits(31, "m")
    only_gender = DmPolicy(DmPolicyMode.FILTERED, genders=frozenset({"m"}))
    assert only_gender.admits(80, "m") and not only_gender.admits(80, "f")
    assert DmPolicy(DmPolicyMode.FILTERED).admits(50, "x")  # no filter at all: everyone


# -- rooms ----------------------------------------------------------------------------------------


def room(min_age: int = 18, max_age: int | None = None, **fields: object) -> Room:
    values: dict[str, object] = {
        "id": RoomId(1),
        "slug": "r",
        "name": "R",
        "category": RoomCategory.AGE,
        "kind": RoomKind.PUBLIC,
        "min_age": min_age,
        "max_age": max_age,
    }
    values.update(fields)
    return Room(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("age", "ok"), [(17, False), (18, True), (21, True), (25, True), (26, False), (40, False)])
def test_age_gate_with_a_range(age: int, ok: bool) -> None:
    gated = room(18, 25)
    if ok:
        gated.check_age(age)
    else:
        with pytest.raises(CauserieError) as info:
            gated.check_age(age)
        assert info.value.code is ErrorCode.ROOM_AGE_GATE


def test_age_gate_without_upper_bound() -> None:
    fifty_plus = room(50)
    fifty_plus.check_age(50)
    fifty_plus.check_age(99)
    with pytest.raises(CauserieError):
        fifty_plus.check_age(49)


def test_direct_conversation_helpers() -> None:
    a, b = AccountId(7), AccountId(12)
    assert dm_slug(b, a) == dm_slug(a, b) == "dm-7-12"
    dm = room(0, kind=RoomKind.DIRECT, dm_a=a, dm_b=b, dm_state_a=DmState.ACCEPTED, dm_state_b=DmState.REQUEST)
    assert dm.is_direct
    assert dm.dm_peer(a) == b and dm.dm_peer(b) == a
    assert dm.dm_state_for(a) is DmState.ACCEPTED
    assert dm.dm_state_for(b) is DmState.REQUEST
    assert dm.is_dm_participant(a) and not dm.is_dm_participant(AccountId(8))
    assert room(0, kind=RoomKind.DIRECT, dm_a=a, dm_b=b).dm_state_for(b) is DmState.ACCEPTED  # unset: accepted
