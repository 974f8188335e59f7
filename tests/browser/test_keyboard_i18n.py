"""Keyboard use (Escape closes dialogs and cards, focus is visible and returns where it was) and
the language switch."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FOCUS_STYLE = "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"


def test_escape_closes_dialogs_and_focus_is_visible(people: Any, ui: Any) -> None:
    me = people("clavier")
    page = me.page
    opener = page.locator("#create-room-btn")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#dlg-room")
    expect(dialog).to_be_visible()
    expect(page.locator("#room-name")).to_be_focused()
    page.keyboard.press("Tab")
    style, width = page.evaluate(FOCUS_STYLE)
    assert style != "none" and width != "0px", "keyboard focus must be visible"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # The member card closes with Escape too.
    (room,) = ui.pick_rooms(page, 1, offset=5)
    me.open_room(room)
    member = page.locator(f'#members-list .member[data-nick="{me.nick}"] button')
    member.focus()
    page.keyboard.press("Enter")
    card = page.locator("#dlg-member")
    expect(card).to_be_visible()
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    expect(member).to_be_focused()

    # Tab from the composer moves on with a visible ring; Enter in the composer sends.
    composer = me.conv.locator("textarea")
    composer.focus()
    composer.type(f"au clavier {me.nick}")
    page.keyboard.press("Enter")
    expect(me.messages(f"au clavier {me.nick}")).to_have_count(1)
    # Shift+Enter makes a new line instead of sending.
    composer.type("ligne 1")
    page.keyboard.press("Shift+Enter")
    composer.type("ligne 2")
    expect(composer).to_have_value("ligne 1\nligne 2")
    page.keyboard.press("Enter")
    expect(me.messages("ligne 1\nligne 2")).to_have_count(1)


def test_language_switch_to_english_and_back(people: Any) -> None:
    visitor = people("lang", enter=False)
    page = visitor.page
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#entry-title")).to_have_text("Bienvenue sur Causerie")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#entry-title")).to_have_text("Welcome to Causerie")
    expect(page.locator("label[for=f-nickname]")).to_have_text("Nickname")
    expect(page.locator("#rules-title")).to_have_text("The rules, plainly")
    # Server-provided names follow the language too (meta ?lang=en).
    expect(page.locator("#f-gender option[value=f]")).not_to_have_text("Femme")
    # Errors are translated client-side by code.
    page.locator("#guest-form [type=submit]").click()
    expect(page.locator("#err-nickname")).to_have_text("Nickname has the wrong length.")
    # The choice is kept.
    page.reload()
    expect(page.locator("#entry-title")).to_have_text("Welcome to Causerie")
    page.locator("#lang-switch").click()
    expect(page.locator("#entry-title")).to_have_text("Bienvenue sur Causerie")


def test_entry_errors_are_shown_next_to_the_right_field(people: Any, ui: Any) -> None:
    taken = people("pris")
    visitor = people("new", enter=False)
    page = visitor.page
    form = page.locator("#guest-form")
    page.fill("#f-nickname", visitor.nick)
    page.fill("#f-age", "16")
    page.select_option("#f-gender", "m")
    page.select_option("#f-region", "33")
    form.locator("[type=submit]").click()
    expect(page.locator("#err-age")).to_have_text("Causerie est réservé aux adultes (18 ans ou plus).")
    expect(page.locator("#f-age")).to_have_attribute("aria-invalid", "true")
    page.fill("#f-age", "40")
    form.locator("[type=submit]").click()
    expect(page.locator("#err-rules")).to_be_visible()
    page.check("#guest-form input[name=accept_rules]")
    page.check("#guest-form input[name=adult]")
    # A nickname in use: the server's nickname_taken, shown under the nickname.
    page.fill("#f-nickname", taken.nick.upper())
    form.locator("[type=submit]").click()
    expect(page.locator("#err-nickname")).to_contain_text("pseudo")
    expect(page.locator("#err-age")).to_be_hidden()
    page.fill("#f-nickname", "a")
    form.locator("[type=submit]").click()
    expect(page.locator("#err-nickname")).to_have_text("Le pseudo n'a pas la bonne longueur.")
    page.fill("#f-nickname", "admin")
    form.locator("[type=submit]").click()
    expect(page.locator("#err-nickname")).to_have_text("Ce pseudo est réservé.")
    page.fill("#f-nickname", visitor.nick)
    form.locator("[type=submit]").click()
    expect(page.locator("#chat")).to_be_visible()


def test_language_switch_in_the_chat(people: Any, ui: Any) -> None:
    me = people("langchat")
    page = me.page
    (room,) = ui.pick_rooms(page, 1, offset=5)
    me.open_room(room)
    me.say(f"bonjour {me.nick}")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#tab-directory")).to_have_text("Rooms")
    expect(me.conv.locator("textarea")).to_have_attribute("placeholder", "Write a message…")
    expect(me.conv.locator("button.send")).to_have_text("Send")
    expect(page.locator("#members-title")).to_have_text("Members (1)")
    expect(page.locator("#member-filters select[name=gender] option[value='']")).to_have_text("All")
    expect(me.messages(f"bonjour {me.nick}").get_by_role("button", name="Reply")).to_be_attached()
    expect(me.conv.locator(".conv-head button.report")).to_have_text("Report room")
    expect(me.conv.locator("button.attach")).to_have_attribute("aria-label", "Attach a picture")
    page.locator("#tab-directory").click()
    expect(page.locator("#directory h2")).to_have_text("Rooms")
    expect(page.locator("#create-room-btn")).to_have_text("Create a room")
    expect(page.locator(".dir-cat h3").first).not_to_have_text("Thèmes")  # server names, in English
    page.locator("#account-btn").click()
    expect(page.locator("#settings-title")).to_have_text("Account and settings")
    page.keyboard.press("Escape")
