"""The console's "Legal holds" page: an administrator places a hold on an account with a reason, sees
it listed, and releases it; the server audits both (checked through the API)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from support.server import LiveServer

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "greffe@example.org"
PASSWORD = "un mot de passe assez long pour le greffe"


def create_admin(server: LiveServer) -> None:
    """``causerie admin create-admin`` against the server's database, as an operator runs it."""
    env = {**os.environ, "CAUSERIE_CONFIG": str(server.folder / "none.toml"), "CAUSERIE_LOG_LEVEL": "warning"}
    args = ["admin", "create-admin", "--email", ADMIN_EMAIL, "--nickname", "Greffe", "--password", PASSWORD]
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
    """A server of this module's own with a first administrator."""
    live = LiveServer(tmp_path_factory.mktemp("browser-holds"))
    create_admin(live)
    live.start()
    try:
        yield live
    finally:
        live.stop()


def test_an_admin_places_and_releases_a_hold_from_the_console(people: Any, server: LiveServer) -> None:
    target = people("tenu")
    admin = people("greffe", enter=False)
    log_in(admin.page, ADMIN_EMAIL, PASSWORD)
    page = admin.page
    page.locator("#tab-moderation").click()
    page.locator('.mc-nav button[data-view="holds"]').click()
    expect(page.locator(".mc-holds-empty")).to_be_visible()
    form = page.locator(".mc-holds-form")
    form.locator("#hd-kind").select_option("account")
    form.locator("#hd-target").fill(target.nick)
    form.locator("#hd-reason").fill("Réquisition 2026-0077 <b>gras</b>")
    form.locator("#hd-until").fill("2099-12-31")
    form.get_by_role("button", name="Geler").click()
    row = page.locator(".mc-holds tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Réquisition 2026-0077 <b>gras</b>")  # shown as text, never as HTML
    expect(row).to_contain_text("2099")
    assert page.locator(".mc-holds b").count() == 0
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        token = http.post("/api/v1/session/login", json={"login": ADMIN_EMAIL, "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        holds = http.get("/api/v1/moderation/legal/holds", headers=headers).json()["holds"]
        assert len(holds) == 1 and holds[0]["kind"] == "account" and holds[0]["source"].startswith("admin:")
    row.get_by_role("button", name="Lever").click()
    expect(page.locator(".mc-holds-empty")).to_be_visible()
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        assert http.get("/api/v1/moderation/legal/holds", headers=headers).json()["holds"] == []
        audit = http.get("/api/v1/moderation/audit", headers=headers, params={"limit": 1000}).json()["entries"]
        assert [e["action"] for e in audit if e["action"].startswith("legal.")] == ["legal.hold", "legal.release"]
    assert admin.console_errors == [], admin.console_errors
