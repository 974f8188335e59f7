"""Unit tests for causerie.domain.regions: départements, countries, genders."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from causerie.domain.regions import (
    GENDERS,
    REGIONS,
    RegionInfo,
    gender_label,
    is_valid_gender,
    is_valid_region,
    region_label,
)
from causerie.errors import CauserieError, ErrorCode


def test_all_101_departements() -> None:
    departements = [r.code for r in REGIONS.values() if r.kind == "departement"]
    expected = (
        [f"{n:02d}" for n in range(1, 20)]
        + ["2A", "2B"]
        + [f"{n:02d}" for n in range(21, 96)]
        + ["971", "972", "973", "974", "976"]
    )
    assert len(departements) == 101
    assert departements == expected  # official order, Corsica where 20 was


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "Ain"),
        ("13", "Bouches-du-Rhône"),
        ("2A", "Corse-du-Sud"),
        ("2B", "Haute-Corse"),
        ("21", "Côte-d'Or"),
        ("75", "Paris"),
        ("90", "Territoire de Belfort"),
        ("93", "Seine-Saint-Denis"),
        ("95", "Val-d'Oise"),
        ("974", "La Réunion"),
        ("976", "Mayotte"),
    ],
)
def test_departement_names(code: str, name: str) -> None:
    assert REGIONS[code].name_fr == name
    assert region_label(code, "fr") == name


def test_abroad() -> None:
    abroad = {r.code: (r.name_fr, r.name_en) for r in REGIONS.values() if r.kind == "abroad"}
    assert abroad == {
        "BE": ("Belgique", "Belgium"),
        "CH": ("Suisse", "Switzerland"),
        "LU": ("Luxembourg", "Luxembourg"),
        "CA": ("Canada", "Canada"),
        "MC": ("Monaco", "Monaco"),
        "XX": ("Autre pays", "Other country"),
    }
    assert list(REGIONS)[-1] == "XX"


def test_entries_are_consistent() -> None:
    for code, info in REGIONS.items():
        assert info.code == code
        assert info.kind in ("departement", "abroad")
        assert info.name_fr.strip() == info.name_fr != ""
        assert info.name_en.strip() == info.name_en != ""
        assert unicodedata.is_normalized("NFC", info.name_fr)


def test_region_info_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        REGIONS["75"].name_fr = "Lutèce"  # type: ignore[misc]
    assert isinstance(REGIONS["75"], RegionInfo)


def test_region_label_languages() -> None:
    assert region_label("973", "fr") == "Guyane"
    assert region_label("973", "en") == "French Guiana"
    assert region_label("CH", "fr") == "Suisse"
    assert region_label("CH", "en") == "Switzerland"
    assert region_label("CH", "de") == "Switzerland"  # anything but "fr" is English


@pytest.mark.parametrize("code", ["20", "2a", "96", "975", "FR", "", " 75", "075"])
def test_unknown_regions(code: str) -> None:
    assert not is_valid_region(code)
    with pytest.raises(CauserieError) as info:
        region_label(code, "fr")
    assert info.value.code == ErrorCode.INVALID_REGION


def test_valid_regions() -> None:
    assert all(is_valid_region(code) for code in ("01", "2A", "2B", "75", "971", "BE", "XX"))


def test_genders() -> None:
    assert GENDERS == {
        "f": ("Femme", "Woman"),
        "m": ("Homme", "Man"),
        "nb": ("Non-binaire", "Non-binary"),
        "x": ("Ne se prononce pas", "Prefer not to say"),
    }
    assert all(is_valid_gender(code) for code in ("f", "m", "nb", "x"))
    assert not any(is_valid_gender(code) for code in ("F", "", "other", "n"))
    assert gender_label("nb", "fr") == "Non-binaire"
    assert gender_label("x", "en") == "Prefer not to say"
    with pytest.raises(CauserieError) as info:
        gender_label("z", "fr")
    assert info.value.code == ErrorCode.INVALID_GENDER
