"""The meet-up safety nudge: a new account invites someone, in a private message, to a risky
meet-up (come alone, at night, behind the station, with cash). The server sends the recipient a
``nudge`` event; the conversation shows a kind safety card with a way to report, which can be
dismissed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LURE = "viens seul ce soir à minuit derrière la gare, ramène du liquide"


def test_meetup_nudge_card_in_the_conversation(people: Any, ui: Any) -> None:
    stranger = people("nouveau", gender="m", age=34)
    invited = people("invite", gender="m", age=27)
    (room,) = ui.pick_rooms(stranger.page, 1, offset=6)
    invited.open_room(room)
    stranger.open_room(room)

    stranger.page.locator(f'#members-list .member[data-nick="{invited.nick}"] button').click()
    stranger.page.locator("#dlg-member").get_by_role("button", name="Message privé").click()
    stranger.say(LURE)
    expect(stranger.messages(LURE)).to_have_count(1)

    # The invited person is told at once, even before opening the request…
    expect(invited.page.locator("#toasts")).to_contain_text(
        f"Conseils de sécurité pour votre conversation avec {stranger.nick}"
    )
    request = invited.page.locator("#sidebar .requests")
    expect(request).to_contain_text(stranger.nick)
    request.locator(".conv-item").first.click()
    expect(invited.messages(LURE)).to_have_count(1)

    # …and the conversation shows the safety card: public place, tell a friend, no cash, report.
    card = invited.conv.locator(".nudge-card")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("role", "region")
    expect(card).to_contain_text(f"{stranger.nick} vous propose de vous retrouver")
    expect(card).to_contain_text("lieu public")
    expect(card).to_contain_text("Dites à un proche où vous allez")
    expect(card).to_contain_text("N'emportez jamais d'argent liquide")
    expect(card).to_contain_text("signaler cette conversation")

    # Its Report button opens the report dialog about that person, "violence, threats or an ambush".
    card.get_by_role("button", name="Signaler la conversation").click()
    dialog = invited.page.locator("#dlg-report")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#report-what")).to_contain_text(stranger.nick)
    expect(dialog.get_by_label("Violence, menaces ou guet-apens")).to_be_checked()
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()

    # It can be dismissed.
    card.get_by_role("button", name="J'ai compris").click()
    expect(invited.conv.locator(".nudge-card")).to_have_count(0)
    # The sender is never shown the card.
    expect(stranger.page.locator(".nudge-card")).to_have_count(0)
