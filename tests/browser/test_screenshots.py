"""Screenshots of the main screens for the README (docs/screenshots/*.png, overwritten each run).

They double as a smoke test of each screen in a realistic state."""

from __future__ import annotations

import random
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SIZE = {"width": 1100, "height": 680}
CLEAR_TOASTS = "() => document.getElementById('toasts').replaceChildren()"


def _nick(name: str) -> str:
    return f"{name}{random.randint(10, 99)}"


def test_screenshots_of_the_main_screens(people: Any, ui: Any) -> None:
    out = ui.screenshots
    out.mkdir(parents=True, exist_ok=True)

    # Entry page.
    visitor = people("shot", enter=False, viewport=SIZE)
    expect(visitor.page.locator("#entry-title")).to_be_visible()
    visitor.page.fill("#f-nickname", "Élodie")
    visitor.page.fill("#f-age", "27")
    visitor.page.select_option("#f-gender", "f")
    visitor.page.select_option("#f-region", "69")
    visitor.page.screenshot(path=str(out / "entry.png"))

    elodie = people(viewport=SIZE, nick=_nick("Élodie"), age=27, gender="f", region="69")
    hugo = people(viewport=SIZE, nick=_nick("Hugo"), age=31, gender="m", region="75")
    ines = people(viewport=SIZE, nick=_nick("Inès"), age=24, gender="f", region="13")
    sam = people(viewport=SIZE, nick=_nick("Sam"), age=38, gender="nb", region="33")

    # Directory.
    page = elodie.page
    expect(page.locator(".room-card").first).to_be_visible()
    page.screenshot(path=str(out / "directory.png"))

    # A room with a conversation: replies, a mention, a link.
    room = "musique" if page.locator('.room-card[data-slug="musique"]').count() else ui.pick_rooms(page, 1)[0]
    for p in (hugo, ines, sam, elodie):
        p.open_room(room)
    hugo.say("Salut tout le monde ! Quelqu'un a écouté le dernier album de Zaho de Sagazan ?")
    expect(elodie.messages("Zaho")).to_have_count(1)
    ines.say("Oui ! Il tourne en boucle chez moi depuis une semaine.")
    elodie.messages("Zaho").hover()
    elodie.messages("Zaho").get_by_role("button", name="Répondre").click()
    elodie.say(f"@{hugo.nick} elle passe à Lyon en mars, quelqu'un y va ?")
    sam.say("La setlist de la tournée : https://example.org/setlist")
    hugo.say(f"@{elodie.nick} moi ! On s'organise ?")
    expect(elodie.messages("On s'organise")).to_have_count(1)
    page.mouse.move(0, 0)
    page.evaluate(CLEAR_TOASTS)
    page.screenshot(path=str(out / "room.png"))

    # Private messages: Hugo writes to Élodie (a request), she accepts and answers.
    hugo.page.locator(f'#members-list .member[data-nick="{elodie.nick}"] button').click()
    hugo.page.locator("#dlg-member").get_by_role("button", name="Message privé").click()
    hugo.say("Coucou ! Je prends les places pour le concert ?")
    sam.page.locator(f'#members-list .member[data-nick="{elodie.nick}"] button').click()
    sam.page.locator("#dlg-member").get_by_role("button", name="Message privé").click()
    sam.say("Bonjour, tu connais un bon disquaire à Lyon ?")
    requests = page.locator("#sidebar .requests")
    expect(requests).to_contain_text(hugo.nick)
    expect(requests).to_contain_text(sam.nick)
    requests.locator(".conv-item", has_text=hugo.nick).click()
    elodie.conv.locator(".request-bar").get_by_role("button", name="Accepter").click()
    elodie.say("Oui, vas-y ! Deux places, je te rembourse.")
    expect(hugo.messages("Deux places")).to_have_count(1)
    hugo.say("C'est fait, rendez-vous devant la salle à 19 h.")
    expect(elodie.messages("rendez-vous")).to_have_count(1)
    page.mouse.move(0, 0)
    page.evaluate(CLEAR_TOASTS)
    page.screenshot(path=str(out / "dms.png"))

    # Phone: the room, in one column.
    phone = people(viewport=ui.phone, nick=_nick("Léa"), age=29, gender="f", region="31")
    phone.page.locator(f'.room-card[data-slug="{room}"] .room-open').click()
    expect(phone.messages("Zaho")).to_have_count(1)
    phone.say("Bonsoir ! Je découvre Causerie depuis mon téléphone.")
    expect(phone.messages("téléphone")).to_have_count(1)
    phone.page.evaluate(CLEAR_TOASTS)
    phone.page.screenshot(path=str(out / "phone.png"))

    for name in ("entry", "directory", "room", "dms", "phone"):
        size = (out / f"{name}.png").stat().st_size
        assert 5_000 < size < 400_000, f"{name}.png is {size} bytes"
