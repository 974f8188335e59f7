"""Pure moderation rules: case priority, reporter track record, statements of reasons, presets,
emergency levels, IP ranges, sanctions in force, and the audit hash chain."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causerie.domain.audit import GENESIS_HASH, AuditDraft, seal, verify_chain
from causerie.domain.moderation import (
    CATEGORY_BASE,
    MAX_BONUS,
    PRESET_NAMES,
    RULES,
    ActionKind,
    ActiveSanctions,
    ReportCategory,
    Sanction,
    SanctionKind,
    Source,
    apply_preset,
    case_priority,
    emergency_policy,
    ip_in,
    parse_ip_range,
    reporter_score,
    statement_texts,
)
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId

C = ReportCategory
ORDER = [C.CHILD_SEXUAL_ABUSE, C.MINOR_AT_RISK, C.VIOLENCE_THREAT_AMBUSH]

signals = st.tuples(
    st.integers(1, 10_000),  # reporters
    st.lists(st.floats(0, 1), max_size=20),  # reporter scores
    st.integers(0, 1000),  # automated flags
    st.booleans(),  # escalated
)


@given(signals, signals, st.sampled_from(list(C)))
def test_child_safety_then_threats_always_come_first(a: tuple, b: tuple, other: ReportCategory) -> None:  # type: ignore[type-arg]
    """Whatever the other signals, a higher tier (CSAM > minor at risk > threats > the rest) wins."""
    for rank, urgent in enumerate(ORDER):
        if other in ORDER[: rank + 1]:
            continue
        assert case_priority([urgent], *a) > case_priority([other], *b)


def test_signals_raise_priority_within_a_category() -> None:
    one = case_priority([C.HARASSMENT_HATE], 1, [0.5])
    many = case_priority([C.HARASSMENT_HATE], 5, [0.5] * 5)
    trusted = case_priority([C.HARASSMENT_HATE], 1, [1.0])
    flagged = case_priority([C.HARASSMENT_HATE], 1, [0.5], flags=2)
    assert many > one and trusted > one and flagged > one
    assert case_priority([C.SCAM_SPAM, C.DRUGS], 1) == case_priority([C.DRUGS], 1)  # the most severe counts
    top = case_priority([C.RULES_BREACH], 10**6, [1.0] * 10, flags=10**6, escalated=True)
    assert top == CATEGORY_BASE[C.RULES_BREACH] + MAX_BONUS


def test_reporter_track_record() -> None:
    assert reporter_score(0, 0) == 0.5  # unknown
    assert reporter_score(9, 10) > 0.8 > reporter_score(1, 1)  # one lucky report is not a record
    assert reporter_score(0, 20) < 0.05


@pytest.mark.parametrize(
    "kind",
    [
        k
        for k in ActionKind
        if k.value in {"remove_message", "remove_recent", "warn", "mute", "kick", "ban", "ban_ip", "shadow_hide"}
    ],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_statement_has_all_its_parts(kind: ActionKind, lang: str) -> None:
    texts = statement_texts(
        kind,
        lang,
        rule="law.hate",
        facts="il a écrit X",
        source=Source.NOTICE,
        automated=False,
        until=1_800_003_600.0,
        scope="salon « Musique »",
        appeal_days=183,
        has_duration=True,
    )
    assert set(texts) == {"decision", "facts", "ground", "redress"} and all(texts.values())
    assert ("2027-01-15" in texts["decision"]) == (
        kind in {ActionKind.MUTE, ActionKind.KICK, ActionKind.BAN, ActionKind.BAN_IP, ActionKind.SHADOW_HIDE}
    )
    assert "183" in texts["redress"]
    assert ("signalement" if lang == "fr" else "report") in texts["facts"]
    assert texts["ground"] == RULES["law.hate"][0 if lang == "fr" else 1]


def test_presets_and_adjustments() -> None:
    assert set(PRESET_NAMES) == {"discussion", "rencontres", "region", "support"}
    dating = apply_preset("rencontres", slow_mode_seconds=3)
    assert dating.slow_mode_seconds == 3 and not dating.pictures and dating.hold_first_messages
    with pytest.raises(CauserieError):
        apply_preset("casino")
    with pytest.raises(CauserieError):
        apply_preset("discussion", rule_packs=["unknown"])


def test_emergency_levels_are_cumulative() -> None:
    levels = [emergency_policy(n, 30) for n in range(4)]
    assert levels[0] == emergency_policy(0, 30) and not any(
        (levels[0].new_guest_read_only_minutes, levels[0].dm_strangers_off, levels[0].guest_entry_closed)
    )
    assert levels[1].new_guest_read_only_minutes == 30 and not levels[1].dm_strangers_off
    assert levels[2].dm_strangers_off and levels[2].pictures_off and not levels[2].guest_entry_closed
    assert levels[3].guest_entry_closed and levels[3].dm_strangers_off and levels[3].new_guest_read_only_minutes
    with pytest.raises(CauserieError):
        emergency_policy(4, 30)


def test_ip_ranges() -> None:
    assert str(parse_ip_range("203.0.113.77/24")) == "203.0.113.0/24"
    assert ip_in("203.0.113.5", [parse_ip_range("203.0.113.0/24")])
    assert not ip_in("203.0.114.5", [parse_ip_range("203.0.113.0/24")])
    assert ip_in("2001:db8::2", [parse_ip_range("2001:db8::1/64")])
    assert ip_in("::ffff:203.0.113.9", [parse_ip_range("203.0.113.0/24")])  # IPv4-mapped
    assert not ip_in("not an ip", [parse_ip_range("0.0.0.0/0")])
    with pytest.raises(CauserieError) as info:
        parse_ip_range("300.1.1.1")
    assert info.value.code is ErrorCode.BAD_REQUEST


def test_sanctions_in_force() -> None:
    a, room = AccountId(7), RoomId(3)
    active = ActiveSanctions.build(
        [
            Sanction(1, 1, SanctionKind.MUTE, 0.0, 100.0, account_id=a, room_id=room),
            Sanction(2, 2, SanctionKind.BAN, 0.0, 50.0, account_id=a),
            Sanction(3, 3, SanctionKind.BAN, 0.0, None, account_id=AccountId(8)),
            Sanction(4, 4, SanctionKind.IP_BAN, 0.0, 10.0, ip_range="10.0.0.0/8"),
        ]
    )
    assert active.mute(a, room, 99.0) is not None and active.mute(a, RoomId(4), 99.0) is None
    assert active.mute(a, room, 100.0) is None  # ends exactly at `until`
    assert active.ban(a, 49.0) is not None and active.ban(a, 51.0) is None
    assert active.ban(AccountId(8), 1e12) is not None  # permanent
    assert active.ip_ban("10.1.2.3", 5.0) is not None and active.ip_ban("10.1.2.3", 11.0) is None


def chain(n: int) -> list:  # type: ignore[type-arg]
    entries = []
    prev = GENESIS_HASH
    for i in range(1, n + 1):
        e = seal(
            AuditDraft(action="a", target=f"t{i}", actor_id=1, reason="r", details={"n": i, "é": "ü"}),
            id=i,
            ts_ms=1000 * i,
            prev_hash=prev,
        )
        entries.append(e)
        prev = e.hash
    return entries


def test_the_hash_chain_detects_edits_gaps_reorders_and_truncation() -> None:
    good = chain(6)
    assert verify_chain(good, head=(6, good[-1].hash)).ok
    edited = list(good)
    edited[2] = dataclasses.replace(edited[2], details='{"n":99}')
    report = verify_chain(edited)
    assert not report.ok and report.broken_id == 3 and report.checked == 2
    gap = good[:3] + good[4:]
    assert verify_chain(gap).broken_id == 4
    swapped = [good[0], good[2], good[1], *good[3:]]
    assert verify_chain(swapped).broken_id == 2
    assert not verify_chain(good[:5], head=(6, good[-1].hash)).ok
