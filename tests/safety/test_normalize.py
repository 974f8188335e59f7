"""Normalisation: every evasion form reaches the same matching key as the plain word."""

from __future__ import annotations

import pytest

from causerie.safety.normalize import normalize, normalize_term, to_plain


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("h3r01ne", "heroine"),  # leetspeak
        ("md3a", "mdea"),
        ("c0c@ine", "cocaine"),  # leet digits and symbols inside a word
        ("$hit", "shit"),
        ("COCAINE", "cocaine"),  # case
        ("cocaïne", "cocaine"),  # accents
        ("ｃｏｃａｉｎｅ", "cocaine"),  # fullwidth (NFKC)
        ("𝐜𝐨𝐜𝐚𝐢𝐧𝐞", "cocaine"),  # mathematical bold (NFKC)
        ("соcаinе", "cocaine"),  # Cyrillic о, а, е (confusables)
        ("co\u200bcaine", "cocaine"),  # zero-width space
        ("coooocaaaaine", "cocaine"),  # repeated letters
        ("m d m a", "mdma"),  # spaced out
        ("m.d.m.a", "mdma"),
        ("m-d-m-a", "mdma"),
        ("m_d_m_a", "mdma"),
        ("m·d·m·a", "mdma"),
        ("c-o-c-a-ï-n-e", "cocaine"),
        ("k.e.t.a", "keta"),
    ],
)
def test_evasion_forms_normalise_like_the_word(text: str, word: str) -> None:
    assert f" {normalize_term(word)} " in normalize(text).match


def test_drug_emoji_are_tokens_without_variation_selectors() -> None:
    assert normalize("dispo ❄️🍃💊💊 🍄").match == " dispo ❄ 🍃 💊 🍄 "


def test_numbers_and_units_stay_readable() -> None:
    # digits are not leetspeak when they are a number with its unit
    assert normalize("10€ le g, 13ans, cm2").match == " 10 le g 13 ans cm 2 "
    assert to_plain("J'ai 13 ANS") == "j'ai 13 ans"


def test_apostrophes_do_not_glue_words() -> None:
    assert normalize("l'a j'y").match == " l a j y "
    assert to_plain("j\u2019ai 14 ans") == "j'ai 14 ans"


def test_pattern_and_text_share_one_pipeline() -> None:
    for raw in ("weed", "Héroïne", "3-MMC", "plan beuh", "❄️"):
        assert f" {normalize_term(raw)} " in normalize(f"dispo {raw} ce soir").match
