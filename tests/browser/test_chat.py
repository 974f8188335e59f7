"""Two and three people chatting: room messages both ways, replies, mentions, private message
requests, and the members panel's filters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser


def test_two_people_exchange_messages_in_a_room(people: Any, ui: Any) -> None:
    alice = people("alice", gender="f", age=31)
    bob = people("bob", gender="m", age=34, region="69")
    (room,) = ui.pick_rooms(alice.page, 1, offset=0)
    alice.open_room(room)
    bob.open_room(room)
    # Each sees the other in the members list.
    expect(alice.page.locator(f'#members-list .member[data-nick="{bob.nick}"]')).to_be_visible()
    expect(bob.page.locator(f'#members-list .member[data-nick="{alice.nick}"]')).to_be_visible()

    hello = f"Salut {bob.nick}, ça va ? #{alice.nick}"
    alice.say(hello)
    expect(alice.messages(hello)).to_have_count(1)
    expect(bob.messages(hello)).to_have_count(1)

    # Bob replies to Alice's message, mentioning her.
    bob.messages(hello).hover()
    bob.messages(hello).get_by_role("button", name="Répondre").click()
    expect(bob.conv.locator(".reply-preview")).to_be_visible()
    answer = f"@{alice.nick} très bien, et toi ?"
    bob.say(answer)
    expect(bob.conv.locator(".reply-preview")).to_be_hidden()

    got = alice.messages(answer)
    expect(got).to_have_count(1)
    expect(got).to_have_class(re.compile(r"\bmentions-me\b"))
    expect(got.locator(".quote")).to_contain_text(alice.nick)
    expect(got.locator(".at.is-me")).to_have_text(f"@{alice.nick}")
    expect(got.locator(".nick")).to_have_text(bob.nick)

    # The author's own copy is not pending any more and is not duplicated.
    expect(bob.messages(answer)).to_have_count(1)
    expect(bob.conv.locator(".msg.pending")).to_have_count(0)


def test_private_message_request_is_accepted_and_answered(people: Any, ui: Any) -> None:
    alice = people("alice", gender="f", age=29)
    bob = people("bob", gender="m", age=33)
    (room,) = ui.pick_rooms(alice.page, 1, offset=1)
    bob.open_room(room)
    alice.open_room(room)

    # Alice opens Bob's card from the members list and writes to him.
    alice.page.locator(f'#members-list .member[data-nick="{bob.nick}"] button').click()
    card = alice.page.locator("#dlg-member")
    expect(card).to_be_visible()
    expect(card.locator("#card-nick")).to_have_text(bob.nick)
    expect(card.get_by_role("button", name="Signaler")).to_be_enabled()
    card.get_by_role("button", name="Message privé").click()
    expect(card).to_be_hidden()
    expect(alice.conv.locator(".conv-title")).to_have_text(bob.nick)
    first = f"Bonjour {bob.nick}, on discute ?"
    alice.say(first)
    expect(alice.messages(first)).to_have_count(1)

    # Bob sees a message request, apart from his conversations.
    request = bob.page.locator("#sidebar .requests")
    expect(request).to_be_visible()
    expect(request).to_contain_text(alice.nick)
    expect(request.get_by_role("button", name="Signaler")).to_be_enabled()
    request.locator(".conv-item").first.click()
    expect(bob.conv.locator(".request-bar")).to_be_visible()
    expect(bob.messages(first)).to_have_count(1)
    expect(bob.conv.locator(".composer")).to_be_hidden()
    bob.conv.locator(".request-bar").get_by_role("button", name="Accepter").click()
    expect(bob.conv.locator(".request-bar")).to_be_hidden()
    expect(request).to_be_hidden()
    expect(bob.page.locator("#sidebar .conv-item", has_text=alice.nick)).to_be_visible()

    reply = f"Oui {alice.nick}, avec plaisir !"
    bob.say(reply)
    expect(bob.messages(reply)).to_have_count(1)
    expect(alice.messages(reply)).to_have_count(1)
    # Same conversation on both sides, and each message once.
    expect(alice.messages()).to_have_count(2)
    expect(bob.messages()).to_have_count(2)


def test_members_panel_filters_by_age_gender_and_region(people: Any, ui: Any) -> None:
    ana = people("ana", gender="f", age=24, region="75")
    marc = people("marc", gender="m", age=41, region="69")
    noa = people("noa", gender="nb", age=58, region="13")
    (room,) = ui.pick_rooms(ana.page, 1, offset=2)
    for p in (ana, marc, noa):
        p.open_room(room)
    page: Page = ana.page
    listed = page.locator("#members-list .member")

    def nick(p: Any) -> Locator:
        return page.locator(f'#members-list .member[data-nick="{p.nick}"]')

    for p in (ana, marc, noa):
        expect(nick(p)).to_be_visible()

    def visible_members() -> list[dict[str, str]]:
        rows: list[dict[str, str]] = listed.evaluate_all("els => els.map(e => ({...e.dataset}))")
        return rows

    filters = page.locator("#member-filters")
    # Age range 35–50: only Marc of ours; everyone listed is in range.
    filters.locator("input[name=age_min]").fill("35")
    filters.locator("input[name=age_max]").fill("50")
    expect(nick(marc)).to_be_visible()
    expect(nick(ana)).to_have_count(0)
    expect(nick(noa)).to_have_count(0)
    assert all(35 <= int(m["age"]) <= 50 for m in visible_members())
    expect(page.locator("#members-count")).to_contain_text("affichée")

    # Gender only.
    filters.get_by_role("button", name="Tout afficher").click()
    expect(nick(ana)).to_be_visible()
    filters.locator("select[name=gender]").select_option("nb")
    expect(nick(noa)).to_be_visible()
    expect(nick(ana)).to_have_count(0)
    expect(nick(marc)).to_have_count(0)
    assert {m["gender"] for m in visible_members()} == {"nb"}

    # Region, combined with an age floor.
    filters.locator("select[name=gender]").select_option("")
    filters.locator("select[name=region]").select_option("69")
    filters.locator("input[name=age_min]").fill("40")
    filters.locator("input[name=age_max]").fill("")
    expect(nick(marc)).to_be_visible()
    expect(nick(ana)).to_have_count(0)
    expect(nick(noa)).to_have_count(0)
    assert all(m["region"] == "69" and int(m["age"]) >= 40 for m in visible_members())

    # Nobody matches: a plain message, not an empty void.
    filters.locator("input[name=age_min]").fill("99")
    expect(listed).to_have_count(0)
    expect(page.locator("#members-list")).to_contain_text("Personne ne correspond")

    # Reset shows all three again; filters survive a reload (kept in localStorage).
    filters.locator("input[name=age_min]").fill("50")
    page.reload()
    expect(page.locator("#member-filters input[name=age_min]")).to_have_value("50")
    page.locator("#member-filters").get_by_role("button", name="Tout afficher").click()
    for p in (ana, marc, noa):
        expect(nick(p)).to_be_visible()
