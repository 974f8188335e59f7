"""docs/limits.md and docs/security.md match the code: every limit setting has a row, and every row
names at least one test that exists (none may stay "pending")."""

from __future__ import annotations

import re
from pathlib import Path

from causerie.config import Settings
from causerie.errors import ErrorCode

ROOT = Path(__file__).resolve().parents[2]
LIMITS = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")

# A setting is a limit when its name says so (sizes, counts, rates, deadlines, lifetimes).
LIMIT_NAME = re.compile(
    r"^(max_|min_)|_max_|_min_|_max$|_per_|burst|_timeout$|_bytes$|_chars$|_pixels$|_concurrency$"
    r"|_exempt$|_window$|_interval$|_ttl_|keep_alive|_marks$"
)
NOT_LIMITS = {
    "group_commit_max_batch": "throughput tuning of the group commit",
    "media_store_max_side": "size pictures are re-encoded to",
    "media_pdq_min_quality": "hash-matching quality threshold",
}


def limit_settings() -> list[str]:
    return [
        name
        for name in Settings.model_fields
        if LIMIT_NAME.search(name) and not name.startswith("safety_") and name not in NOT_LIMITS
    ]


def rows() -> dict[str, str]:
    """setting -> its table row."""
    found = {}
    for line in LIMITS.splitlines():
        match = re.match(r"\| `([a-z0-9_]+)` \|", line)
        if match:
            found[match.group(1)] = line
    return found


def test_every_limit_setting_has_a_row() -> None:
    table = rows()
    missing = [name for name in limit_settings() if name not in table]
    assert not missing, f"add these limits to docs/limits.md: {missing}"
    unknown = [name for name in table if name not in Settings.model_fields]
    assert not unknown, f"docs/limits.md names settings that do not exist: {unknown}"


def test_every_row_names_an_existing_test() -> None:
    for name, line in rows().items():
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == 6, line
        default = Settings.model_fields[name].get_default(call_default_factory=True)
        shown = cells[1].replace(",", "").strip("`")
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            assert float(shown.split(" ")[0]) == float(default), f"{name}: default {default} shown as {cells[1]}"
        assert "pending" not in cells[5].lower(), f"{name}: write its test, then name it in docs/limits.md"
        references = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", cells[5])
        assert references, f"{name}: no test named"
        for path, test in references:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^(async )?def {test}\(", source, re.M), f"{name}: {path}::{test} does not exist"


def test_tests_named_in_limits_and_security_exist() -> None:
    security = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for text in (LIMITS, security):
        for path, test in re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text):
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^(async )?def {test}\(", source, re.M), f"{path}::{test} does not exist"
        for path in re.findall(r"`(tests/[\w/]+\.py)`", text):
            assert (ROOT / path).is_file(), path


def test_the_refusals_named_are_error_codes() -> None:
    codes = {c.value for c in ErrorCode}
    for line in LIMITS.splitlines():
        if not line.startswith("| ") or line.startswith("| setting") or line.startswith("| ---"):
            continue
        refusal = [c.strip() for c in line.strip("|").split("|")][3]
        for code in re.findall(r"`([a-z_]+)`", refusal):
            assert code in codes, f"`{code}` in docs/limits.md is not an error code"
