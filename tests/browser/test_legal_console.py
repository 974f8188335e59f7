"""The console's "Legal requests" page: an administrator exports a signed evidence bundle for a
room and a period, and the file downloaded verifies against the operator's public key."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from causerie.services.evidence import load_public_key, verify_bundle
from legal.conftest import new_key
from support.server import LiveServer

pytestmark = pytest.mark.browser
PUBLIC: dict[str, bytes] = {}
ADMIN_EMAIL = "juge@example.org"
PASSWORD = "un mot de passe assez long pour la juge"


def create_admin(server: LiveServer) -> None:
    """``causerie admin create-admin`` against the server's database, as an operator runs it."""
    env = {**os.environ, "CAUSERIE_CONFIG": str(server.folder / "none.toml"), "CAUSERIE_LOG_LEVEL": "warning"}
    args = ["admin", "create-admin", "--email", ADMIN_EMAIL, "--nickname", "Juge", "--password", PASSWORD]
    result = subprocess.run(
        [sys.executable, "-m", "causerie", *args, "--database", server.database_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def log_in(page: Page, login: str, password: str) -> None:
    page.locator("#tab-login").click()
    page.fill("#f-login", login)
    page.fill("#f-password", password)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#chat")).to_be_visible()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own with a first administrator and a signing key."""
    private, public = new_key()
    PUBLIC["pem"] = public
    live = LiveServer(tmp_path_factory.mktemp("browser-legal"), env={"CAUSERIE_LEGAL_SIGNING_KEY": private})
    create_admin(live)
    live.start()
    try:
        yield live
    finally:
        live.stop()


def test_an_admin_exports_a_verifiable_bundle_from_the_console(people: Any, ui: Any) -> None:
    author = people("auteur")
    (room,) = ui.pick_rooms(author.page, 1, offset=3)
    author.open_room(room)
    author.say("pièce du dossier")
    admin = people("juge", enter=False)
    log_in(admin.page, ADMIN_EMAIL, PASSWORD)
    page = admin.page
    page.locator("#tab-moderation").click()
    page.locator('.mc-nav button[data-view="legal"]').click()
    form = page.locator(".mc-legal-export")
    form.locator("#lg-kind").select_option("room")
    form.locator("#lg-target").fill(room)
    form.locator("#lg-from").fill("2020-01-01")
    form.locator("#lg-to").fill("2099-12-31")
    form.locator("#lg-ref").fill("Réquisition 2026-0042")
    with page.expect_download() as info:
        form.get_by_role("button", name="Exporter le dossier de preuves").click()
    data = Path(info.value.path()).read_bytes()
    result = verify_bundle(data, load_public_key(PUBLIC["pem"]))
    assert result.ok, result.lines()
    assert result.manifest["request_ref"] == "Réquisition 2026-0042"
    expect(page.locator(".mc-legal-export ~ ul")).to_contain_text("Réquisition 2026-0042")
    assert admin.console_errors == [], admin.console_errors
