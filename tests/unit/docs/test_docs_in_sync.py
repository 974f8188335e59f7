"""Documentation generated from the code must match the code."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from causerie.cli import app
from causerie.config import Settings
from causerie.errors import ErrorCode

ROOT = Path(__file__).resolve().parents[3]


def test_configuration_doc_is_generated_from_settings(tmp_path: Path) -> None:
    out = tmp_path / "configuration.md"
    result = CliRunner().invoke(app, ["config-doc", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert (ROOT / "docs" / "configuration.md").read_text() == out.read_text(), (
        "docs/configuration.md is stale: run `causerie config-doc --output docs/configuration.md`"
    )
    for name in Settings.model_fields:
        assert f"`{name}`" in out.read_text()


def test_protocol_doc_names_every_frame_type() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text()
    for frame in ("hello", "join", "leave", "send", "typing", "history", "dm_accept", "dm_ignore", "ping"):
        assert f'"type": "{frame}"' in text, frame
    for event in (
        "welcome",
        "ack",
        "error",
        "message",
        "joined",
        "left",
        "presence",
        "mention",
        "dm_request",
        "dm_state",
        "counts",
        "pong",
        "nudge",
    ):
        assert f'"type": "{event}"' in text, event


def test_every_error_code_has_both_languages() -> None:
    for code in ErrorCode:
        assert code.text("fr") and code.text("en")
        assert 400 <= code.http_status <= 599
