"""The moderation flow in the browser, end to end: a member reports a message in two clicks, a
moderator (the first admin, made by the ``causerie admin create-admin`` CLI as an operator does)
finds the case in the console's queue, reads the frozen context, removes the message and mutes its
author with a reason. The message disappears live for the reporter, the author gets the statement
of reasons and the mute banner on their next message, and the reporter learns the outcome.

These tests run on a server of their own so that sanctions cannot disturb the other suites.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from support.server import LiveServer

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "cheffe@example.org"
ADMIN_NICK = "Cheffe"
PASSWORD = "un mot de passe assez long pour la cheffe"


def create_admin(server: LiveServer, email: str = ADMIN_EMAIL, nickname: str = ADMIN_NICK) -> None:
    """``causerie admin create-admin`` against the server's database, as an operator runs it."""
    env = {**os.environ, "CAUSERIE_CONFIG": str(server.folder / "none.toml"), "CAUSERIE_LOG_LEVEL": "warning"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "causerie",
            "admin",
            "create-admin",
            "--email",
            email,
            "--nickname",
            nickname,
            "--password",
            PASSWORD,
            "--database",
            server.database_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own, with a first administrator (overrides conftest's ``server``)."""
    folder: Path = tmp_path_factory.mktemp("browser-moderation")
    live = LiveServer(folder, env={"CAUSERIE_MODERATION_REFRESH_SECONDS": "1"})
    create_admin(live)
    live.start()
    try:
        yield live
    finally:
        live.stop()


def log_in(page: Page, login: str, password: str) -> None:
    page.locator("#tab-login").click()
    page.fill("#f-login", login)
    page.fill("#f-password", password)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")


def test_report_then_moderator_removes_and_mutes(people: Any, ui: Any) -> None:
    author = people("auteur", gender="m", age=35)
    reporter = people("temoin", gender="f", age=29)
    moderator = people("modo", enter=False)
    log_in(moderator.page, ADMIN_EMAIL, PASSWORD)
    # Staff see the console's tab; members do not.
    expect(moderator.page.locator("#tab-moderation")).to_be_visible()
    expect(reporter.page.locator("#tab-moderation")).to_have_count(0)

    (room,) = ui.pick_rooms(author.page, 1, offset=0)
    author.open_room(room)
    reporter.open_room(room)
    text = f"{reporter.nick} t'es vraiment une moins que rien, dégage"
    author.say(text)
    seen = reporter.messages(text)
    expect(seen).to_have_count(1)

    # The moderator has the console open before the report: the case arrives live.
    mpage = moderator.page
    mpage.locator("#tab-moderation").click()
    expect(mpage.locator("#moderation")).to_be_visible()

    # Two clicks (Report, a category) and the good-faith confirmation.
    seen.hover()
    seen.locator("button.msg-report").click()
    dialog = reporter.page.locator("#dlg-report")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#report-what")).to_contain_text(author.nick)
    dialog.get_by_label("Harcèlement ou haine").check()
    dialog.get_by_label(re.compile("Je confirme de bonne foi")).check()
    dialog.locator("#report-details").fill("Insultes gratuites, sans aucune raison.")
    dialog.get_by_role("button", name="Envoyer le signalement").click()
    expect(dialog).to_be_hidden()
    expect(reporter.page.locator("#toasts")).to_contain_text("Signalement reçu")

    # The queue shows the case (category, target), highest priority first; the moderator opens it.
    row = mpage.locator(".case-row", has_text="Harcèlement ou haine")
    expect(row).to_have_count(1)
    expect(mpage.locator("#tab-moderation .badge")).to_have_text("1")
    row.click()
    context = mpage.locator(".mc-context")
    expect(context.locator(".mc-ctx.reported")).to_contain_text(text)
    expect(mpage.locator(".mc-report")).to_contain_text("Insultes gratuites")
    expect(mpage.locator(".mc-target-nick")).to_have_text(author.nick)

    # Remove the message (keeping the case open), with a reason.
    mpage.locator('.mc-actions button[data-action="remove_message"]').click()
    form = mpage.locator('form.mc-action-form[data-kind="remove_message"]')
    form.locator("textarea[name=reason]").fill("Insulte envers un autre membre.")
    form.locator("input[name=keep_open]").check()
    form.locator("[type=submit]").click()
    # Gone for the reporter, live.
    expect(reporter.messages(text)).to_have_count(0)
    expect(author.messages(text)).to_have_count(0)
    expect(mpage.locator(".mc-taken")).to_contain_text("Retirer le message")  # the case view reloaded

    # Then mute the author everywhere for the default hour.
    mpage.locator('.mc-actions button[data-action="mute"]').click()
    form = mpage.locator('form.mc-action-form[data-kind="mute"]')
    expect(form.locator("select[name=duration]")).to_have_value("3600")
    form.locator("textarea[name=reason]").fill("Insultes répétées : une heure sans écrire pour se calmer.")
    form.locator("[type=submit]").click()
    expect(mpage.locator(".mc-case-head .tag").first).to_have_text("Clos")

    # The author sees the statement of reasons: what, until when, why, the rule, how to appeal.
    statement = author.page.locator("#dlg-statement")
    expect(statement).to_be_visible()
    mute = statement.locator(".statement.kind-mute")
    expect(mute).to_contain_text("Interdiction d'écrire")
    expect(mute).to_contain_text("Insultes répétées")
    expect(mute).to_contain_text("Non")  # not automated
    expect(mute.get_by_role("button", name="Contester cette décision")).to_be_visible()
    expect(statement.locator(".statement.kind-remove_message")).to_contain_text("Insulte envers un autre membre")
    statement.get_by_role("button", name="Fermer").click()
    expect(statement).to_be_hidden()

    # The next message is refused: a clear banner says until when.
    author.say("je peux encore parler ?")
    banner = author.page.locator("#sanction-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Vous ne pouvez pas écrire jusqu'au")
    expect(author.conv.locator(".msg.failed .fail-text")).to_contain_text("Vous ne pouvez pas écrire")
    expect(reporter.messages("je peux encore parler ?")).to_have_count(0)

    # The reporter learns that action was taken.
    expect(reporter.page.locator("#toasts")).to_contain_text("des mesures ont été prises")


def test_public_report_user_report_appeal_and_lists(people: Any, ui: Any) -> None:
    author = people("vendeur", gender="m", age=44)
    reporter = people("vigie", gender="f", age=38)
    visitor = people("visiteur", enter=False)
    moderator = people("modo", enter=False)
    log_in(moderator.page, ADMIN_EMAIL, PASSWORD)
    (room,) = ui.pick_rooms(author.page, 1, offset=1)
    author.open_room(room)
    reporter.open_room(room)
    text = f"promo {author.nick} : gagnez 5000 euros par semaine, écrivez-moi vite"
    author.say(text)
    expect(reporter.messages(text)).to_have_count(1)
    seq = reporter.messages(text).get_attribute("data-seq")

    # A visitor without an account reports the message through the public form.
    vpage = visitor.page
    vpage.locator("#public-report-link").click()
    form = vpage.locator("#dlg-public-report")
    expect(form).to_be_visible()
    form.locator("#pr-room").fill(room)
    form.locator("#pr-seq").fill(str(seq))
    form.get_by_label("Arnaque ou spam").check()
    form.get_by_role("button", name="Envoyer le signalement").click()
    expect(form.locator("[data-error-for=good_faith]")).to_have_text(
        "Confirmez que votre signalement est fait de bonne foi."
    )
    form.get_by_label("Je confirme de bonne foi").check()
    form.get_by_role("button", name="Envoyer le signalement").click()
    expect(form.locator("#public-report-done-text")).to_contain_text("Votre signalement (n° ")

    # A member reports the person from their card.
    reporter.page.locator(f'#members-list .member[data-nick="{author.nick}"] button').click()
    reporter.page.locator("#dlg-member").get_by_role("button", name="Signaler").click()
    dialog = reporter.page.locator("#dlg-report")
    expect(dialog.locator("#report-what")).to_have_text(f"La personne {author.nick}")
    dialog.get_by_label("Arnaque ou spam").check()
    dialog.get_by_label("Je confirme de bonne foi").check()
    dialog.get_by_role("button", name="Envoyer le signalement").click()
    expect(reporter.page.locator("#toasts")).to_contain_text("Signalement reçu")

    # The moderator sees both cases; the anonymous one says so. They warn the author.
    mpage = moderator.page
    mpage.locator("#tab-moderation").click()
    rows = mpage.locator(".case-row", has_text="Arnaque ou spam")
    expect(rows).to_have_count(2)
    mpage.locator('.case-row[data-target="user"]').click()
    expect(mpage.locator(".mc-target-nick")).to_have_text(author.nick)
    mpage.locator('.mc-actions button[data-action="warn"]').click()
    form = mpage.locator('form.mc-action-form[data-kind="warn"]')
    form.locator("textarea[name=reason]").fill("Publicité pour une arnaque.")
    form.locator("[type=submit]").click()
    expect(mpage.locator(".mc-case-head .tag").first).to_have_text("Clos")
    mpage.locator(".mc-body").get_by_role("button", name="← Retour à la file").click()
    mpage.locator('.case-row[data-target="message"]').click()
    expect(mpage.locator(".mc-reports")).to_contain_text("Signalement anonyme")
    mpage.locator('.mc-actions button[data-action="dismiss"]').click()
    form = mpage.locator('form.mc-action-form[data-kind="dismiss"]')
    form.locator("textarea[name=reason]").fill("Déjà traité dans un autre dossier.")
    form.locator("[type=submit]").click()
    expect(mpage.locator(".mc-case-head .tag").first).to_have_text("Clos")

    # The author contests the warning from the statement.
    statement = author.page.locator("#dlg-statement .statement.kind-warn")
    expect(statement).to_contain_text("Publicité pour une arnaque.")
    statement.get_by_role("button", name="Contester cette décision").click()
    statement.get_by_label("Pourquoi contestez-vous cette décision ?").fill("C'était une blague entre amis.")
    statement.get_by_role("button", name="Envoyer mon recours").click()
    expect(statement).to_contain_text("Recours en cours d'examen")
    author.page.locator("#dlg-statement").get_by_role("button", name="Fermer").click()
    # The list of decisions about me shows it with its appeal.
    author.page.locator("#account-btn").click()
    author.page.locator("#my-statements summary").click()
    mine = author.page.locator("#my-statements-body .statement.kind-warn")
    expect(mine).to_contain_text("Avertissement")
    expect(mine).to_contain_text("Recours en cours d'examen")
    author.page.keyboard.press("Escape")

    # The reporter's list says what became of the report.
    reporter.page.locator("#account-btn").click()
    reporter.page.locator("#my-reports summary").click()
    expect(reporter.page.locator("#my-reports-body .my-report").first).to_contain_text("Mesures prises")
    reporter.page.keyboard.press("Escape")

    # The appeal reaches the appeals list; the moderator who decided may not decide it.
    mpage.locator('.mc-nav button[data-view="appeals"]').click()
    mpage.locator("[data-appeal-id]").first.click()
    expect(mpage.locator(".mc-body")).to_contain_text("C'était une blague entre amis.")
    expect(mpage.locator(".mc-body .notice")).to_contain_text("un autre modérateur")
    mpage.locator("#mc-decision-reason").fill("Maintenu.")
    mpage.get_by_role("button", name="Trancher le recours").click()
    expect(mpage.locator(".mc-decision [role=alert]")).to_contain_text("un autre modérateur")


def test_ban_shows_the_final_screen_with_the_statement_and_appeal(people: Any) -> None:
    banned = people("banni", gender="m", age=50)
    moderator = people("modo", enter=False)
    log_in(moderator.page, ADMIN_EMAIL, PASSWORD)
    mpage = moderator.page
    mpage.locator("#tab-moderation").click()
    # Own initiative, from the look-up of a person: their history, then a 24-hour ban.
    mpage.locator('.mc-nav button[data-view="user"]').click()
    mpage.fill("#mc-user-nick", banned.nick)
    mpage.locator("#mc-user-nick").press("Enter")
    expect(mpage.locator(".mc-user h3").first).to_have_text(banned.nick)
    mpage.locator('.mc-actions button[data-action="ban"]').click()
    form = mpage.locator('form.mc-action-form[data-kind="ban"]')
    form.locator("select[name=duration]").select_option(str(24 * 3600))
    form.locator("textarea[name=reason]").fill("Menaces envers plusieurs membres.")
    form.locator("[type=submit]").click()
    expect(mpage.locator("#toasts")).to_contain_text("Fait : Bannir")

    # The banned person's page ends on a screen that says until when, why, and how to appeal.
    page = banned.page
    expect(page.locator("#banned")).to_be_visible()
    expect(page.locator("#chat")).to_be_hidden()
    expect(page.locator("#banned-until")).to_contain_text("Suspendu jusqu'au")
    card = page.locator("#banned-statements .statement.kind-ban")
    expect(card).to_contain_text("Menaces envers plusieurs membres.")
    card.get_by_role("button", name="Contester cette décision").click()
    card.get_by_label("Pourquoi contestez-vous cette décision ?").fill("Je n'ai menacé personne.")
    card.get_by_role("button", name="Envoyer mon recours").click()
    expect(card).to_contain_text("Recours en cours d'examen")
    # A reload keeps the screen (the session answers `banned` with until when).
    page.reload()
    expect(page.locator("#banned")).to_be_visible()
    expect(page.locator("#banned-until")).to_contain_text("Suspendu jusqu'au")
    expect(page.locator("#banned-statements .statement.kind-ban")).to_contain_text("Recours en cours d'examen")


def test_a_banned_member_logs_in_to_the_suspended_screen_and_logs_out(people: Any, server: LiveServer) -> None:
    person = people("suspendu", enter=False)
    email = f"{person.nick.lower()}@example.org"
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        entry = {"nickname": person.nick, "age": 40, "gender": "m", "region": "75", "accept_rules": True}
        registered = http.post("/api/v1/accounts", json={"email": email, "password": PASSWORD, **entry})
        assert registered.status_code == 201, registered.text
        # an admin of its own: the other tests' console logins have used the first admin's login bucket
        create_admin(server, "seconde@example.org", "Seconde")
        admin = http.post("/api/v1/session/login", json={"login": "seconde@example.org", "password": PASSWORD})
        assert admin.status_code == 200, admin.text
        headers = {"Authorization": f"Bearer {admin.json()['token']}"}
        banned = http.post(
            "/api/v1/moderation/actions",
            headers=headers,
            json={"kind": "ban", "user": person.nick, "duration_seconds": 86400, "reason": "Spam répété."},
        )
        assert banned.status_code == 201, banned.text
    page = person.page
    # Logging in leads to the suspended screen: until when, the decision, an appeal, a way out.
    page.locator("#tab-login").click()
    page.fill("#f-login", email)
    page.fill("#f-password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#banned")).to_be_visible()
    expect(page.locator("#chat")).to_be_hidden()
    expect(page.locator("#banned-until")).to_contain_text("Suspendu jusqu'au")
    expect(page.locator("#banned-statements .statement.kind-ban")).to_contain_text("Spam répété.")
    # The session cookie is HttpOnly: the logout button asks the server to end it.
    page.locator("#banned-logout").click()
    expect(page.locator("#entry")).to_be_visible()
    page.reload()
    expect(page.locator("#entry")).to_be_visible()
    expect(page.locator("#banned")).to_be_hidden()
