"""Room view details: unread badges and the new-message divider, typing indicator, collapsing
join/leave lines, infinite scroll back through history, the character counter."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_unread_badge_divider_typing_and_presence_lines(people: Any, ui: Any) -> None:
    alice = people("alice")
    bob = people("bob", gender="m")
    room_a, room_b = ui.pick_rooms(alice.page, 2, offset=7)
    alice.open_room(room_a)
    alice.open_room(room_b)  # B is shown, A is in the background
    bob.open_room(room_a)

    first, second = f"un {bob.nick}", f"deux {bob.nick}"
    bob.say(first)
    bob.say(second)
    tab_a = alice.page.locator("#tabs .tab", has=alice.page.locator(f'[data-key="{room_a}"]'))
    expect(tab_a.locator(".badge")).to_have_text("2")
    expect(alice.page).to_have_title(re.compile(r"^\(2\) "))

    tab_a.locator('[role="tab"]').click()
    expect(tab_a.locator(".badge")).to_have_count(0)
    divider = alice.conv.locator(".divider")
    expect(divider).to_be_visible()
    # The divider sits right before the first unread message.
    expect(alice.conv.locator(".divider + .msg .msg-text")).to_have_text(first)

    # Join lines collapse when several people arrive together; leaving is shown too.
    others = [people(f"p{i}", age=30 + i) for i in range(3)]
    for p in others:
        p.open_room(room_a)
    expect(alice.conv.locator(".sys.presence").last).to_contain_text("3 personnes sont arrivées")
    bob.page.locator("#tabs .tab-close").first.click()  # Bob leaves room A
    expect(alice.conv.locator(".sys.presence").last).to_contain_text(f"{bob.nick} est parti·e")
    expect(alice.page.locator(f'#members-list .member[data-nick="{bob.nick}"]')).to_have_count(0)

    # Typing indicator (the server relays at most one "typing" per person and room every 2 s).
    typist = others[0]
    typist.conv.locator("textarea").press_sequentially("je tape")
    expect(alice.conv.locator(".typing-line")).to_have_text(f"{typist.nick} écrit…")
    typist.conv.locator("textarea").press("Enter")
    expect(alice.conv.locator(".typing-line")).to_have_text("")


# Sends many messages fast from the writer's page over a WebSocket of its own (same cookie).
BULK_SEND = """async ([room, texts]) => {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  const acks = new Set();
  let joined;
  const done = new Promise((resolve, reject) => {
    ws.onmessage = (m) => {
      for (const line of m.data.split('\\n')) {
        if (!line) continue;
        const ev = JSON.parse(line);
        if (ev.type === 'welcome') ws.send(JSON.stringify({type: 'join', room}));
        else if (ev.type === 'joined') joined();
        else if (ev.type === 'ack') { acks.add(ev.ref); if (acks.size === texts.length) resolve(); }
        else if (ev.type === 'error') reject(new Error(ev.code));
      }
    };
  });
  await new Promise((r) => { joined = r; ws.onopen = () => ws.send(JSON.stringify({type: 'hello', v: 1})); });
  texts.forEach((text, i) => ws.send(JSON.stringify({type: 'send', room, text, client_id: `bulk-${i}-${Date.now()}`})));
  await done;
  ws.close();
  return acks.size;
}"""


def test_infinite_scroll_loads_older_history(people: Any, ui: Any) -> None:
    writer = people("histw")
    (room,) = ui.pick_rooms(writer.page, 1, offset=9)
    texts = [f"h{i:03d} {writer.nick}" for i in range(130)]
    assert writer.page.evaluate(BULK_SEND, [room, texts]) == len(texts)

    reader = people("histr")
    reader.open_room(room)
    mine = reader.conv.locator(".msg[data-msg-id]", has_text=writer.nick)
    expect(reader.messages(texts[-1])).to_have_count(1)
    all_msgs = reader.conv.locator(".msg[data-msg-id]")
    assert mine.count() < len(texts), "the first page should not hold everything"
    # Scroll to the top (as a reader would) until everything is there.
    for _ in range(6):
        if mine.count() >= len(texts):
            break
        before = all_msgs.count()
        reader.conv.locator(".log-scroll").evaluate(
            "el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }"
        )
        reader.page.wait_for_function(
            "n => document.querySelectorAll('section.conv:not([hidden]) .msg[data-msg-id]').length > n", arg=before
        )
    expect(mine).to_have_count(len(texts))
    shown = mine.locator(".msg-text").all_text_contents()
    assert shown == texts, "history must be complete, in order, without duplicates"
    ids = all_msgs.evaluate_all("els => els.map(e => e.dataset.msgId)")
    assert len(ids) == len(set(ids))
    # The reader kept their place: the view did not jump back to the bottom.
    assert reader.conv.locator(".log-scroll").evaluate("el => el.scrollTop") < 2000


def test_character_counter_near_the_limit(people: Any, ui: Any) -> None:
    me = people("compteur")
    (room,) = ui.pick_rooms(me.page, 1, offset=10)
    me.open_room(room)
    box = me.conv.locator("textarea")
    counter = me.conv.locator(".counter")
    box.fill("a" * 100)
    expect(counter).to_be_hidden()
    box.fill("é" * 900)
    expect(counter).to_have_text("100 caractères restants")
    box.fill("😀" * 1001)  # code points, not UTF-16 units
    expect(counter).to_have_text("1 caractère en trop")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    expect(me.conv.locator("button.send")).to_be_disabled()
    box.press("Enter")
    expect(me.conv.locator(".msg.pending")).to_have_count(0)
    box.fill("😀" * 1000)
    expect(me.conv.locator("button.send")).to_be_enabled()
