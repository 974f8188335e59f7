"""Browser tests: Debian's Chromium driven by Playwright (sync API) against the live test server.

One browser for the whole session; each test opens its own contexts (one per person), so cookies
and storage never leak between people or tests. Nicknames are unique per test because the server
is shared by the session.

Without /usr/bin/chromium (or Playwright) the browser tests skip with the reason; under CI=true
they fail instead, because CI must run everything.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize

CHROMIUM = Path(os.environ.get("CAUSERIE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

# Flags a payload would set if it ever ran; checked after every XSS attempt.
XSS_PROBE = """
window.__xss = window.__xss || 0;
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || ''));
});
"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (Debian's; Playwright cannot download one here)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is absent: install Debian's chromium package to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    pw = sync_playwright().start()
    try:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # pragma: no cover - depends on the machine
        pw.stop()
        _unavailable(f"Chromium did not start: {exc}")
    try:
        yield instance
    finally:
        instance.close()
        pw.stop()


@pytest.fixture(scope="session")
def server(live_server: Any) -> Any:
    """The session's live server (tests/conftest.py): ``.base_url`` and ``.restart()``."""
    return live_server


def unique_nick(prefix: str) -> str:
    """A short unique nickname: letters and digits only (valid everywhere)."""
    return f"{prefix}{uuid.uuid4().hex[:7]}"


@dataclass
class Person:
    """One person in their own browser context."""

    page: Page
    nick: str
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def conv(self) -> Locator:
        """The conversation shown now (room or private conversation)."""
        return self.page.locator("section.conv:not([hidden])")

    def messages(self, text: str | re.Pattern[str] | None = None) -> Locator:
        """Stored messages (with a server id) in the shown conversation, optionally by text."""
        loc = self.conv.locator(".msg[data-msg-id]")
        if text is not None:
            loc = loc.filter(has=self.page.locator(".msg-text", has_text=text))
        return loc

    def say(self, text: str) -> None:
        box = self.conv.locator("textarea")
        box.fill(text)
        box.press("Enter")

    def open_room(self, slug: str) -> None:
        from playwright.sync_api import expect

        self.page.locator("#tab-directory").click()
        self.page.locator(f'.room-card[data-slug="{slug}"] .room-open').click()
        # Joined: the room's members list shows me.
        expect(self.page.locator(f'#members-list .member[data-nick="{self.nick}"]')).to_be_visible()

    def xss_state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.page.evaluate(
            "() => ({xss: window.__xss || 0, csp: window.__cspViolations || []})"
        )
        state["dialogs"] = list(self.dialogs)
        return state


def enter_guest(page: Page, nick: str, *, age: int = 30, gender: str = "f", region: str = "75") -> None:
    """Fill the entry form and wait until the chat is connected."""
    from playwright.sync_api import expect

    page.goto("/")
    expect(page.locator("#entry")).to_be_visible()
    page.fill("#f-nickname", nick)
    page.fill("#f-age", str(age))
    page.select_option("#f-gender", gender)
    page.select_option("#f-region", region)
    page.check("#guest-form input[name=accept_rules]")
    page.check("#guest-form input[name=adult]")
    page.locator("#guest-form [type=submit]").click()
    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")


PeopleFactory = Callable[..., Person]
_EXPECTED_CONSOLE = ("Failed to load resource", "WebSocket connection to")


@pytest.fixture
def people(browser: Browser, server: Any) -> Iterator[PeopleFactory]:
    """Factory: ``people("ana", age=25, gender="f")`` opens a context, enters, returns a Person.

    ``enter=False`` stops on the entry page (nickname not used yet).
    """
    contexts: list[BrowserContext] = []
    created: list[Person] = []

    def make(
        prefix: str = "u",
        *,
        age: int = 30,
        gender: str = "f",
        region: str = "75",
        viewport: ViewportSize | None = None,
        enter: bool = True,
        reduced_motion: bool = True,
        nick: str | None = None,
        color_scheme: Literal["light", "dark"] = "light",
    ) -> Person:
        size = viewport or DESKTOP
        context = browser.new_context(
            base_url=server.base_url,
            viewport=size,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            reduced_motion="reduce" if reduced_motion else "no-preference",
            color_scheme=color_scheme,
            is_mobile=size["width"] <= 640,
            has_touch=size["width"] <= 640,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(XSS_PROBE)
        person = Person(page=page, nick=nick or unique_nick(prefix))

        def on_dialog(dialog: Any) -> None:
            person.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_console(msg: Any) -> None:
            # Chromium logs failed HTTP calls (the 401 of "am I signed in?", refusals under test)
            # and refused WebSocket connections (server restart) itself: those are expected.
            if msg.type == "error" and not any(x in msg.text for x in _EXPECTED_CONSOLE):
                person.console_errors.append(msg.text)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: person.console_errors.append(f"pageerror: {exc}"))
        created.append(person)
        if enter:
            enter_guest(page, person.nick, age=age, gender=gender, region=region)
        else:
            page.goto("/")
        return person

    yield make
    for context in contexts:
        context.close()
    errors = [f"{p.nick}: {e}" for p in created for e in p.console_errors]
    assert not errors, f"JavaScript errors in the page: {errors}"


def pick_rooms(page: Page, count: int, offset: int = 0) -> list[str]:
    """Slugs of public, ungated rooms from the directory (tests use different offsets).

    Sorted by slug, not by the directory's order (which follows live member counts), so each
    test gets the same rooms whatever ran before it.
    """
    from playwright.sync_api import expect

    cards = page.locator('.room-card[data-kind="public"][data-min-age="18"][data-max-age=""]')
    expect(cards.first).to_be_visible()
    slugs: list[str] = sorted(cards.evaluate_all("els => els.map(e => e.dataset.slug)"))
    assert len(slugs) >= offset + count, f"not enough public rooms in the directory: {slugs}"
    return slugs[offset : offset + count]


@pytest.fixture(scope="session")
def ui() -> SimpleNamespace:
    """Helpers for the tests (test modules do not import conftest)."""
    return SimpleNamespace(
        pick_rooms=pick_rooms,
        enter_guest=enter_guest,
        unique_nick=unique_nick,
        screenshots=SCREENSHOTS,
        phone=PHONE,
        desktop=DESKTOP,
    )
