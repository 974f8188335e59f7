"""GDPR from the client: the settings dialog downloads my data (JSON, mine only) and deletes my
account, then says what was erased and what the law keeps, until when."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_download_my_data_then_delete_my_account(people: Any, ui: Any) -> None:
    me = people("donnees")
    other = people("autre")
    (room,) = ui.pick_rooms(me.page, 1, offset=7)
    me.open_room(room)
    other.open_room(room)
    me.say("mon message à télécharger")
    other.say("le message de quelqu'un d'autre")
    expect(me.messages("le message de quelqu'un d'autre")).to_have_count(1)
    page = me.page

    page.locator("#account-btn").click()
    settings = page.locator("#dlg-settings")
    expect(settings).to_be_visible()
    with page.expect_download() as info:
        settings.get_by_role("button", name="Télécharger mes données").click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["account"][0]["nickname"] == me.nick
    texts = [m["text"] for m in data["messages"]]
    assert texts == ["mon message à télécharger"]
    assert "quelqu'un d'autre" not in json.dumps(data, ensure_ascii=False)

    # A guest deletes without a password; the answer says what is kept and until when.
    settings.locator("#gdpr-delete summary").click()
    expect(settings.locator("#gdpr-password-field")).to_be_hidden()
    settings.get_by_role("button", name="Supprimer définitivement mon compte").click()
    deleted = page.locator("#dlg-deleted")
    expect(deleted).to_be_visible()
    expect(deleted.locator("#deleted-summary")).to_contain_text("1 message(s) effacé(s)")
    expect(deleted.locator('[data-kept="connection_records"]')).to_have_text(
        re.compile(r"^Journaux de connexion \(adresse IP.*\) — jusqu'au \d+ \w+ 20\d\d$")
    )
    expect(deleted.locator('[data-kept="identification"]')).to_contain_text("jusqu'au")
    expect(page.locator("#entry")).to_be_visible()
    # the message is gone for the others too
    other.page.reload()
    other.open_room(room)
    expect(other.messages("mon message à télécharger")).to_have_count(0)
    assert me.console_errors == [], me.console_errors
