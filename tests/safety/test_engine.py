"""The pre-send check: evasion is stopped, hard negatives pass, verdicts carry their evidence."""

from __future__ import annotations

import pytest

from causerie.safety import Action, SafetyConfig, SafetyEngine, Verdict


def cats(v: Verdict) -> set[str]:
    return set(v.categories)


# -- evasion forms are blocked or held -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "vends h3r01ne, livraison discrète",  # leetspeak
        "md3a dispo 40€ le gramme",
        "c0c@ine 60 le g",  # leet digits and symbols
        "C O C A I N E dispo ce soir",  # spaced capitals
        "m.d.m.a dispo pour samedi",  # dotted
        "m-d-m-a dispo pour samedi",  # dashed
        "m d m a dispo pour samedi",  # spaced
        "cooooocaïne dispo, prix d'ami",  # repeated letters, accent
        "ｃｏｃａｉｎｅ à vendre",  # fullwidth
        "соcаinе à vendre",  # Cyrillic lookalikes
        "co\u200bcaine à vendre",  # zero-width space
        "co.caine à vendre",  # separator inside the word
        "je livre ❄️ 🍃 💊 partout, 7j/7",  # drug emoji
        "dispo 🍃 10€ ❄️ 60€ 💊 10€",  # emoji menu with prices
        "selling k e t a m i n e, 30 a gram",
    ],
)
def test_drug_sale_evasions_are_stopped(engine: SafetyEngine, text: str) -> None:
    v = engine.check_text(text, "room")
    assert "drug_sale" in v.categories
    assert v.action in (Action.HOLD, Action.FLAG)
    assert v.flagged


@pytest.mark.parametrize(
    "text", ["p.t.h.c new pack", "h u s s y f a n links", "r@yg0ld vids", "PTHC", "selling 11yo pics, trade"]
)
def test_child_abuse_trade_codes_are_blocked(engine: SafetyEngine, text: str) -> None:
    v = engine.check_text(text, "room")
    assert v.blocked
    assert "child_abuse_trade" in v.categories


def test_nicknames_and_room_names_are_checked_too(engine: SafetyEngine) -> None:
    assert engine.check_nickname("pthc_trader").blocked
    assert "contact_off_platform" in engine.check_room_name("appelle 06 12 34 56 78").categories
    assert engine.check_nickname("Élodie_75").allowed


# -- hard negatives pass -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "je bois que du coca zéro",
        "coke zero tastes like the real thing",
        "l'héroïne du roman est attachante",
        "la neige ❄️ est arrivée à grenoble",
        "une omelette aux champignons 🍄",
        "ma voisine vend des champignons de son jardin 3€ le panier 🍄",
        "je vends mon vélo 80€, livraison possible",
        "I need a plug adapter for my charger",
        "my pharmacy delivers my pills every month",
        "watched a documentary about cocaine addiction",
        "le crack de 1929",
        "mon fils est en CP",
        "the CP train was late",
        "les pédopsychiatres manquent",
        "j'échange les photos de classe des enfants avec les autres parents",
        "le massage au spa était top, 60€",
        "un bouquet de roses, 25€",
        "the escort carrier was huge",
        "putain j'ai raté mon train",
        "kill the process and restart",
        "mdr t'es con toi 😂",
        "j'ai vu une vidéo sur insta",
        "oh snap, I forgot my keys",
        "le code postal c'est 75011",
        "la vidéo a fait 1 250 000 vues",
        "ma commande n° 2024-118-5532 est en retard",
        "on se retrouve au café de la place à 15h ?",
        "je suis seule à la maison, je range",
        "j'ai 13 ans de métier",
        "ma fille a 13 ans",
        "instit en CM2",
        "j'ai 13 ans d'expérience",
        "je suis en 3e année de médecine",
        "I'm 15 minutes away",
        "my son is 14 years old",
        "I teach 7th grade",
        "quand j'avais 15 ans j'écoutais du rap",
    ],
)
def test_hard_negatives_pass(engine: SafetyEngine, text: str) -> None:
    v = engine.check_text(text, "room")
    assert v.allowed, v.to_dict()


# -- minors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "j'ai 13 ans",
        "jai 14ans et toi",
        "je suis en 5e",
        "je suis au collège",
        "ma mère veut pas que je sorte",
        "i'm 15 lol",
        "14 yo here",
        "im in 8th grade",
        "my mom won't let me go out",
        "j'ai quatorze ans",
    ],
)
def test_minor_self_disclosure_is_flagged(engine: SafetyEngine, text: str) -> None:
    v = engine.check_text(text, "room")
    assert v.categories == ("minor_disclosure",)
    assert v.action is Action.FLAG
    (ev,) = v.evidence
    assert ev.source.startswith("signal:minor_disclosure")
    assert ev.matched and ev.excerpt


# -- grooming and meet-ups on the pre-send path --------------------------------------------------


def test_grooming_cue_towards_a_declared_minor_is_held(engine: SafetyEngine) -> None:
    v = engine.check_text("envoie moi une photo de toi", "dm", sender_age=41, recipient_age=14)
    assert v.categories == ("grooming",)
    assert v.held
    assert "envoie moi une photo" in v.evidence[0].matched


def test_same_cue_between_adults_is_fine(engine: SafetyEngine) -> None:
    assert engine.check_text("envoie moi une photo de toi", "dm", sender_age=41, recipient_age=39).allowed
    assert engine.check_text("t'as quel âge ?", "dm", sender_age=30, recipient_age=29).allowed


def test_secrecy_is_grooming_whatever_the_ages(engine: SafetyEngine) -> None:
    v = engine.check_text(
        "surtout tu dis rien à tes parents, c'est notre secret", "dm", sender_age=38, recipient_age=20
    )
    assert "grooming" in v.categories


def test_meetup_risk_comes_with_a_nudge_for_the_recipient(engine: SafetyEngine) -> None:
    v = engine.check_text(
        "viens seul au parking du bois vers 2h, ramène du liquide", "dm", sender_age=25, recipient_age=40
    )
    assert "meetup_risk" in v.categories
    assert v.nudge == "meetup_safety"
    (ev,) = [e for e in v.evidence if e.category == "meetup_risk"]
    assert {"viens", "viens seul"} <= set(ev.matched)
    assert engine.check_text("on se voit au café à 15h ?", "dm").nudge is None


def test_new_accounts_weigh_more(engine: SafetyEngine) -> None:
    text = "viens seul ce soir au parc"
    old = engine.check_text(text, "dm", account_age_seconds=86400 * 30)
    new = engine.check_text(text, "dm", account_age_seconds=600)
    assert new.score > old.score > 0


# -- verdicts ------------------------------------------------------------------------------------


def test_verdict_json_shape(engine: SafetyEngine) -> None:
    d = engine.check_text("vends beuh 10€ le g", "room").to_dict()
    assert d["verdict"] == "hold"
    assert d["categories"] == ["drug_sale"]
    assert d["evidence"][0]["source"].startswith("drug_sale.")
    assert "beuh" in d["evidence"][0]["matched"]
    assert d["evidence"][0]["excerpt"] == "vends beuh 10€ le g"


def test_disabled_engine_allows_everything() -> None:
    assert SafetyEngine(SafetyConfig(enabled=False)).check_text("PTHC").allowed


def test_merge_keeps_the_stronger_action(engine: SafetyEngine) -> None:
    a = engine.check_text("j'ai 13 ans", "room")
    b = engine.check_text("PTHC", "room")
    merged = a.merge(b)
    assert merged.action is Action.BLOCK
    assert merged.categories == ("child_abuse_trade", "minor_disclosure")
