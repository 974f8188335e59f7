"""docs/privacy.md lists every retention setting with its default, and every kind of data the purge
deletes has a setting: the privacy notice cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from causerie.config import Settings
from causerie.services.retention import policy
from causerie.storage.retention import DataKind

ROOT = Path(__file__).resolve().parents[2]
PRIVACY = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")


def table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in PRIVACY.splitlines():
        match = re.match(r"\| `(retention_[a-z_]+)` \|", line)
        if match:
            rows[match.group(1)] = [c.strip() for c in line.strip("|").split("|")]
    return rows


def test_every_retention_period_is_in_the_privacy_notice_with_its_default() -> None:
    rows = table_rows()
    periods = [name for name in Settings.model_fields if name.startswith("retention_") and name.endswith("_days")]
    assert len(periods) == len(DataKind)
    for name in periods:
        assert name in rows, f"docs/privacy.md has no row for {name}"
        default = Settings.model_fields[name].get_default()
        assert rows[name][1] == str(default), f"{name}: default {default}, docs/privacy.md says {rows[name][1]}"
        assert all(rows[name][2:]), f"{name}: say what, from when, why and on which legal basis"
    assert set(rows) == set(periods), f"docs/privacy.md names unknown settings: {set(rows) - set(periods)}"


def test_every_kind_of_data_purged_has_its_setting() -> None:
    settings = Settings()
    days = policy(settings)
    assert set(days) == set(DataKind)
    for kind in DataKind:
        name = f"retention_{kind.value}_days"
        assert name in Settings.model_fields, name
        assert days[kind] == getattr(settings, name)


def test_the_other_retention_settings_are_named_in_the_notice() -> None:
    for name in Settings.model_fields:
        if name.startswith(("retention_", "records_")):
            assert f"`{name}`" in PRIVACY, f"docs/privacy.md does not mention {name}"
