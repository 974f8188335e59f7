"""Pictures in the browser: the attach button uploads the raw bytes, the message carries the
picture to the others (space reserved from its size, full size on a click); in a private message
from a stranger it arrives blurred and is shown on a click; refusals are said clearly.

Most tests run on a server of their own where new accounts may send pictures at once
(``media_new_account_minutes = 0``); the last one uses the shared server, where they may not yet.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from support.server import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server where pictures unlock at once (overrides conftest's ``server`` for this module)."""
    folder: Path = tmp_path_factory.mktemp("browser-pictures")
    live = LiveServer(folder, env={"CAUSERIE_MEDIA_NEW_ACCOUNT_MINUTES": "0"})
    live.start()
    try:
        yield live
    finally:
        live.stop()


def picture(width: int = 400, height: int = 300, seed: int = 1) -> bytes:
    """A small PNG with some structure (blocks of colour), different per seed."""
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(30):
        x, y = rng.randrange(width), rng.randrange(height)
        box = (x, y, min(width, x + rng.randrange(20, 120)), min(height, y + rng.randrange(20, 120)))
        img.paste((rng.randrange(256), rng.randrange(256), rng.randrange(256)), box)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def attach(person: Any, data: bytes, name: str = "photo.png", mime: str = "image/png") -> None:
    person.conv.locator("input.file-input").set_input_files({"name": name, "mimeType": mime, "buffer": data})


def test_picture_is_uploaded_and_shown_to_another_member(people: Any, ui: Any) -> None:
    alice = people("photo", gender="f", age=28)
    bob = people("regard", gender="m", age=33)
    (room,) = ui.pick_rooms(alice.page, 1, offset=0)
    alice.open_room(room)
    bob.open_room(room)

    expect(alice.conv.locator("button.attach")).to_have_attribute("aria-label", "Joindre une image")
    attach(alice, picture(400, 300, seed=7))
    preview = alice.conv.locator(".attach-preview")
    expect(preview).to_have_attribute("data-state", "ready")
    expect(preview).to_contain_text("Image prête")
    caption = f"mon chat {alice.nick}"
    alice.say(caption)
    expect(preview).to_be_hidden()

    got = bob.messages(caption)
    expect(got).to_have_count(1)
    img = got.locator(".msg-media img")
    expect(img).to_have_attribute("width", "280")  # fits 280 × 240, ratio kept: no layout jump
    expect(img).to_have_attribute("height", "210")
    expect(img).to_have_attribute("src", re.compile(r"/media/[^/]+/thumb$"))
    expect(got.locator(".msg-media")).not_to_have_class(re.compile(r"\bblurred\b"))
    bob.page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=img.element_handle(), timeout=10_000)
    # The author sees it too (from the server's copy), and nobody sees a duplicate.
    expect(alice.messages(caption).locator(".msg-media img")).to_have_count(1)

    # A click shows it full size.
    img.click()
    viewer = bob.page.locator("#dlg-picture")
    expect(viewer).to_be_visible()
    big = viewer.locator("#picture-body img")
    expect(big).to_have_attribute("src", re.compile(r"/media/[^/]+$"))
    bob.page.wait_for_function("el => el.complete && el.naturalWidth === 400", arg=big.element_handle())
    expect(viewer.get_by_role("button", name="Signaler l'image")).to_be_visible()
    bob.page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()


def test_picture_from_a_stranger_arrives_blurred_and_is_revealed(people: Any, ui: Any) -> None:
    sender = people("inconnu", gender="m", age=40)
    receiver = people("prudente", gender="f", age=26)
    (room,) = ui.pick_rooms(sender.page, 1, offset=1)
    receiver.open_room(room)
    sender.open_room(room)
    sender.page.locator(f'#members-list .member[data-nick="{receiver.nick}"] button').click()
    sender.page.locator("#dlg-member").get_by_role("button", name="Message privé").click()
    expect(sender.conv.locator(".conv-title")).to_have_text(receiver.nick)

    attach(sender, picture(300, 400, seed=11))
    expect(sender.conv.locator(".attach-preview")).to_have_attribute("data-state", "ready")
    sender.conv.locator("button.send").click()  # a picture alone, no text
    expect(sender.messages().locator(".msg-media img")).to_have_count(1)
    expect(sender.messages().locator(".msg-media.blurred")).to_have_count(0)  # the author's own copy

    request = receiver.page.locator("#sidebar .requests")
    expect(request).to_contain_text(sender.nick)
    request.locator(".conv-item").first.click()
    media = receiver.messages().locator(".msg-media")
    expect(media).to_have_count(1)
    expect(media).to_have_class(re.compile(r"\bblurred\b"))
    blurred_filter = media.locator("img").evaluate("el => getComputedStyle(el).filter")
    assert "blur" in blurred_filter, blurred_filter
    expect(media.locator("img")).to_have_attribute("width", "180")  # 300 × 400 fits 280 × 240
    expect(media.locator("img")).to_have_attribute("height", "240")
    # Not openable by accident while blurred; one explicit click shows it.
    reveal = media.get_by_role("button", name="Afficher l'image")
    expect(reveal).to_be_visible()
    reveal.click()
    expect(media).not_to_have_class(re.compile(r"\bblurred\b"))
    assert media.locator("img").evaluate("el => getComputedStyle(el).filter") == "none"
    expect(media.locator("button.media-open")).to_be_focused()


def test_refused_upload_is_said_clearly(people: Any, ui: Any) -> None:
    me = people("rate", gender="f", age=30)
    (room,) = ui.pick_rooms(me.page, 1, offset=2)
    me.open_room(room)
    # Not a picture, whatever its type says: the server's unsupported_image, shown in the composer.
    attach(me, b"ceci n'est pas une image", name="faux.png")
    preview = me.conv.locator(".attach-preview")
    expect(preview).to_have_attribute("data-state", "failed")
    expect(preview.get_by_role("alert")).to_have_text("Image non prise en charge : envoyez un JPEG, PNG, WebP ou GIF.")
    # A type the client does not accept is refused before any upload.
    attach(me, b"GIF89a", name="doc.pdf", mime="application/pdf")
    expect(preview).to_have_attribute("data-state", "refused")
    expect(preview).to_contain_text("Image non prise en charge")
    preview.get_by_role("button", name="Fermer").click()
    expect(preview).to_be_hidden()


def test_new_account_sees_when_pictures_unlock(browser: Any, live_server: Any, ui: Any) -> None:
    """On the shared server a new account waits ``media_new_account_minutes`` (60) for pictures."""
    context = browser.new_context(base_url=live_server.base_url, viewport=ui.desktop, locale="fr-FR")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        ui.enter_guest(page, ui.unique_nick("neuf"))
        (room,) = ui.pick_rooms(page, 1, offset=3)
        page.locator(f'.room-card[data-slug="{room}"] .room-open').click()
        conv = page.locator("section.conv:not([hidden])")
        attach = conv.locator("button.attach")
        expect(attach).to_have_attribute("aria-disabled", "true")  # progressive privileges (docs/safety.md)
        attach.click(force=True)  # still clickable: the click explains the wait
        preview = conv.locator(".attach-preview")
        expect(preview).to_be_visible()
        expect(preview.get_by_role("alert")).to_contain_text("Les images ne sont pas encore disponibles pour vous")
        expect(preview.get_by_role("alert")).to_contain_text("à partir du")
    finally:
        context.close()
