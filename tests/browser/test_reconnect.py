"""The server restarts mid-conversation: the page shows the banner, reconnects by itself, resumes
each room from the last seq it saw, resends what was not acknowledged, and shows every message
exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _ids_and_texts(person: Any) -> tuple[list[str], list[str]]:
    rows: list[list[str]] = person.conv.locator(".msg[data-msg-id]").evaluate_all(
        "els => els.map(e => [e.dataset.msgId, e.querySelector('.msg-text').textContent])"
    )
    return [r[0] for r in rows], [r[1] for r in rows]


def test_restart_mid_conversation_recovers_without_loss_or_duplicates(people: Any, ui: Any, server: Any) -> None:
    alice = people("alice")
    bob = people("bob", gender="m")
    (room,) = ui.pick_rooms(alice.page, 1, offset=3)
    alice.open_room(room)
    bob.open_room(room)

    before = [f"avant {i} {alice.nick}" for i in range(3)]
    for i, text in enumerate(before):
        (alice if i % 2 == 0 else bob).say(text)
    for text in before:
        expect(alice.messages(text)).to_have_count(1)
        expect(bob.messages(text)).to_have_count(1)

    restart = threading.Thread(target=server.restart)
    restart.start()
    try:
        banner = alice.page.locator("#conn-banner")
        expect(banner).to_be_visible()
        expect(bob.page.locator("#conn-banner")).to_be_visible()
        # Written while the server is away: shown as "sending…", resent after the reconnect.
        offline = f"pendant la coupure {alice.nick}"
        alice.say(offline)
        expect(alice.conv.locator(".msg.pending")).to_have_count(1)
        expect(alice.conv.locator(".msg.pending .msg-status")).to_contain_text("Envoi")
    finally:
        restart.join(60)
    assert not restart.is_alive(), "the server did not restart"

    expect(alice.page.locator("#conn-banner")).to_be_hidden(timeout=20_000)
    expect(bob.page.locator("#conn-banner")).to_be_hidden(timeout=20_000)
    expect(alice.page.locator("#conn-status")).to_have_attribute("data-state", "online")
    expect(alice.conv.locator(".msg.pending")).to_have_count(0)
    expect(alice.messages(offline)).to_have_count(1)
    expect(bob.messages(offline)).to_have_count(1)

    after = f"après {bob.nick}"
    bob.say(after)
    expect(alice.messages(after)).to_have_count(1)
    expect(bob.messages(after)).to_have_count(1)

    for person in (alice, bob):
        ids, texts = _ids_and_texts(person)
        assert len(ids) == len(set(ids)), f"{person.nick}: duplicated message ids {Counter(ids)}"
        counts = Counter(texts)
        for text in [*before, offline, after]:
            assert counts[text] == 1, f"{person.nick}: {text!r} shown {counts[text]} times"
        # In seq order.
        seqs = person.conv.locator(".msg[data-seq]").evaluate_all("els => els.map(e => +e.dataset.seq)")
        assert seqs == sorted(seqs)
