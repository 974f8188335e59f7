"""Profile reference data: where a user lives (French département or country) and gender.

May import: stdlib, causerie.errors

Codes are stable and stored in accounts: never renumber or rename one, only add. French
départements use their official numbers ("01".."95", "2A"/"2B" for Corsica, "971".."976"
overseas); places outside France use ISO 3166-1 alpha-2 codes, with "XX" for any other
country. Codes are case-sensitive ("2a" is not valid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from causerie.errors import CauserieError, ErrorCode

__all__ = [
    "GENDERS",
    "REGIONS",
    "RegionInfo",
    "RegionKind",
    "gender_label",
    "is_valid_gender",
    "is_valid_region",
    "region_label",
]

RegionKind = Literal["departement", "abroad"]


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    name_fr: str
    name_en: str
    kind: RegionKind


# The 101 départements, in official order (2A and 2B sit where 20 used to be).
# English names are the French ones except where English has its own (overseas ones).
_DEPARTEMENTS: tuple[tuple[str, str, str], ...] = (
    ("01", "Ain", "Ain"),
    ("02", "Aisne", "Aisne"),
    ("03", "Allier", "Allier"),
    ("04", "Alpes-de-Haute-Provence", "Alpes-de-Haute-Provence"),
    ("05", "Hautes-Alpes", "Hautes-Alpes"),
    ("06", "Alpes-Maritimes", "Alpes-Maritimes"),
    ("07", "Ardèche", "Ardèche"),
    ("08", "Ardennes", "Ardennes"),
    ("09", "Ariège", "Ariège"),
    ("10", "Aube", "Aube"),
    ("11", "Aude", "Aude"),
    ("12", "Aveyron", "Aveyron"),
    ("13", "Bouches-du-Rhône", "Bouches-du-Rhône"),
    ("14", "Calvados", "Calvados"),
    ("15", "Cantal", "Cantal"),
    ("16", "Charente", "Charente"),
    ("17", "Charente-Maritime", "Charente-Maritime"),
    ("18", "Cher", "Cher"),
    ("19", "Corrèze", "Corrèze"),
    ("2A", "Corse-du-Sud", "Corse-du-Sud"),
    ("2B", "Haute-Corse", "Haute-Corse"),
    ("21", "Côte-d'Or", "Côte-d'Or"),
    ("22", "Côtes-d'Armor", "Côtes-d'Armor"),
    ("23", "Creuse", "Creuse"),
    ("24", "Dordogne", "Dordogne"),
    ("25", "Doubs", "Doubs"),
    ("26", "Drôme", "Drôme"),
    ("27", "Eure", "Eure"),
    ("28", "Eure-et-Loir", "Eure-et-Loir"),
    ("29", "Finistère", "Finistère"),
    ("30", "Gard", "Gard"),
    ("31", "Haute-Garonne", "Haute-Garonne"),
    ("32", "Gers", "Gers"),
    ("33", "Gironde", "Gironde"),
    ("34", "Hérault", "Hérault"),
    ("35", "Ille-et-Vilaine", "Ille-et-Vilaine"),
    ("36", "Indre", "Indre"),
    ("37", "Indre-et-Loire", "Indre-et-Loire"),
    ("38", "Isère", "Isère"),
    ("39", "Jura", "Jura"),
    ("40", "Landes", "Landes"),
    ("41", "Loir-et-Cher", "Loir-et-Cher"),
    ("42", "Loire", "Loire"),
    ("43", "Haute-Loire", "Haute-Loire"),
    ("44", "Loire-Atlantique", "Loire-Atlantique"),
    ("45", "Loiret", "Loiret"),
    ("46", "Lot", "Lot"),
    ("47", "Lot-et-Garonne", "Lot-et-Garonne"),
    ("48", "Lozère", "Lozère"),
    ("49", "Maine-et-Loire", "Maine-et-Loire"),
    ("50", "Manche", "Manche"),
    ("51", "Marne", "Marne"),
    ("52", "Haute-Marne", "Haute-Marne"),
    ("53", "Mayenne", "Mayenne"),
    ("54", "Meurthe-et-Moselle", "Meurthe-et-Moselle"),
    ("55", "Meuse", "Meuse"),
    ("56", "Morbihan", "Morbihan"),
    ("57", "Moselle", "Moselle"),
    ("58", "Nièvre", "Nièvre"),
    ("59", "Nord", "Nord"),
    ("60", "Oise", "Oise"),
    ("61", "Orne", "Orne"),
    ("62", "Pas-de-Calais", "Pas-de-Calais"),
    ("63", "Puy-de-Dôme", "Puy-de-Dôme"),
    ("64", "Pyrénées-Atlantiques", "Pyrénées-Atlantiques"),
    ("65", "Hautes-Pyrénées", "Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales", "Pyrénées-Orientales"),
    ("67", "Bas-Rhin", "Bas-Rhin"),
    ("68", "Haut-Rhin", "Haut-Rhin"),
    ("69", "Rhône", "Rhône"),
    ("70", "Haute-Saône", "Haute-Saône"),
    ("71", "Saône-et-Loire", "Saône-et-Loire"),
    ("72", "Sarthe", "Sarthe"),
    ("73", "Savoie", "Savoie"),
    ("74", "Haute-Savoie", "Haute-Savoie"),
    ("75", "Paris", "Paris"),
    ("76", "Seine-Maritime", "Seine-Maritime"),
    ("77", "Seine-et-Marne", "Seine-et-Marne"),
    ("78", "Yvelines", "Yvelines"),
    ("79", "Deux-Sèvres", "Deux-Sèvres"),
    ("80", "Somme", "Somme"),
    ("81", "Tarn", "Tarn"),
    ("82", "Tarn-et-Garonne", "Tarn-et-Garonne"),
    ("83", "Var", "Var"),
    ("84", "Vaucluse", "Vaucluse"),
    ("85", "Vendée", "Vendée"),
    ("86", "Vienne", "Vienne"),
    ("87", "Haute-Vienne", "Haute-Vienne"),
    ("88", "Vosges", "Vosges"),
    ("89", "Yonne", "Yonne"),
    ("90", "Territoire de Belfort", "Territoire de Belfort"),
    ("91", "Essonne", "Essonne"),
    ("92", "Hauts-de-Seine", "Hauts-de-Seine"),
    ("93", "Seine-Saint-Denis", "Seine-Saint-Denis"),
    ("94", "Val-de-Marne", "Val-de-Marne"),
    ("95", "Val-d'Oise", "Val-d'Oise"),
    ("971", "Guadeloupe", "Guadeloupe"),
    ("972", "Martinique", "Martinique"),
    ("973", "Guyane", "French Guiana"),
    ("974", "La Réunion", "Réunion"),
    ("976", "Mayotte", "Mayotte"),
)

_ABROAD: tuple[tuple[str, str, str], ...] = (
    ("BE", "Belgique", "Belgium"),
    ("CH", "Suisse", "Switzerland"),
    ("LU", "Luxembourg", "Luxembourg"),
    ("CA", "Canada", "Canada"),
    ("MC", "Monaco", "Monaco"),
    ("XX", "Autre pays", "Other country"),  # must stay last: the catch-all
)

#: Every region a profile may name, in display order: départements, then abroad.
REGIONS: dict[str, RegionInfo] = {
    **{code: RegionInfo(code, fr, en, "departement") for code, fr, en in _DEPARTEMENTS},
    **{code: RegionInfo(code, fr, en, "abroad") for code, fr, en in _ABROAD},
}

#: Gender code -> (French label, English label). "x" is "prefer not to say".
GENDERS: dict[str, tuple[str, str]] = {
    "f": ("Femme", "Woman"),
    "m": ("Homme", "Man"),
    "nb": ("Non-binaire", "Non-binary"),
    "x": ("Ne se prononce pas", "Prefer not to say"),
}


def is_valid_region(code: str) -> bool:
    """True when ``code`` is a known region code (exact, case-sensitive)."""
    return code in REGIONS


def is_valid_gender(code: str) -> bool:
    """True when ``code`` is a known gender code (exact, case-sensitive)."""
    return code in GENDERS


def region_label(code: str, lang: str) -> str:
    """Name of a region in ``lang`` ("fr" for French, English otherwise), without its number.

    Raises ``CauserieError(INVALID_REGION)`` for an unknown code.
    """
    info = REGIONS.get(code)
    if info is None:
        raise CauserieError(ErrorCode.INVALID_REGION)
    return info.name_fr if lang == "fr" else info.name_en


def gender_label(code: str, lang: str) -> str:
    """Label of a gender in ``lang`` ("fr" for French, English otherwise).

    Raises ``CauserieError(INVALID_GENDER)`` for an unknown code.
    """
    labels = GENDERS.get(code)
    if labels is None:
        raise CauserieError(ErrorCode.INVALID_GENDER)
    return labels[0] if lang == "fr" else labels[1]
