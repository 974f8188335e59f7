"""The phone layout (390×844): one column, a bottom bar to reach the rooms, the conversation, the
private messages and the members."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_phone_enter_open_room_send_and_see_members(people: Any, ui: Any) -> None:
    me = people("tel", viewport=ui.phone)
    page = me.page
    nav = page.locator("#phone-nav")
    expect(nav).to_be_visible()
    # One column: the directory fills the width; sidebar and members are out of the way.
    expect(page.locator("#directory")).to_be_visible()
    expect(page.locator("#sidebar")).to_be_hidden()
    width = page.locator("#center").bounding_box()
    assert width is not None and width["width"] >= 380

    (room,) = ui.pick_rooms(page, 1, offset=4)
    page.locator(f'.room-card[data-slug="{room}"] .room-open').click()
    expect(me.conv).to_be_visible()
    expect(page.locator("#directory")).to_be_hidden()
    composer = me.conv.locator("textarea")
    expect(composer).to_be_visible()
    box = composer.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390

    text = f"Depuis mon téléphone {me.nick}"
    me.say(text)
    expect(me.messages(text)).to_have_count(1)

    # Members: reachable from the bottom bar, and back to the conversation.
    nav.get_by_role("button", name="Membres").click()
    expect(page.locator("#members")).to_be_visible()
    expect(me.conv).to_be_hidden()
    expect(page.locator(f'#members-list .member[data-nick="{me.nick}"]')).to_be_visible()
    nav.get_by_role("button", name="Discussion").click()
    expect(me.conv).to_be_visible()
    expect(me.messages(text)).to_have_count(1)

    # Private messages list, then the room list.
    nav.get_by_role("button", name="Messages").click()
    expect(page.locator("#sidebar")).to_be_visible()
    nav.get_by_role("button", name="Salons").click()
    expect(page.locator("#directory")).to_be_visible()
    # Nothing overflows sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
