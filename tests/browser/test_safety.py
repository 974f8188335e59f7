"""Automated safety in the browser: guest entry with the human check on (a proof of work solved by
the page with crypto.subtle), and progressive privileges shown to a new account (the picture button
disabled with when pictures unlock; the list in settings)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from support.server import LiveServer

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "regles@example.org"
PASSWORD = "un mot de passe assez long pour les regles"


def create_admin(server: LiveServer) -> None:
    """``causerie admin create-admin`` against the server's database, as an operator runs it."""
    env = {**os.environ, "CAUSERIE_CONFIG": str(server.folder / "none.toml"), "CAUSERIE_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "causerie", "admin", "create-admin", "--email", ADMIN_EMAIL]
    command += ["--nickname", "Regles", "--password", PASSWORD, "--database", server.database_url]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that asks for the human check and makes new accounts wait 20 minutes for pictures."""
    folder: Path = tmp_path_factory.mktemp("browser-safety")
    live = LiveServer(
        folder,
        env={
            "CAUSERIE_HUMAN_CHECK": "true",
            "CAUSERIE_HUMAN_CHECK_DIFFICULTY": "12",
            "CAUSERIE_MEDIA_NEW_ACCOUNT_MINUTES": "20",
            "CAUSERIE_PRIVILEGE_LINKS_MINUTES": "20",
            "CAUSERIE_SAFETY_RULES_DIR": str(folder / "rules"),
        },
    )
    create_admin(live)
    live.start()
    try:
        yield live
    finally:
        live.stop()


def test_guest_entry_works_with_the_human_check_and_privileges_are_shown(people: Any, ui: Any) -> None:
    ana = people("ana")  # enter_guest waits for the chat: the page solved the challenge
    page = ana.page
    room = ui.pick_rooms(page, 1)[0]
    ana.open_room(room)

    attach = ana.conv.locator("button.attach")
    expect(attach).to_have_attribute("aria-disabled", "true")  # focusable: a click explains the wait
    expect(attach).to_have_attribute("title", re.compile(r"^Vous pourrez envoyer des photos dans (19|20) minutes$"))

    ana.say("regardez www.exemple.fr")
    expect(ana.conv.get_by_text(re.compile("trop récent pour cela"))).to_be_visible()  # refused: links wait

    page.locator("#account-btn").click()
    page.locator("#my-privileges summary").click()
    items = page.locator("#my-privileges-body li.privilege")
    expect(items).to_have_count(4)
    expect(page.locator('#my-privileges-body li[data-privilege="pictures"]')).to_contain_text("photos dans")
    expect(page.locator('#my-privileges-body li[data-privilege="dm_strangers"]')).to_contain_text("Vous pouvez")


def test_an_admin_edits_the_rules_in_the_console_and_they_apply_at_once(people: Any, ui: Any) -> None:
    admin = people("adm", enter=False)
    page = admin.page
    page.locator("#tab-login").click()
    page.fill("#f-login", ADMIN_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    page.locator("#tab-moderation").click()
    page.locator('.mc-nav button[data-view="rules"]').click()
    expect(page.locator('.rule-pack[data-pack="drugs.toml"][data-origin="packaged"]')).to_be_visible()

    page.locator("#rules-new").click()
    form = page.locator("form.rules-form")
    form.locator("input[name=name]").fill("console.toml")
    form.locator("textarea[name=content]").fill(
        '[[rules]]\nid = "console.a"\ncategory = "spam"\naction = "block"\nterms = ["b"]\ncolour = 1\n'
    )
    form.locator("[type=submit]").click()
    expect(form.locator(".rules-error")).to_contain_text("console.toml, line")

    word = ui.unique_nick("glorpf")
    rule = f'[[rules]]\nid = "console.{word}"\ncategory = "spam"\naction = "block"\nterms = ["{word}"]\n'
    form.locator("textarea[name=content]").fill(rule)
    form.locator("[type=submit]").click()
    expect(page.locator('.rule-pack[data-pack="console.toml"][data-origin="operator"]')).to_be_visible()

    member = people("mbr")
    room = ui.pick_rooms(member.page, 1, offset=1)[0]
    member.open_room(room)
    member.say(f"achetez du {word} ici")
    expect(member.conv.get_by_text(re.compile("enfreint les règles"))).to_be_visible()
