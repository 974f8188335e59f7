"""Hostile text never runs: an XSS corpus sent as messages, room names and topics, and
nicknames. Every payload must show as its literal text, fire no dialog, set no flag and not even
trigger a CSP violation (nothing was injected for the CSP to block). Plus the CSP header itself."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "</textarea><script>window.__xss=1</script>",
    "{{constructor.constructor('alert(1)')()}}",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<div style="background:url(javascript:window.__xss=1)">css</div>',
    "<style>@import 'javascript:window.__xss=1';</style>",
    "<svg><script>window.__xss=1</script></svg>",
    "<body onload=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    "<video><source onerror=window.__xss=1></video>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    '<object data="javascript:window.__xss=1">',
    '<embed src="data:text/html,<script>parent.__xss=1</script>">',
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    r"jaVasCript:/*-/*`/*\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A//</stYle/</titLe/</teXtarEa/</scRipt/--!>\x3csVg/<sVg/oNloAd=alert()//>\x3e",
    r"\u003cimg src=x onerror=window.__xss=1\u003e",
    "&lt;img src=x onerror=window.__xss=1&gt;",
    "\uff1cscript\uff1ewindow.__xss=1\uff1c/script\uff1e",
    '<a href="https://example.org" onclick="window.__xss=1">lien</a>',
    'https://example.org/"><img src=x onerror=window.__xss=1>',
    "http://x.test/?q=<script>window.__xss=1</script>",
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:window.__xss=1//">',
    '<form action="javascript:window.__xss=1"><button>go</button></form>',
    '<link rel=stylesheet href="data:text/css,*{color:red}">',
    '<img src="x" style="x:expression(window.__xss=1)">',
    "${window.__xss=1}",
    "'-window.__xss=1-'",
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    "<template><img src=x onerror=window.__xss=1></template>",
    "<svg><animate onbegin=window.__xss=1 attributeName=x dur=1s>",
    "[clic](javascript:window.__xss=1)",
    "<marquee onstart=window.__xss=1>m</marquee>",
    "<x onpointerover=window.__xss=1 onmouseover=alert(1)>survole-moi</x>",
]

ROOM_NAMES = [
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "{{constructor.constructor('alert(1)')()}}",
]
TOPIC = '<img src=x onerror=window.__xss=1> {{7*7}} javascript:alert(1) "><svg onload=alert(1)>'
TOO_LONG_NAME = '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>'

NICKNAMES = [
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=1>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "<b>gras</b>",
]

REFUSED_NICK = re.compile(r"^(Le pseudo contient des caractères interdits\.|Le pseudo n'a pas la bonne longueur\.)$")

# Only these elements may ever appear inside user text: mention spans and http(s) links.
SAFE_MARKUP = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('.msg-text *, .conv-title *, .conv-sub *, .room-name *, .room-topic *, .member-nick *, .nick *, .tab-label *')) {
    if (el.tagName === 'SPAN') continue;
    if (el.tagName === 'A' && /^https?:/.test(el.getAttribute('href')) && el.rel.includes('noopener') && el.target === '_blank') continue;
    bad.push(el.outerHTML);
  }
  return bad;
}"""


def assert_clean(*people: Any) -> None:
    for person in people:
        state = person.xss_state()
        assert state["dialogs"] == [], f"{person.nick}: dialogs fired {state['dialogs']}"
        assert not state["xss"], f"{person.nick}: a payload ran"
        assert state["csp"] == [], f"{person.nick}: something was injected (CSP blocked {state['csp']})"
        assert person.page.evaluate(SAFE_MARKUP) == []


def shown_texts(person: Any) -> list[str]:
    texts: list[str] = person.conv.locator(".msg[data-msg-id] .msg-text").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    return texts


def test_xss_corpus_as_messages_shows_literal_text(people: Any, ui: Any) -> None:
    assert len(PAYLOADS) >= 30
    alice = people("xssa")
    bob = people("xssb", gender="m")
    (room,) = ui.pick_rooms(alice.page, 1, offset=6)
    alice.open_room(room)
    bob.open_room(room)
    for payload in PAYLOADS:
        alice.say(payload)
    last = PAYLOADS[-1]
    for person in (alice, bob):
        expect(person.messages(last)).to_have_count(1)
        expect(person.conv.locator(".msg.pending")).to_have_count(0)
        texts = shown_texts(person)
        for payload in PAYLOADS:
            assert texts.count(payload) == 1, f"{person.nick}: {payload!r} not shown literally once"
    # Hover everything and open the quoted reply path too: still nothing runs.
    bob.messages(last).hover()
    bob.messages(last).get_by_role("button", name="Répondre").click()
    expect(bob.conv.locator(".reply-preview")).to_contain_text("survole-moi")
    bob.say("<img src=x onerror=alert(2)> en réponse")
    expect(alice.messages("<img src=x onerror=alert(2)> en réponse").locator(".quote")).to_contain_text(last)
    # Links: only the http(s) ones, opened safely.
    links = alice.conv.locator(".msg-text a")
    hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    for i in range(links.count()):
        expect(links.nth(i)).to_have_attribute("rel", "noopener noreferrer nofollow")
        expect(links.nth(i)).to_have_attribute("target", "_blank")
    assert_clean(alice, bob)


def test_xss_in_room_names_and_topics(people: Any) -> None:
    alice = people("xssr")
    bob = people("xssq", gender="m")
    page_of = {0: alice, 1: alice, 2: alice, 3: bob, 4: bob}  # at most 3 rooms per account
    created: list[str] = []
    for i, name in enumerate(ROOM_NAMES):
        person = page_of[i]
        page = person.page
        page.locator("#tab-directory").click()
        page.locator("#create-room-btn").click()
        dialog = page.locator("#dlg-room")
        expect(dialog).to_be_visible()
        page.fill("#room-name", name)
        page.fill("#room-topic", TOPIC)
        dialog.locator("[type=submit]").click()
        # Either the room opens (dialog closed) or the refusal shows in the dialog.
        page.wait_for_function(
            "() => !document.querySelector('#dlg-room').open"
            " || [...document.querySelectorAll('#dlg-room [data-error-for]')].some(e => !e.hidden)"
        )
        if dialog.is_visible():
            # Refused by the server: the refusal is shown, nothing ran.
            expect(dialog.locator("[data-error-for]:not([hidden])").first).not_to_be_empty()
            page.keyboard.press("Escape")
            continue
        expect(person.conv.locator(".conv-title")).to_have_text(name)
        expect(person.conv.locator(".conv-sub")).to_contain_text(TOPIC)
        created.append(name)
    assert created, "the server refused every room name; nothing rendered to check"

    # Too long: refused with the length error, shown in the dialog.
    alice.page.locator("#tab-directory").click()
    alice.page.locator("#create-room-btn").click()
    alice.page.fill("#room-name", TOO_LONG_NAME)
    alice.page.locator("#dlg-room [type=submit]").click()
    expect(alice.page.locator('#dlg-room [data-error-for="name"]')).to_have_text(
        "Le nom du salon n'a pas la bonne longueur."
    )
    alice.page.keyboard.press("Escape")

    # Another person sees them in the directory, literally.
    viewer = people("xssv")
    expect(viewer.page.locator(".room-card").first).to_be_visible()
    names = viewer.page.locator(".room-card .room-name").evaluate_all("els => els.map(e => e.textContent)")
    for name in created:
        assert name in names, f"{name!r} missing from the directory"
    topics = viewer.page.locator(".room-card .room-topic").evaluate_all("els => els.map(e => e.textContent)")
    assert TOPIC in topics
    assert_clean(alice, bob, viewer)


def test_xss_nicknames_are_refused_or_shown_literally(people: Any, ui: Any) -> None:
    visitor = people("xssn", enter=False)
    page = visitor.page
    for nick in NICKNAMES:
        page.fill("#f-nickname", nick)
        page.fill("#f-age", "30")
        page.select_option("#f-gender", "x")
        page.select_option("#f-region", "75")
        page.check("#guest-form input[name=accept_rules]")
        page.check("#guest-form input[name=adult]")
        page.locator("#guest-form [type=submit]").click()
        # Refused (forbidden characters, or too long), next to the nickname field.
        expect(page.locator("#err-nickname")).to_have_text(REFUSED_NICK)
        expect(page.locator("#chat")).to_be_hidden()
    # A nickname the server accepts though it has quote-like characters: shown literally.
    odd = f"d'Artagnan-{visitor.nick[-5:]}"
    page.fill("#f-nickname", odd)
    page.locator("#guest-form [type=submit]").click()
    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator("#account-nick")).to_have_text(odd)
    (room,) = ui.pick_rooms(page, 1, offset=6)
    page.locator(f'.room-card[data-slug="{room}"] .room-open').click()
    expect(page.locator("#members-list .member-nick", has_text=odd)).to_have_count(1)
    text = f"<img src=x onerror=alert(1)> signé {odd}"
    visitor.say(text)
    expect(visitor.messages(text).locator(".nick")).to_have_text(odd)
    assert_clean(visitor)


def test_csp_header_on_the_page_and_static_files(server: Any) -> None:
    for path in ("/", "/static/js/app.js"):
        response = httpx.get(server.base_url + path)
        assert response.status_code == 200, path
        csp = response.headers.get("content-security-policy", "")
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert directives.get("default-src") == "default-src 'self'", csp
        assert directives.get("script-src") == "script-src 'self'", csp
        assert directives.get("object-src") == "object-src 'none'", csp
        assert directives.get("base-uri") == "base-uri 'none'", csp
        assert directives.get("frame-ancestors") == "frame-ancestors 'none'", csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    js = httpx.get(server.base_url + "/static/js/app.js")
    assert "javascript" in js.headers.get("content-type", "")
