"""Post-send analysers: conversations, behaviour over time (fake clock), the decaying risk score."""

from __future__ import annotations

from causerie.clock import FakeClock
from causerie.safety import Action, ChatLine, SafetyConfig, SafetyEngine
from causerie.safety.signals.behaviour import BehaviourConfig, BehaviourTracker
from causerie.safety.signals.contact import find_phone_number, number_words_to_digits
from causerie.safety.signals.minors import answers_age_question
from causerie.safety.signals.risk import RiskLedger

# -- conversations ---------------------------------------------------------------------------


def test_grooming_after_a_disclosed_minor(engine: SafetyEngine) -> None:
    window = [
        ChatLine("adult", "salut", 1.0),
        ChatLine("kid", "j'ai 13 ans", 2.0),
        ChatLine("adult", "tes parents sont là ce soir ?", 3.0),
    ]
    v = engine.analyse_dm(window, sender_age=28, recipient_age=19)  # the declared age lies
    assert v.categories == ("grooming",)
    assert v.held
    (ev,) = v.evidence
    assert "j'ai 13 ans" in ev.source  # the disclosure is named in the reason
    assert "tes parents sont la" in ev.matched
    # the same question without the disclosure is ordinary
    assert engine.analyse_dm([window[0], window[2]], sender_age=28, recipient_age=19).allowed
    # ... unless the age gap is large
    assert "grooming" in engine.analyse_dm([window[0], window[2]], sender_age=45, recipient_age=19).categories


def test_a_bare_age_answering_how_old_are_you(engine: SafetyEngine) -> None:
    window = [ChatLine("a", "t'as quel âge ?"), ChatLine("b", "14 et toi"), ChatLine("a", "envoie une photo de toi")]
    assert "grooming" in engine.analyse_dm(window, sender_age=35, recipient_age=18).categories
    answer = engine.analyse_dm(window[:2], sender_age=18, recipient_age=35)
    assert answer.categories == ("minor_disclosure",)
    assert answers_age_question("25 et toi") is None


def test_cues_accumulating_over_the_conversation(engine: SafetyEngine) -> None:
    window = [
        ChatLine("a", "tu es en quelle classe ?"),
        ChatLine("b", "pourquoi ?"),
        ChatLine("a", "t'es seule chez toi ?"),
        ChatLine("b", "oui"),
        ChatLine("a", "je peux t'acheter des robux"),
    ]
    v = engine.analyse_dm(window, sender_age=30, recipient_age=25)
    assert "grooming" in v.categories
    assert engine.analyse_dm(window[-1:], sender_age=30, recipient_age=25).allowed


# -- behaviour: bot farms, spraying --------------------------------------------------------------


def test_near_duplicate_openers_to_many_strangers(fresh_engine: SafetyEngine) -> None:
    found = []
    for i in range(10):
        v = fresh_engine.observe(
            "bot",
            f"coucou toi, ça te dit de discuter ? 😘 {'!' * (i % 3)}",
            recipient=f"u{i}",
            at=i * 37.0 + (i % 4) * 11,
        )
        found.append(v)
    assert all(v.allowed for v in found[:7])
    assert "bot_farm" in found[-1].categories
    ev = [e for e in found[-1].evidence if e.source == "behaviour:near_duplicate_openers"]
    assert ev and "people" in ev[0].matched[0]


def test_machine_regular_timing(fresh_engine: SafetyEngine) -> None:
    texts = ["hello", "how are you", "nice profile", "where are you from", "what's up", "hey there", "hi!"]
    verdicts = [fresh_engine.observe("bot", t, recipient=f"u{i}", at=100.0 + 5.0 * i) for i, t in enumerate(texts)]
    assert any(e.source == "behaviour:regular_timing" for v in verdicts for e in v.evidence)


def test_a_person_greeting_a_few_people_is_not_a_bot(fresh_engine: SafetyEngine) -> None:
    for i, gap in enumerate([0, 240, 900, 1400]):
        assert fresh_engine.observe("alice", "salut ça va ?", recipient=f"u{i}", at=float(gap)).allowed


def test_one_opener_from_several_accounts() -> None:
    tracker = BehaviourTracker(BehaviourConfig(min_recipients=6, min_accounts=3, regular_min_sends=99))
    findings = []
    for i in range(8):
        findings += tracker.observe(f"acc{i % 3}", "heycutiecheckmyprofile", at=i * 60.0, recipient=f"u{i}")
    assert any(f.source == "behaviour:same_opener_many_accounts" for f in findings)


def test_same_offer_in_many_rooms_and_meetup_spraying(fresh_engine: SafetyEngine) -> None:
    rooms = [fresh_engine.observe("s", "promo sur mes services, mp", room=f"r{i}", at=float(i)) for i in range(3)]
    assert "spam" in rooms[-1].categories
    props = [fresh_engine.observe("m", "on se voit ce soir ?", recipient=f"u{i}", at=float(i * 300)) for i in range(3)]
    assert "meetup_risk" in props[-1].categories


def test_behaviour_state_is_bounded_and_forgets_old_sends() -> None:
    tracker = BehaviourTracker(BehaviourConfig(max_senders=50, window=60.0))
    for i in range(500):
        tracker.observe(f"s{i}", "hello there", at=float(i), recipient="x")
    assert len(tracker) == 50
    for i in range(12):  # one send every 100 s: never more than one in the 60 s window
        assert tracker.observe("slow", "same text", at=i * 100.0, recipient=f"u{i}") == []


# -- risk score ----------------------------------------------------------------------------------


def test_risk_score_decays_with_a_half_life() -> None:
    ledger = RiskLedger(half_life=3600.0, max_users=2)
    ledger.add("u", 4.0, at=0.0)
    assert ledger.score("u", 3600.0) == 2.0
    assert ledger.score("u", 7200.0) == 1.0
    ledger.add("v", 1.0, at=0.0)
    ledger.add("w", 1.0, at=0.0)
    assert len(ledger) == 2 and ledger.score("u", 0.0) == 0.0  # least recently touched forgotten


def test_post_send_updates_risk_and_notes_it() -> None:
    clock = FakeClock()
    engine = SafetyEngine(SafetyConfig(risk_flag_threshold=2.0), clock=clock)
    text = "vends beuh 10€ le g, dispo"
    first = engine.post_send("dealer", text, room="r1", presend=engine.check_text(text))
    assert first.allowed  # nothing new after the pre-send verdict ...
    assert engine.risk.score("dealer", clock.now()) == 1.0  # ... but the risk counts it
    engine.post_send("dealer", text, room="r2", presend=engine.check_text(text))
    third = engine.post_send("dealer", text, room="r3", presend=engine.check_text(text))
    assert "spam" in third.categories  # the same offer in three rooms
    assert any(e.source == "signal:risk_score" for e in third.evidence)
    clock.advance(72 * 3600 * 10)
    assert engine.risk.score("dealer", clock.now()) < 0.01


# -- phone numbers -------------------------------------------------------------------------------


def test_phone_numbers() -> None:
    assert find_phone_number("appelle moi au 06 12 34 56 78")
    assert find_phone_number("+44 7911 123456 on whatsapp")
    assert find_phone_number("zero six, douze, trente quatre, cinquante six, soixante dix huit")
    assert find_phone_number("0 6 7 8 1 2 3 4 5 6")
    assert find_phone_number("1 250 000 vues") is None
    assert find_phone_number("code postal 75011") is None
    assert number_words_to_digits(["soixante", "dix", "huit", "quatre", "vingt", "douze"]) == "7892"


def test_contact_off_platform_in_a_dm_is_also_a_grooming_cue(engine: SafetyEngine) -> None:
    v = engine.check_text("ajoute moi sur snap", "dm", sender_age=35, recipient_age=15)
    assert set(v.categories) == {"grooming", "contact_off_platform"}
    assert v.action is Action.HOLD
