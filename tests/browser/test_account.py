"""Account and social features: register a guest (keeping the nickname), log out and in again,
"who may message me", blocks and friends."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "une phrase de passe assez longue"


def test_register_logout_login_privacy_friends_and_blocks(people: Any, ui: Any) -> None:
    alice = people("compte")
    bob = people("bob", gender="m")
    carol = people("carol")
    (room,) = ui.pick_rooms(alice.page, 1, offset=11)
    for p in (alice, bob, carol):
        p.open_room(room)
    page = alice.page

    # Register from the settings dialog; the nickname is kept.
    page.locator("#account-btn").click()
    settings = page.locator("#dlg-settings")
    expect(settings).to_be_visible()
    expect(settings.locator("#settings-status")).to_contain_text("Invité")
    settings.locator("#reg-email").fill(f"{alice.nick}@example.org")
    settings.locator("#reg-password").fill("court")
    settings.locator("#register-form [type=submit]").click()
    expect(settings.locator("#err-reg-password")).to_have_text("Mot de passe trop court ou trop courant.")
    settings.locator("#reg-password").fill(PASSWORD)
    settings.locator("#register-form [type=submit]").click()
    expect(settings.locator("#settings-status")).to_contain_text("Compte enregistré")
    expect(settings.locator("#register-section")).to_be_hidden()

    # Nobody may write to me (except friends).
    settings.get_by_label("Personne (sauf mes amis)").check()
    settings.locator("#privacy-form [type=submit]").click()
    expect(page.locator("#toasts")).to_contain_text("Paramètres enregistrés.")
    page.keyboard.press("Escape")
    expect(settings).to_be_hidden()

    # Bob's private message is refused, with the translated reason on his message.
    bob.page.locator(f'#members-list .member[data-nick="{alice.nick}"] button').click()
    bob.page.locator("#dlg-member").get_by_role("button", name="Message privé").click()
    bob.say("Tu veux discuter ?")
    failed = bob.conv.locator(".msg.failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".msg-status")).to_contain_text("n'accepte pas vos messages privés")
    failed.get_by_role("button", name="Supprimer").click()
    expect(failed).to_have_count(0)

    # Friends always pass: Alice asks Bob, Bob accepts from his sidebar.
    page.locator(f'#members-list .member[data-nick="{bob.nick}"] button').click()
    card = page.locator("#dlg-member")
    card.get_by_role("button", name="Ajouter en ami").click()
    expect(card.get_by_role("button", name="Demande d'ami envoyée")).to_be_disabled()
    page.keyboard.press("Escape")
    incoming = bob.page.locator("#sidebar").get_by_role("button", name=f"Accepter la demande d'ami de {alice.nick}")
    expect(incoming).to_be_visible()
    incoming.click()
    expect(bob.page.locator("#sidebar .friend", has_text=alice.nick)).to_be_visible()
    expect(page.locator("#sidebar .friend", has_text=bob.nick)).to_be_visible()
    bob.say("Et maintenant ?")
    expect(bob.messages("Et maintenant ?")).to_have_count(1)
    expect(page.locator("#sidebar .conv-item", has_text=bob.nick).first).to_be_visible()

    # Block Carol: her messages disappear and stop arriving; unblock from the settings.
    page.locator(f'#members-list .member[data-nick="{carol.nick}"] button').click()
    card.get_by_role("button", name="Bloquer").click()
    expect(card.get_by_role("button", name="Débloquer")).to_be_visible()
    page.keyboard.press("Escape")
    carol.say(f"message de {carol.nick}")
    bob.page.locator(f'#tabs [role=tab][data-key="{room}"]').click()
    expect(bob.messages(f"message de {carol.nick}")).to_have_count(1)
    expect(alice.messages(f"message de {carol.nick}")).to_have_count(0)
    expect(page.locator(f'#members-list .member[data-nick="{carol.nick}"]')).to_have_count(0)
    page.locator("#account-btn").click()
    blocked = settings.locator("#blocked-list")
    expect(blocked).to_contain_text(carol.nick)
    blocked.get_by_role("button", name=f"Débloquer {carol.nick}").click()
    expect(blocked).not_to_contain_text(carol.nick)

    # Log out, then log in with the email (or the nickname) and the password.
    settings.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#entry")).to_be_visible()
    page.locator("#tab-login").click()
    page.fill("#f-login", alice.nick)
    page.fill("#f-password", "mauvais mot de passe")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator('#login-form [data-error-for="_form"]')).to_have_text("Identifiant ou mot de passe incorrect.")
    page.fill("#f-login", f"{alice.nick}@example.org")
    page.fill("#f-password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator("#account-nick")).to_have_text(alice.nick)
